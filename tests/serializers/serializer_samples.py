"""Sample responses and helpers shared by the serializer tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Optional, Union

from requests.structures import CaseInsensitiveDict

from requests_cache.models import CachedRequest, CachedResponse
from requests_cache.serializers import (
    SerializerPipeline,
    binary_serializer,
    bson_serializer,
    compressed,
    init_serializer,
    json_serializer,
    pickle_serializer,
    signed,
    yaml_serializer,
)

ALL_BYTES = bytes(range(256))
CREATED = datetime(2024, 5, 17, 12, 30, 15, 123456, tzinfo=timezone.utc)
SECRET = 'correct horse battery staple'


def make_response(
    body: bytes = ALL_BYTES,
    request_body: Union[bytes, str, None] = b'\x00\xffpayload',
    headers: Optional[list[tuple[str, str]]] = None,
    redirects: int = 0,
    cache_key: str = 'key-1',
) -> CachedResponse:
    """A response with awkward content: binary body, latin-1 and repeated headers, redirects."""
    if headers is None:
        headers = [
            ('Content-Type', 'application/octet-stream'),
            ('Set-Cookie', 'a=1; Path=/'),
            ('Set-Cookie', 'b=2; Path=/'),
            ('X-Place', 'caf\xe9'),
        ]
    history = [
        _build(f'https://example.com/hop{i}', 301 + i, b'', [('Location', f'/hop{i + 1}')], None)
        for i in range(redirects)
    ]
    return _build(
        'https://example.com/final?q=\xe9', 200, body, headers, request_body, history, cache_key
    )


def _build(
    url: str,
    status: int,
    body: bytes,
    headers: list[tuple[str, str]],
    request_body: Union[bytes, str, None],
    history: Optional[list[CachedResponse]] = None,
    cache_key: str = '',
) -> CachedResponse:
    request = CachedRequest(
        method='POST',
        url=url,
        headers=CaseInsensitiveDict({'Accept': '*/*', 'X-Req': 'caf\xe9'}),
        body=request_body,
    )
    return CachedResponse.build(
        url=url,
        status_code=status,
        reason='OK \xe9',
        headers=headers,
        body=body,
        encoding='ISO-8859-1',
        elapsed=0.25,
        request=request,
        history=history or [],
        created_at=CREATED,
        request_time=CREATED - timedelta(seconds=1.5),
        expires=CREATED + timedelta(hours=1, microseconds=7),
        cache_key=cache_key,
    )


def pairs(response: CachedResponse) -> list[tuple[str, str]]:
    """Raw header pairs in order, repeats kept apart."""
    return list(response.raw.headers.items())


def assert_same(got: CachedResponse, want: CachedResponse) -> None:
    """Assert that a loaded response matches the stored one field by field."""
    assert got.content == want.content
    assert type(got.content) is bytes
    assert pairs(got) == pairs(want)
    for name in ('status_code', 'reason', 'url', 'encoding', 'created_at', 'expires'):
        assert getattr(got, name) == getattr(want, name), name
    assert got.request_time == want.request_time
    assert got.elapsed == want.elapsed
    assert got.request.method == want.request.method
    assert got.request.url == want.request.url
    assert got.request.body == want.request.body
    assert dict(got.request.headers) == dict(want.request.headers)
    assert len(got.history) == len(want.history)
    for got_hop, want_hop in zip(got.history, want.history):
        assert got_hop.url == want_hop.url
        assert got_hop.status_code == want_hop.status_code
        assert pairs(got_hop) == pairs(want_hop)  # type: ignore[arg-type]


def binary_pipelines() -> dict[str, SerializerPipeline]:
    """Every binary pipeline worth testing, by id."""
    return {
        'binary': binary_serializer,
        'json': json_serializer,
        'pickle': pickle_serializer,
        'yaml': yaml_serializer(),
        'bson': bson_serializer(),
        'binary+zlib': compressed(binary_serializer, 'zlib'),
        'binary+hmac': signed(binary_serializer, SECRET),
        'pickle+hmac': signed(pickle_serializer, SECRET),
    }


def document_pipelines() -> dict[str, SerializerPipeline]:
    """Every document pipeline, by id."""
    return {name: init_serializer(name) for name in DOCUMENT_NAMES}


DOCUMENT_NAMES = ('json_document', 'bson_document', 'dynamodb_document')


def flip(blob: bytes, index: int, mask: int = 0x01) -> bytes:
    """The blob with one byte XORed by ``mask``."""
    changed = bytearray(blob)
    changed[index] ^= mask
    return bytes(changed)
