"""The optional compression stage, and formats whose dependency is missing."""

from __future__ import annotations

import importlib.util
import sys

import pytest
from serializer_samples import ALL_BYTES, assert_same, make_response

from requests_cache.errors import ConfigurationError, MissingDependencyError
from requests_cache.serializers import (
    DecodeError,
    binary_serializer,
    compressed,
    init_serializer,
    json_serializer,
)
from requests_cache.serializers.checksums import TRAILER
from requests_cache.serializers.pipeline import sealed

HAS_ZSTD = any(importlib.util.find_spec(m) for m in ('zstandard',)) or sys.version_info >= (3, 14)


@pytest.mark.parametrize('base', ['binary', 'json', 'pickle'])
def test_zlib_round_trip(base: str) -> None:
    """A compressed pipeline reads back byte-exact."""
    pipeline = init_serializer(base, compress='zlib')
    response = make_response(body=b'abc' * 100_000)
    assert_same(pipeline.loads(pipeline.dumps(response), 'key-1'), response)


def test_zlib_shrinks_repetitive_bodies() -> None:
    """Compression pays off on a large repetitive body."""
    response = make_response(body=b'{"a": 1}' * 100_000)
    assert (
        len(compressed(binary_serializer).dumps(response))
        < len(binary_serializer.dumps(response)) // 20
    )


def test_tag_differs() -> None:
    """Compressed and plain blobs carry different tags and do not read each other."""
    pipeline = compressed(binary_serializer, 'zlib')
    assert pipeline.tag != binary_serializer.tag
    with pytest.raises(DecodeError):
        binary_serializer.loads(pipeline.dumps(make_response()), 'key-1')
    with pytest.raises(DecodeError):
        pipeline.loads(binary_serializer.dumps(make_response()), 'key-1')


def test_trailing_garbage() -> None:
    """Bytes after the end of the zlib stream are a DecodeError."""
    pipeline = compressed(json_serializer, 'zlib')
    tag = pipeline.tag.encode()
    # Resealed, so the checksum passes and the zlib stage itself must notice.
    payload = pipeline.dumps(make_response())[len(tag) : -TRAILER.size] + b'x'
    with pytest.raises(DecodeError, match='trailing'):
        pipeline.loads(sealed(payload, tag), 'key-1')


def test_unknown_algorithm() -> None:
    """An unknown compression name is a ConfigurationError."""
    with pytest.raises(ConfigurationError, match='zlib'):
        init_serializer('binary', compress='lzma')


def test_documents_do_not_compress() -> None:
    """Document pipelines produce dicts, which cannot be compressed."""
    with pytest.raises(ConfigurationError):
        compressed(init_serializer('bson_document'))


@pytest.mark.skipif(not HAS_ZSTD, reason='zstd is optional and not installed here')
def test_zstd_round_trip() -> None:
    """zstd compression reads back byte-exact when an implementation is importable."""
    pipeline = init_serializer('binary', compress='zstd')
    response = make_response(body=ALL_BYTES * 100)
    assert_same(pipeline.loads(pipeline.dumps(response), 'key-1'), response)


def test_zstd_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without any zstd module, asking for it names the package to install."""
    monkeypatch.setitem(sys.modules, 'zstandard', None)
    monkeypatch.setitem(sys.modules, 'compression', None)
    with pytest.raises(MissingDependencyError, match='zstandard'):
        init_serializer('binary', compress='zstd')


@pytest.mark.parametrize(
    ('name', 'module', 'extra'), [('yaml', 'yaml', 'yaml'), ('bson', 'bson', 'mongodb')]
)
def test_missing_dependency(
    monkeypatch: pytest.MonkeyPatch, name: str, module: str, extra: str
) -> None:
    """A format whose package is missing raises MissingDependencyError naming the extra."""
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(MissingDependencyError, match=f'requests-cache\\[{extra}\\]'):
        init_serializer(name)


def test_signed_pipelines_are_not_recompressed() -> None:
    """Compressing a signed pipeline is refused: rebuilding it from stages would drop the check."""
    with pytest.raises(ConfigurationError, match='compress first'):
        compressed(init_serializer('pickle', secret_key='k'))
