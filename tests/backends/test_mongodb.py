"""The MongoDB and GridFS backends on mongomock (or MongoDB at MONGODB_URL): the contracts, query
fields, TTL index, and the 16 MB document limit."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from base_storage_test import BaseCacheTest, BaseStorageTest, make_response

from requests_cache.backends.gridfs import GridFSCache, GridFSStorage
from requests_cache.backends.mongodb import MAX_DOCUMENT_SIZE, MongoCache, MongoStorage
from requests_cache.errors import ConfigurationError, StorageError, UnknownSettingError
from requests_cache.models import utcnow

pytest.importorskip('pymongo')


class TestMongoStorage(BaseStorageTest):
    """The storage contract on a collection."""

    @pytest.fixture
    def storage_factory(self, mongo_client):
        """A storage on one collection."""
        return lambda: MongoStorage(mongo_client['rc_test']['responses'])


class TestMongoCache(BaseCacheTest):
    """The cache contract on a database."""

    @pytest.fixture
    def cache_factory(self, mongo_client):
        """A cache on one database of the shared client."""
        return lambda **kwargs: MongoCache('rc_cache', connection=mongo_client, **kwargs)


class TestGridFSStorage(BaseStorageTest):
    """The storage contract on a GridFS bucket."""

    @pytest.fixture
    def storage_factory(self, mongo_client):
        """A storage on one bucket."""
        return lambda: GridFSStorage(mongo_client['rc_gridfs'])


class TestGridFSCache(BaseCacheTest):
    """The cache contract with responses in GridFS."""

    @pytest.fixture
    def cache_factory(self, mongo_client):
        """A cache on one database of the shared client."""
        return lambda **kwargs: GridFSCache('rc_gridfs_cache', connection=mongo_client, **kwargs)


class TestBoundedMongoCache(BaseCacheTest):
    """The cache contract holds on a bounded MongoDB cache."""

    @pytest.fixture
    def cache_factory(self, mongo_client):
        """A cache with a limit too high to evict in the contract tests."""
        return lambda **kwargs: MongoCache(
            'rc_bounded', connection=mongo_client, max_entries=10_000, **kwargs
        )


class TestBoundedGridFSCache(BaseCacheTest):
    """The cache contract holds on a bounded GridFS cache."""

    @pytest.fixture
    def cache_factory(self, mongo_client):
        """A cache with a limit too high to evict in the contract tests."""
        return lambda **kwargs: GridFSCache(
            'rc_gridfs_bounded', connection=mongo_client, max_entries=10_000, **kwargs
        )


def test_documents_are_queryable(mongo_client):
    """Stored responses carry url, status_code and expires fields that Mongo queries can use."""
    cache = MongoCache('rc_query', connection=mongo_client)
    cache.clear()
    response = make_response('k', url='https://example.com/page')
    response.expires = utcnow() + timedelta(hours=1)
    cache.save_response(response, 'k')
    (document,) = cache.db['responses'].find({'url': 'https://example.com/page'})
    assert document['_id'] == 'k' and document['status_code'] == 200
    assert document['expires'] is not None


def test_ttl_index(mongo_client):
    """set_ttl creates a TTL index on expires, replaces it only with overwrite, None drops it."""
    cache = MongoCache('rc_ttl', connection=mongo_client, ttl=60)
    indexes = cache.db['responses'].index_information()
    assert indexes['expires_ttl']['expireAfterSeconds'] == 60
    cache.set_ttl(120)
    assert cache.db['responses'].index_information()['expires_ttl']['expireAfterSeconds'] == 60
    cache.set_ttl(timedelta(minutes=2), overwrite=True)
    assert cache.db['responses'].index_information()['expires_ttl']['expireAfterSeconds'] == 120
    cache.set_ttl(None)
    assert 'expires_ttl' not in cache.db['responses'].index_information()


def test_too_large_document_is_skipped_and_logged(mongo_client, caplog):
    """A response over the 16 MB document limit is not stored, a warning says so, no exception."""
    cache = MongoCache('rc_large', connection=mongo_client)
    cache.clear()
    with caplog.at_level(logging.WARNING):
        cache.save_response(make_response('big', b'x' * (MAX_DOCUMENT_SIZE + 1)), 'big')
    assert cache.get_response('big') is None
    assert any('too large' in record.getMessage() for record in caplog.records)


def test_gridfs_stores_large_bodies(mongo_client):
    """GridFS stores a response larger than a MongoDB document."""
    cache = GridFSCache('rc_gridfs_large', connection=mongo_client)
    cache.clear()
    body = b'\x00x' * (9 * 1024 * 1024)
    cache.save_response(make_response('big', body), 'big')
    assert cache.get_response('big').content == body
    cache.clear()


def test_gridfs_needs_a_binary_serializer(mongo_client):
    """GridFS refuses a serializer that produces documents."""
    from requests_cache.serializers import SerializerPipeline

    with pytest.raises(ConfigurationError, match='binary'):
        GridFSCache(
            'x', connection=mongo_client, serializer=SerializerPipeline([], 'doc', 1, False)
        )


def test_bad_client_argument():
    """An argument MongoClient does not know is an UnknownSettingError."""
    with pytest.raises(UnknownSettingError, match='foo'):
        MongoCache('x', foo=1, connect=False)


def test_unreachable_server_fails_open():
    """With no server, reads are misses and writes are skipped; strict=True raises instead."""
    kwargs = {'host': '127.0.0.1', 'port': 1, 'serverSelectionTimeoutMS': 100}
    cache = MongoCache('x', **kwargs)
    cache.save_response(make_response('k'), 'k')
    assert cache.get_response('k') is None and cache.breaker.failures == 2
    cache.close()
    strict = MongoCache('x', strict=True, **kwargs)
    with pytest.raises(StorageError):
        strict.get_response('k')
    strict.close()


def test_mongoclient_arguments_are_accepted_settings():
    """Every MongoClient argument and URI option is a known backend argument, in any case, so a
    session checking its arguments up front accepts them; a misspelled one is still refused."""
    for cls in (MongoCache, GridFSCache):
        cls.check_kwargs(['host', 'port', 'serverSelectionTimeoutMS', 'timeoutMS', 'retryReads'])
        assert 'max_entries' in cls.accepted_kwargs() | {'strict'}
        suggestion = r'(?i)did you mean .serverSelectionTimeoutMS'
        with pytest.raises(UnknownSettingError, match=suggestion):
            cls.check_kwargs(['serverSelectionTimeoutMs_typo'])
