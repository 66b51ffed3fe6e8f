"""Foreign, truncated and damaged blobs are a DecodeError (a logged miss), never another error."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from serializer_samples import binary_pipelines, document_pipelines, flip, make_response

from requests_cache.errors import StorageError
from requests_cache.models import CachedResponse
from requests_cache.serializers import DecodeError, SerializerPipeline, init_serializer

PIPELINES = binary_pipelines()
BLOBS = {name: p.dumps(make_response(redirects=1)) for name, p in PIPELINES.items()}
NAMES = list(PIPELINES)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _load_or_decode_error(pipeline: SerializerPipeline, blob: object) -> None:
    try:
        result = pipeline.loads(blob, 'key-1')
    except DecodeError:
        return
    assert isinstance(result, CachedResponse)


@pytest.mark.parametrize('name', NAMES)
@FUZZ
@given(data=st.binary(max_size=512))
def test_random_bytes(name: str, data: bytes) -> None:
    """Random bytes are a DecodeError: they do not carry the tag."""
    with pytest.raises(DecodeError):
        PIPELINES[name].loads(data, 'key-1')


@pytest.mark.parametrize('name', NAMES)
@FUZZ
@given(data=st.binary(max_size=512))
def test_random_bytes_after_a_valid_tag(name: str, data: bytes) -> None:
    """Garbage behind a valid tag is a DecodeError (or at worst a response), nothing else."""
    pipeline = PIPELINES[name]
    _load_or_decode_error(pipeline, pipeline.tag.encode() + data)


@pytest.mark.parametrize('name', NAMES)
def test_every_truncation(name: str) -> None:
    """A blob cut short at any length is a DecodeError, so a short body is never served."""
    pipeline, blob = PIPELINES[name], BLOBS[name]
    for length in range(len(blob)):
        with pytest.raises(DecodeError):
            pipeline.loads(blob[:length], 'key-1')


@pytest.mark.parametrize('name', NAMES)
@FUZZ
@given(data=st.data())
def test_single_byte_flips(name: str, data: st.DataObject) -> None:
    """A flipped byte is a DecodeError or an (unsigned) response, never another exception."""
    pipeline, blob = PIPELINES[name], BLOBS[name]
    index = data.draw(st.integers(0, len(blob) - 1))
    mask = data.draw(st.integers(1, 255))
    _load_or_decode_error(pipeline, flip(blob, index, mask))


@pytest.mark.parametrize('name', NAMES)
def test_flipped_tag(name: str) -> None:
    """A damaged tag is always a DecodeError."""
    pipeline, blob = PIPELINES[name], BLOBS[name]
    for index in range(len(pipeline.tag)):
        with pytest.raises(DecodeError):
            pipeline.loads(flip(blob, index), 'key-1')


@pytest.mark.parametrize(('writer', 'reader'), list(itertools.permutations(NAMES, 2)))
def test_tag_mismatch(writer: str, reader: str) -> None:
    """A blob written by one format and read by another is a DecodeError."""
    with pytest.raises(DecodeError):
        PIPELINES[reader].loads(BLOBS[writer], 'key-1')


def test_unknown_version() -> None:
    """A blob from a newer (or older) version of the same format is a DecodeError."""
    tag = PIPELINES['binary'].tag.encode()
    blob = BLOBS['binary'].replace(tag, tag.rsplit(b'/', 1)[0] + b'/9\n', 1)
    with pytest.raises(DecodeError, match='not a'):
        PIPELINES['binary'].loads(blob, 'key-1')


@pytest.mark.parametrize('value', [None, 42, 'rc/binary/2\n', ['x'], {'_format': 'rc/x/1\n'}])
@pytest.mark.parametrize('name', NAMES)
def test_wrong_python_type(name: str, value: object) -> None:
    """Values of the wrong type (not bytes) are a DecodeError."""
    with pytest.raises(DecodeError):
        PIPELINES[name].loads(value, 'key-1')


@pytest.mark.parametrize('name', list(document_pipelines()))
def test_document_with_wrong_shape(name: str) -> None:
    """A document with the right tag but missing or mistyped fields is a DecodeError."""
    pipeline = document_pipelines()[name]
    document = pipeline.dumps(make_response())
    for field in ('body', 'status', 'request', 'headers'):
        broken = {k: v for k, v in document.items() if k != field}
        with pytest.raises(DecodeError):
            pipeline.loads(broken, 'key-1')
    with pytest.raises(DecodeError):
        pipeline.loads({**document, 'status': 'two hundred'}, 'key-1')


def test_out_of_range_timestamp() -> None:
    """A timestamp no datetime can hold is a DecodeError, not an OverflowError or OSError."""
    pipeline = init_serializer('json_document')
    document = pipeline.dumps(make_response())
    with pytest.raises(DecodeError):
        pipeline.loads({**document, 'created_at': 1e300}, 'key-1')


@pytest.mark.parametrize('name', ['binary', 'json', 'pickle'])
def test_strict_raises_storage_error(name: str) -> None:
    """With strict=True a corrupt blob raises StorageError naming the key, instead of a miss."""
    pipeline = init_serializer(name, strict=True)
    blob = pipeline.dumps(make_response())
    with pytest.raises(StorageError, match='key-1'):
        pipeline.loads(blob[:-1], 'key-1')
    assert not init_serializer(name).strict, 'the shared pipeline must stay lenient'


def test_strict_signed_raises_storage_error() -> None:
    """A strict signed pipeline turns a bad signature into StorageError."""
    pipeline = init_serializer('binary', secret_key='k', strict=True)
    blob = pipeline.dumps(make_response(cache_key='key-1'))
    with pytest.raises(StorageError, match='bad signature'):
        pipeline.loads(blob, 'key-2')
