"""secret_key, strict and the pickle warning, set on the session."""

from __future__ import annotations

import pytest

from requests_cache import CachedSession, ConfigurationError, MemoryCache, StorageError


def test_secret_key_signs_every_blob_and_rejects_tampering(tmp_path, origin, caplog):
    """With secret_key, stored blobs are signed; a tampered blob is a logged miss."""
    session = CachedSession(str(tmp_path / 'c'), secret_key='s3cret')
    url = origin.url('/signed')
    key = session.get(url).cache_key
    blob = session.cache.responses[key]
    assert b'+hmac' in blob.split(b'\n', 1)[0]
    session.cache.responses[key] = blob[:-1] + bytes([blob[-1] ^ 1])
    assert session.get(url).from_cache is False
    assert 'Dropping unreadable cache entry' in caplog.text
    assert session.get(url).from_cache is True


def test_blobs_signed_with_another_key_are_misses(tmp_path, origin):
    """A cache written with one secret_key is not trusted by a session with another."""
    name = str(tmp_path / 'c')
    url = origin.url('/rotate')
    CachedSession(name, secret_key='old').get(url)
    assert CachedSession(name, secret_key='new').get(url).from_cache is False
    assert CachedSession(name, secret_key=['new', 'old']).get(url).from_cache is True


def test_strict_raises_on_unreadable_entries(tmp_path, origin):
    """strict=True turns an unreadable entry into StorageError instead of a miss."""
    session = CachedSession(str(tmp_path / 'c'), strict=True)
    key = session.get(origin.url('/strict')).cache_key
    session.cache.responses[key] = b'garbage'
    with pytest.raises(StorageError):
        session.get(origin.url('/strict'))


def test_unsigned_pickle_on_a_network_backend_warns(monkeypatch):
    """Choosing pickle for Redis without a secret_key warns that stored data could run code."""
    from requests_cache.backends import redis as redis_backend

    monkeypatch.setattr(redis_backend, 'Redis', lambda **kwargs: None)
    with pytest.warns(UserWarning, match='secret_key'):
        CachedSession('ns', backend='redis', serializer='pickle', ttl=False)


def test_security_options_are_refused_with_a_backend_instance():
    """secret_key and strict belong to the backend instance when one is passed."""
    with pytest.raises(ConfigurationError, match='backend instance'):
        CachedSession(backend=MemoryCache(), secret_key='k')
