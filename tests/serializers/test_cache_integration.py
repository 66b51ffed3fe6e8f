"""Through a real cache: an unreadable or tampered entry is a logged miss, and it is dropped."""

from __future__ import annotations

import logging

import pytest
from serializer_samples import SECRET, flip, make_response

from requests_cache.backends.memory import MemoryCache
from requests_cache.errors import StorageError
from requests_cache.serializers import init_serializer


def test_tampered_signed_entry_is_a_logged_miss(caplog: pytest.LogCaptureFixture) -> None:
    """A flipped byte in a signed entry: a miss, a WARNING naming key and reason, entry gone."""
    cache = MemoryCache(serializer=init_serializer('pickle', secret_key=SECRET))
    cache.save_response(make_response(cache_key='key-1'))
    blob = cache.responses['key-1']
    cache.responses['key-1'] = flip(blob, len(blob) - 1)
    with caplog.at_level(logging.WARNING):
        assert cache.get_response('key-1') is None
    assert 'key-1' in caplog.text
    assert 'bad signature' in caplog.text
    assert 'key-1' not in cache.responses


def test_entry_copied_to_another_key_is_a_miss(caplog: pytest.LogCaptureFixture) -> None:
    """A valid signed blob copied under another key is not served there."""
    cache = MemoryCache(serializer=init_serializer('binary', secret_key=SECRET))
    cache.save_response(make_response(cache_key='key-1'))
    cache.responses['key-2'] = cache.responses['key-1']
    with caplog.at_level(logging.WARNING):
        assert cache.get_response('key-2') is None
        assert cache.get_response('key-1') is not None
    assert 'key-2' in caplog.text


def test_strict_cache_raises() -> None:
    """With strict=True the same corruption reaches the caller as a StorageError."""
    cache = MemoryCache(serializer=init_serializer('binary', strict=True))
    cache.save_response(make_response(cache_key='key-1'))
    cache.responses['key-1'] = cache.responses['key-1'][:-1]
    with pytest.raises(StorageError, match='key-1'):
        cache.get_response('key-1')
