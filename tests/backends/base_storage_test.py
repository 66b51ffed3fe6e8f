"""The storage contract every backend passes: subclass `BaseStorageTest` and `BaseCacheTest`.

A subclass provides factories; the fixtures here build, clear and close through them, so every
test starts empty and every connection is released.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Callable

import pytest

from requests_cache.backends import BaseCache, BaseStorage
from requests_cache.models import CachedResponse, utcnow

ODD_KEYS = [
    '../../etc/passwd',
    '..',
    'a/b\\c',
    'quote\'s "double"',
    'nul\x00byte',
    'nul\x00bytf',
    'unicode-ключ-鍵-🔑',
    'CON',
    'k' * 1000,
    'k' * 999 + 'j',
    ' leading and trailing ',
    '*?[glob]',
]


class BaseStorageTest:
    """The `BaseStorage` contract; subclasses override `storage_factory`."""

    #: False for backends whose data dies with the object (memory).
    persistent = True
    #: The largest single value this backend promises to store.
    max_value_size = 1024 * 1024

    @pytest.fixture
    def storage_factory(self) -> Callable[[], BaseStorage]:
        """Hook: a callable that opens a storage on the same location each time it is called."""
        raise NotImplementedError

    @pytest.fixture
    def storage(self, storage_factory: Callable[[], BaseStorage]) -> Iterator[BaseStorage]:
        """An empty storage, closed after the test."""
        storage = storage_factory()
        storage.clear()
        yield storage
        storage.close()

    def test_set_get_delete(self, storage):
        """A stored value reads back; after deleting it, reads raise KeyError."""
        storage['a'] = b'value'
        assert storage['a'] == b'value'
        del storage['a']
        with pytest.raises(KeyError):
            storage['a']

    def test_missing_key(self, storage):
        """Reading or deleting a missing key raises KeyError; get() returns the default."""
        with pytest.raises(KeyError):
            storage['missing']
        with pytest.raises(KeyError):
            del storage['missing']
        assert storage.get('missing') is None
        assert 'missing' not in storage

    def test_overwrite(self, storage):
        """Writing a key twice keeps only the second value."""
        storage['a'] = b'one'
        storage['a'] = b'two'
        assert storage['a'] == b'two' and len(storage) == 1

    def test_set_with_expiry(self, storage):
        """set() with an expiry time stores the value like item assignment."""
        storage.set('a', b'value', utcnow() + timedelta(hours=1))
        storage.set('b', b'stale', utcnow() - timedelta(seconds=5))
        assert storage['a'] == b'value' and storage['b'] == b'stale'

    def test_iteration_len_contains(self, storage):
        """Iteration yields every key once; len and `in` agree with it."""
        keys = {f'key-{i}' for i in range(20)}
        for key in keys:
            storage[key] = key.encode()
        assert set(storage) == keys
        assert len(storage) == 20 and len(list(storage)) == 20
        assert 'key-3' in storage and 'key-99' not in storage
        assert dict(storage.items())['key-7'] == b'key-7'

    def test_bulk_delete(self, storage):
        """bulk_delete removes the given keys and ignores missing ones."""
        for i in range(5):
            storage[f'k{i}'] = b'v'
        storage.bulk_delete(['k0', 'k1', 'nope'])
        assert set(storage) == {'k2', 'k3', 'k4'}
        storage.bulk_delete([])

    def test_bulk_delete_many(self, storage):
        """bulk_delete works past the 500-key chunk size of batched backends."""
        keys = [f'k{i}' for i in range(510)]
        for key in keys:
            storage[key] = b'v'
        storage['keep'] = b'v'
        storage.bulk_delete([*keys, 'missing'])
        assert list(storage) == ['keep']

    def test_clear(self, storage):
        """clear() empties the storage."""
        for i in range(5):
            storage[f'k{i}'] = b'v'
        storage.clear()
        assert len(storage) == 0 and list(storage) == []

    def test_close_and_reopen(self, storage, storage_factory):
        """Data written before close() is there in a new storage on the same location."""
        if not self.persistent:
            pytest.skip('not a persistent backend')
        storage['a'] = b'persisted'
        storage.close()
        reopened = storage_factory()
        try:
            assert reopened['a'] == b'persisted'
        finally:
            reopened.close()

    def test_binary_values(self, storage):
        """Values with NUL and high bytes round-trip exactly."""
        value = bytes(range(256)) * 4 + b'\x00\x00end'
        storage['bin'] = value
        assert storage['bin'] == value

    def test_large_value(self, storage):
        """A value of the backend's maximum size (1 MiB for most) round-trips."""
        value = (b'\x00\xff' * (self.max_value_size // 2))[: self.max_value_size]
        storage['big'] = value
        assert storage['big'] == value

    def test_str_values(self, storage):
        """Text values (redirect targets) round-trip as text or UTF-8 bytes."""
        storage['alias'] = 'target-key'
        value = storage['alias']
        assert (value.decode() if isinstance(value, bytes) else value) == 'target-key'

    def test_odd_keys_never_collide(self, storage):
        """Keys with path characters, quotes, NUL, unicode or 1000 chars are distinct and intact."""
        for i, key in enumerate(ODD_KEYS):
            storage[key] = str(i).encode()
        assert set(storage) == set(ODD_KEYS)
        for i, key in enumerate(ODD_KEYS):
            assert storage[key] == str(i).encode(), key
        del storage['nul\x00byte']
        assert 'nul\x00bytf' in storage and len(storage) == len(ODD_KEYS) - 1

    def test_scan_yields_every_value_once_while_values_are_rewritten(self, storage):
        """scan() yields each key with its value exactly once, even when the caller rewrites
        values as it goes (as reset_expiration() does)."""
        values = {key: f'value {i}'.encode() for i, key in enumerate(ODD_KEYS)}
        for key, value in values.items():
            storage[key] = value
        seen: dict[str, bytes] = {}
        for key, value in storage.scan():
            assert key not in seen
            seen[key] = bytes(value)
            storage[key] = b'rewritten'
        assert seen == values

    def test_count_expired_and_stored_size_are_exact_where_offered(self, storage):
        """A backend that counts expired values or stored bytes without reading them counts them
        exactly; the others say None instead of guessing."""
        now = utcnow()
        storage.set('old', b'12345', now - timedelta(seconds=10))
        storage.set('new', b'123', now + timedelta(hours=1))
        storage.set('never', b'1', None)
        offers_count = type(storage).count_expired is not BaseStorage.count_expired
        assert storage.count_expired(now) == (1 if offers_count else None)
        size = storage.stored_size()
        if type(storage).stored_size is BaseStorage.stored_size:
            assert size is None
        else:
            assert 9 <= size < 9 + 3 * 1024  # the values, plus at most a small header each


def make_response(key: str, body: bytes = b'hello', url: str = '') -> CachedResponse:
    """A small CachedResponse for cache tests."""
    return CachedResponse.build(
        url=url or f'https://example.com/{key}',
        status_code=200,
        reason='OK',
        headers=[('Content-Type', 'text/plain')],
        body=body,
        cache_key=key,
    )


class BaseCacheTest:
    """The `BaseCache` contract over real storages; subclasses override `cache_factory`."""

    #: False for backends whose data dies with the object (memory).
    persistent = True

    @pytest.fixture
    def cache_factory(self) -> Callable[..., BaseCache]:
        """Hook: a callable that opens a cache on the same location each time it is called."""
        raise NotImplementedError

    @pytest.fixture
    def cache(self, cache_factory: Callable[..., BaseCache]) -> Iterator[BaseCache]:
        """An empty cache, closed after the test."""
        cache = cache_factory()
        cache.clear()
        yield cache
        cache.close()

    def test_response_round_trip(self, cache):
        """A saved response reads back with its URL, status, headers and body."""
        cache.save_response(make_response('k1', b'body\x00bytes'), 'k1')
        response = cache.get_response('k1')
        assert response.url == 'https://example.com/k1' and response.status_code == 200
        assert response.content == b'body\x00bytes'
        assert response.headers['Content-Type'] == 'text/plain'
        assert cache.contains('k1') and cache.urls() == ['https://example.com/k1']

    def test_missing_response(self, cache):
        """A missing key is a miss."""
        assert cache.get_response('nope') is None

    def test_redirect(self, cache):
        """A redirect alias resolves to the target response, and goes when the target is deleted."""
        cache.save_response(make_response('target'), 'target')
        cache.save_redirect('alias', 'target')
        assert cache.get_response('alias').url == 'https://example.com/target'
        cache.delete('target')
        assert cache.get_response('alias') is None and len(cache.redirects) == 0

    def test_garbage_blob_is_a_dropped_miss(self, cache, caplog):
        """A garbage blob is a logged miss, is deleted, and leaves other entries readable."""
        cache.save_response(make_response('good'), 'good')
        cache.responses['bad'] = b'\x00garbage'
        with caplog.at_level(logging.WARNING):
            assert cache.get_response('bad') is None
        assert 'bad' not in cache.responses
        assert any('unreadable' in r.getMessage() for r in caplog.records)
        assert cache.get_response('good') is not None

    def test_close_and_reopen(self, cache, cache_factory):
        """Responses and redirects saved before close() are there in a new cache object."""
        if not self.persistent:
            pytest.skip('not a persistent backend')
        cache.save_response(make_response('k'), 'k')
        cache.save_redirect('alias', 'k')
        cache.close()
        reopened = cache_factory()
        try:
            assert reopened.get_response('alias').url == 'https://example.com/k'
        finally:
            reopened.close()

    def test_clear(self, cache):
        """clear() removes responses and redirects."""
        cache.save_response(make_response('a'), 'a')
        cache.save_redirect('b', 'a')
        cache.clear()
        assert len(cache.responses) == 0 and len(cache.redirects) == 0


def concurrent_writer(
    cache: BaseCache, per_thread: int, *, read_every: int = 0, aliases: bool = False
) -> tuple[Callable[[int], None], list[BaseException]]:
    """``write(thread)``, which stores ``per_thread`` responses under ``t<thread>-<i>`` (reading
    every ``read_every``-th back, or saving an alias for each), and the list of its errors."""
    errors: list[BaseException] = []

    def write(thread: int) -> None:
        try:
            for i in range(per_thread):
                key = f't{thread}-{i}'
                cache.save_response(make_response(key), key)
                if read_every and i % read_every == 0:
                    cache.get_response(key)
                if aliases:
                    cache.save_redirect(f'{key}-alias', key)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    return write, errors


def run_threads(target: Callable[[int], None], count: int) -> None:
    """Run ``target(n)`` for n in range(count), each on its own thread, and wait for all."""
    threads = [threading.Thread(target=target, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
