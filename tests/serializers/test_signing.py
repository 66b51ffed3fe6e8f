"""Signed pipelines: verified before any decoding, bound to the cache key, with key rotation."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from serializer_samples import SECRET, assert_same, flip, make_response

from requests_cache.errors import ConfigurationError
from requests_cache.serializers import (
    DecodeError,
    SerializerPipeline,
    SignedPipeline,
    Stage,
    binary_serializer,
    init_serializer,
    pickle_serializer,
    signed,
)


class SpyStage(Stage):
    """A pickle stage that records every call to its decoder."""

    def __init__(self) -> None:
        self.calls = 0
        super().__init__(
            dumps=lambda d: pickle.dumps(d, protocol=5), loads=self._loads, name='spy-pickle'
        )

    def _loads(self, data: Any) -> Any:
        self.calls += 1
        return pickle.loads(data)


@pytest.fixture
def spy() -> SpyStage:
    """A decoder that counts its calls."""
    return SpyStage()


@pytest.fixture
def spied(spy: SpyStage) -> SignedPipeline:
    """A signed pickle-like pipeline whose decoder is the spy."""
    return signed(SerializerPipeline([spy], 'spy', safe=False), SECRET)


def test_round_trip() -> None:
    """A signed blob loads under the key it was written for."""
    pipeline = signed(binary_serializer, SECRET)
    response = make_response(redirects=2, cache_key='key-1')
    assert_same(pipeline.loads(pipeline.dumps(response), 'key-1'), response)


def test_tag_differs_from_unsigned() -> None:
    """Signed and unsigned blobs have different tags, so neither reads the other."""
    pipeline = signed(binary_serializer, SECRET)
    blob = pipeline.dumps(make_response())
    assert blob.startswith(b'rc/binary+hmac/1\n')
    with pytest.raises(DecodeError):
        binary_serializer.loads(blob, 'key-1')
    with pytest.raises(DecodeError):
        pipeline.loads(binary_serializer.dumps(make_response()), 'key-1')


def test_blob_moved_to_another_key(spied: SignedPipeline, spy: SpyStage) -> None:
    """A blob copied under another cache key fails verification and is never decoded."""
    blob = spied.dumps(make_response(cache_key='key-1'))
    with pytest.raises(DecodeError, match='bad signature'):
        spied.loads(blob, 'key-2')
    assert spy.calls == 0


def test_explicit_cache_key_overrides_response_key(spied: SignedPipeline) -> None:
    """dumps(response, cache_key) binds the blob to the key it is stored under."""
    blob = spied.dumps(make_response(cache_key='key-1'), 'alias')
    assert spied.loads(blob, 'alias').cache_key == 'alias'
    with pytest.raises(DecodeError):
        spied.loads(blob, 'key-1')


def test_wrong_secret_key(spy: SpyStage) -> None:
    """A blob signed with another secret is rejected before decoding."""
    writer = signed(SerializerPipeline([spy], 'spy'), 'other secret')
    reader = signed(SerializerPipeline([spy], 'spy'), SECRET)
    blob = writer.dumps(make_response())
    spy.calls = 0
    with pytest.raises(DecodeError, match='bad signature'):
        reader.loads(blob, 'key-1')
    assert spy.calls == 0


def test_key_rotation() -> None:
    """With [new, old] keys, old blobs still load and new blobs are signed with the new key."""
    old = signed(binary_serializer, 'old')
    rotated = signed(binary_serializer, ['new', b'old'])
    new_only = signed(binary_serializer, 'new')
    response = make_response()
    assert_same(rotated.loads(old.dumps(response), 'key-1'), response)
    assert_same(new_only.loads(rotated.dumps(response), 'key-1'), response)
    with pytest.raises(DecodeError):
        old.loads(rotated.dumps(response), 'key-1')


def test_str_and_bytes_secrets_are_the_same_key() -> None:
    """A str secret is its UTF-8 bytes."""
    blob = signed(binary_serializer, 'caf\xe9').dumps(make_response())
    assert signed(binary_serializer, 'caf\xe9'.encode()).loads(blob, 'key-1')


@pytest.mark.parametrize('secret', ['', b'', [], [''], [None], 42])
def test_unusable_secret(secret: Any) -> None:
    """An empty or mistyped secret is a ConfigurationError, not a pipeline that signs with ''."""
    with pytest.raises(ConfigurationError):
        signed(binary_serializer, secret)


def test_document_pipelines_are_not_signed() -> None:
    """Only blobs can be signed; a document pipeline is a ConfigurationError."""
    with pytest.raises(ConfigurationError):
        signed(init_serializer('json_document'), SECRET)


def test_init_serializer_signs_with_secret_key() -> None:
    """init_serializer(secret_key=...) returns a signed pipeline, compressed first if asked."""
    pipeline = init_serializer('pickle', compress='zlib', secret_key=SECRET)
    assert isinstance(pipeline, SignedPipeline)
    assert pipeline.name == 'pickle+zlib+hmac'
    assert pipeline.safe
    assert_same(pipeline.loads(pipeline.dumps(make_response()), 'key-1'), make_response())


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_any_flip_is_rejected_before_decoding(data: st.DataObject) -> None:
    """Flipping any byte of a signed blob is a DecodeError and the decoder never runs."""
    spy = SpyStage()
    pipeline = signed(SerializerPipeline([spy], 'spy'), SECRET)
    blob = pipeline.dumps(make_response(redirects=1))
    index = data.draw(st.integers(0, len(blob) - 1))
    mask = data.draw(st.integers(1, 255))
    with pytest.raises(DecodeError):
        pipeline.loads(flip(blob, index, mask), 'key-1')
    assert spy.calls == 0


def test_every_truncation_is_rejected_before_decoding(spied: SignedPipeline, spy: SpyStage) -> None:
    """A signed blob cut at any length is a DecodeError and the decoder never runs."""
    blob = spied.dumps(make_response())
    for length in range(len(blob)):
        with pytest.raises(DecodeError):
            spied.loads(blob[:length], 'key-1')
    assert spy.calls == 0
    spied.loads(blob, 'key-1')
    assert spy.calls == 1


@settings(max_examples=200, deadline=None)
@given(tail=st.binary(max_size=256))
def test_appended_bytes_are_rejected(tail: bytes) -> None:
    """Bytes appended to a signed blob break the signature."""
    pipeline = signed(pickle_serializer, SECRET)
    blob = pipeline.dumps(make_response())
    if tail:
        with pytest.raises(DecodeError):
            pipeline.loads(blob + tail, 'key-1')
