"""Chunked serialization of a body kept in a file: the same bytes as ``dumps``, or a fallback."""

from __future__ import annotations

import os
import random
import stat
import zlib
from collections.abc import Iterator
from typing import IO

import pytest
from serializer_samples import SECRET, assert_same, binary_pipelines, make_response

from requests_cache.errors import StorageError
from requests_cache.models import CachedResponse
from requests_cache.serializers import (
    SerializerPipeline,
    Stage,
    binary_serializer,
    compressed,
    init_serializer,
)
from requests_cache.serializers import chunks as chunks_module
from requests_cache.serializers.chunks import (
    CHUNK_SIZE,
    BytesBlob,
    FileBlob,
    attach_body,
    new_spool,
    zlib_compress_blob,
)

# Over two chunks, partly compressible, every byte value: exercises chunk boundaries and zlib.
BODY = random.Random(1).randbytes(CHUNK_SIZE + 1000) + bytes(range(256)) * 4096

STREAMING = {
    'binary': binary_serializer,
    'binary+zlib': compressed(binary_serializer, 'zlib'),
    'binary+hmac': init_serializer('binary', secret_key=SECRET),
    'binary+zlib+hmac': init_serializer('binary', compress='zlib', secret_key=SECRET),
}
NOT_STREAMING = {
    name: pipeline for name, pipeline in binary_pipelines().items() if not pipeline.streams
}


@pytest.fixture(autouse=True)
def _stream_every_body(monkeypatch: pytest.MonkeyPatch) -> None:
    """Take the chunked path for bodies of any size, so the tests stay small and fast."""
    monkeypatch.setattr(chunks_module, 'INLINE_BODY_LIMIT', 0)


@pytest.fixture
def spool() -> Iterator[IO[bytes]]:
    """A spool holding BODY, as a streamed response leaves it."""
    file = new_spool()
    file.write(BODY)
    yield file
    file.close()


def with_body_in(spool: IO[bytes], body: bytes = BODY) -> CachedResponse:
    """The sample response with its body attached from ``spool`` instead of held."""
    response = make_response(body=b'', redirects=1)
    attach_body(response, FileBlob(spool, len(body)))
    return response


@pytest.mark.parametrize('name', STREAMING)
def test_chunked_blob_is_byte_identical_to_dumps(name, spool):
    """Joined chunks equal what dumps writes for the same response, and load back the same."""
    pipeline = STREAMING[name]
    expected = pipeline.dumps(make_response(body=BODY, redirects=1))
    blob = pipeline.dumps_chunked(with_body_in(spool))
    assert blob is not None
    with blob:
        got = b''.join(blob.chunks())
        assert len(blob) == len(got)
        assert b''.join(blob.chunks()) == got  # chunks() starts over each time
    assert got == expected
    assert_same(pipeline.loads(got, 'key-1'), make_response(body=BODY, redirects=1))


@pytest.mark.parametrize('name', STREAMING)
def test_chunks_are_bounded(name, spool):
    """No chunk is larger than CHUNK_SIZE, so a backend never holds the body whole."""
    blob = STREAMING[name].dumps_chunked(with_body_in(spool))
    assert blob is not None
    with blob:
        assert max(len(chunk) for chunk in blob.chunks()) <= CHUNK_SIZE


@pytest.mark.parametrize('name', NOT_STREAMING)
def test_formats_that_cannot_stream_fall_back_to_dumps(name, spool):
    """A stage without a stream step: dumps_chunked says no, and dumps reads the attached body."""
    pipeline = NOT_STREAMING[name]
    assert pipeline.dumps_chunked(with_body_in(spool)) is None
    loaded = pipeline.loads(pipeline.dumps(with_body_in(spool)), 'key-1')
    assert loaded.content == BODY


def test_document_formats_do_not_stream(spool):
    """Document pipelines never stream; dumps puts the attached body in the document."""
    pipeline = init_serializer('json_document')
    assert not pipeline.streams
    assert pipeline.dumps_chunked(with_body_in(spool)) is None
    assert pipeline.loads(pipeline.dumps(with_body_in(spool))).content == BODY


def test_small_or_missing_bodies_take_the_in_memory_path(spool, monkeypatch):
    """Bodies up to INLINE_BODY_LIMIT, and responses without an attached body, are not chunked."""
    monkeypatch.setattr(chunks_module, 'INLINE_BODY_LIMIT', len(BODY))
    assert binary_serializer.dumps_chunked(with_body_in(spool)) is None
    monkeypatch.setattr(chunks_module, 'INLINE_BODY_LIMIT', 0)
    assert binary_serializer.dumps_chunked(make_response(body=BODY)) is None


def test_zlib_stream_matches_one_shot_compression():
    """Compressing chunk by chunk gives zlib's one-shot bytes, and the spool is closed after."""
    compressor = zlib.compressobj(6)
    expected = compressor.compress(BODY) + compressor.flush()
    blob = zlib_compress_blob(BytesBlob(BODY))
    with blob:
        assert blob.read_all() == expected
    assert blob.file.closed


def test_spool_moves_to_a_private_temp_file_past_its_memory_limit(monkeypatch):
    """Past SPOOL_MEMORY_LIMIT the spool is a real file with mode 0600."""
    monkeypatch.setattr(chunks_module, 'SPOOL_MEMORY_LIMIT', 1000)
    with chunks_module.new_spool() as spool:
        spool.write(b'x' * 1001)
        assert stat.S_IMODE(os.fstat(spool.fileno()).st_mode) == 0o600


def test_file_shorter_than_its_blob_is_a_storage_error():
    """A spool that ends early raises StorageError instead of yielding a short blob."""
    with new_spool() as spool:
        spool.write(b'abc')
        with pytest.raises(StorageError, match='ended 7 bytes early'):
            FileBlob(spool, 10).read_all()


def test_pipeline_with_a_stage_that_cannot_stream_does_not_stream():
    """One stage without a stream step makes the whole pipeline fall back."""
    identity = Stage(dumps=lambda value: value, loads=lambda value: value, name='identity')
    custom = SerializerPipeline([*binary_serializer.stages, identity], 'custom')
    assert binary_serializer.streams and not custom.streams
