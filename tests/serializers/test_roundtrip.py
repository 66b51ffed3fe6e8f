"""Every format reads back what it wrote, byte-exact, for awkward responses."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any, Union

import bson
import pytest
from serializer_samples import (
    ALL_BYTES,
    assert_same,
    binary_pipelines,
    document_pipelines,
    make_response,
)

from requests_cache.errors import ConfigurationError
from requests_cache.serializers import (
    SERIALIZERS,
    SerializerPipeline,
    binary_serializer,
    init_serializer,
    json_serializer,
)
from requests_cache.serializers.checksums import TRAILER

PIPELINES = {**binary_pipelines(), **document_pipelines()}

BODIES = {
    'all-bytes': ALL_BYTES,
    'empty': b'',
    'utf8-text': 'h\xe9llo \u2603\n'.encode(),
    'large': ALL_BYTES * 4096,
}
REQUEST_BODIES: dict[str, Union[bytes, str, None]] = {
    'bytes': b'\x00\x01\xfe\xff',
    'str': 'name=caf\xe9',
    'none': None,
}


@pytest.fixture(params=list(PIPELINES), ids=list(PIPELINES))
def pipeline(request: pytest.FixtureRequest) -> SerializerPipeline:
    """Each format in turn."""
    return PIPELINES[request.param]


@pytest.mark.parametrize('body', list(BODIES.values()), ids=list(BODIES))
def test_body_round_trip(pipeline: SerializerPipeline, body: bytes) -> None:
    """Binary, empty, text and large bodies read back byte-exact."""
    response = make_response(body=body)
    assert_same(pipeline.loads(pipeline.dumps(response), 'key-1'), response)


@pytest.mark.parametrize('request_body', list(REQUEST_BODIES.values()), ids=list(REQUEST_BODIES))
def test_request_body_round_trip(
    pipeline: SerializerPipeline, request_body: Union[bytes, str, None]
) -> None:
    """Request bodies keep their type: bytes, str or None."""
    response = make_response(request_body=request_body)
    loaded = pipeline.loads(pipeline.dumps(response), 'key-1')
    assert loaded.request.body == request_body
    assert type(loaded.request.body) is type(request_body)


def test_redirect_history_round_trip(pipeline: SerializerPipeline) -> None:
    """A response reached through two redirects keeps both hops, in order."""
    response = make_response(redirects=2)
    loaded = pipeline.loads(pipeline.dumps(response), 'key-1')
    assert_same(loaded, response)
    assert [hop.status_code for hop in loaded.history] == [301, 302]


def test_duplicate_and_latin1_headers(pipeline: SerializerPipeline) -> None:
    """Two Set-Cookie headers stay apart, and a latin-1 value survives unchanged."""
    loaded = pipeline.loads(pipeline.dumps(make_response()), 'key-1')
    assert loaded.raw.headers.getlist('Set-Cookie') == ['a=1; Path=/', 'b=2; Path=/']
    assert loaded.headers['X-Place'] == 'caf\xe9'


def test_cache_key_is_set(pipeline: SerializerPipeline) -> None:
    """The loaded response carries the key it was read from."""
    blob = pipeline.dumps(make_response(cache_key='key-1'))
    assert pipeline.loads(blob, 'key-1').cache_key == 'key-1'


def test_every_blob_is_tagged(pipeline: SerializerPipeline) -> None:
    """Blobs start with the pipeline tag; documents carry it in ``_format``."""
    blob = pipeline.dumps(make_response())
    if pipeline.is_binary:
        assert blob.startswith(pipeline.tag.encode())
    else:
        assert blob['_format'] == pipeline.tag


def test_binary_body_is_stored_raw() -> None:
    """The default format stores the body as raw bytes, not base64."""
    blob = binary_serializer.dumps(make_response(body=ALL_BYTES))
    assert blob[: -TRAILER.size].endswith(ALL_BYTES)  # then the checksum


def test_json_is_readable_text() -> None:
    """JSON stores a UTF-8 body as text and anything else as base64."""
    text = json_serializer.dumps(make_response(body=b'hello')).split(b'\n', 1)[1][: -TRAILER.size]
    assert json.loads(text)['body'] == {'text': 'hello'}
    binary = json_serializer.dumps(make_response(body=b'\xff')).split(b'\n', 1)[1][: -TRAILER.size]
    assert json.loads(binary)['body'] == {'base64': '/w=='}


def test_dynamodb_document_has_no_floats() -> None:
    """The DynamoDB document holds numbers as int or Decimal, never float, and bytes as bytes."""
    document = init_serializer('dynamodb_document').dumps(make_response())

    def walk(value: Any) -> None:
        assert not isinstance(value, float)
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(document)
    assert isinstance(document['created_at'], Decimal)
    assert document['body'] == ALL_BYTES


def test_bson_document_survives_bson_encoding() -> None:
    """A bson_document goes through a real BSON encode/decode (as MongoDB stores it)."""
    pipeline = init_serializer('bson_document')
    response = make_response(redirects=2)
    stored = bson.decode(bson.encode(pipeline.dumps(response)))
    assert_same(pipeline.loads(stored, 'key-1'), response)


def test_json_document_is_plain_json() -> None:
    """A json_document is made only of JSON types, so it is queryable in any document store."""
    pipeline = init_serializer('json_document')
    response = make_response()
    stored = json.loads(json.dumps(pipeline.dumps(response)))
    assert_same(pipeline.loads(stored, 'key-1'), response)


def test_all_names_resolve() -> None:
    """Every registered name builds a pipeline with that name."""
    for name in SERIALIZERS:
        assert init_serializer(name).name == name


def test_default_is_binary() -> None:
    """No serializer argument means the safe binary format."""
    assert init_serializer(None) is binary_serializer


def test_unknown_name() -> None:
    """An unknown name is a ConfigurationError listing the valid ones."""
    with pytest.raises(ConfigurationError, match='binary'):
        init_serializer('marshal')


def test_concurrent_dumps_do_not_mix() -> None:
    """Threads serializing at once each get their own blob back (one msgpack packer per thread)."""

    def round_trip(index: int) -> bool:
        body = bytes([index]) * (1000 + index)
        for _ in range(50):
            blob = binary_serializer.dumps(make_response(body=body))
            if binary_serializer.loads(blob, 'key-1').content != body:
                return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(round_trip, range(16)))
