"""The DynamoDB backend against a moto server: the contracts, table setup, TTL, size limits."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from base_storage_test import BaseCacheTest, BaseStorageTest

from requests_cache.backends import init_backend
from requests_cache.backends.dynamodb import (
    DynamoDbCache,
    DynamoDbStorage,
    create_cache_table,
)
from requests_cache.errors import StorageError
from requests_cache.models import utcnow

pytest.importorskip('boto3')


@pytest.fixture
def table(dynamodb_client):
    """The name of a cache table that exists on the moto server."""
    create_cache_table(dynamodb_client, 'rc-storage')
    return 'rc-storage'


class TestDynamoDbStorage(BaseStorageTest):
    """The storage contract on one partition of a table."""

    max_value_size = 300 * 1024  # DynamoDB items are limited to 400 KB

    @pytest.fixture
    def storage_factory(self, dynamodb_client, table):
        """A storage on the responses partition of the test table."""
        return lambda: DynamoDbStorage(dynamodb_client, table, 'responses')


class TestDynamoDbCache(BaseCacheTest):
    """The cache contract on a table the cache creates itself."""

    @pytest.fixture
    def cache_factory(self, moto_endpoint, aws_credentials):
        """A cache that makes its own client from an endpoint and session arguments."""
        return lambda **kwargs: DynamoDbCache(
            'rc-cache', endpoint_url=moto_endpoint, **aws_credentials, **kwargs
        )


def test_table_is_on_demand_with_ttl(dynamodb_client, moto_endpoint, aws_credentials):
    """create_table makes an on-demand table with TTL on the ttl attribute, and is idempotent."""
    init_backend('rc-new', 'dynamodb', endpoint_url=moto_endpoint, **aws_credentials)
    DynamoDbCache('rc-new', connection=dynamodb_client)
    table = dynamodb_client.describe_table(TableName='rc-new')['Table']
    assert table['BillingModeSummary']['BillingMode'] == 'PAY_PER_REQUEST'
    ttl = dynamodb_client.describe_time_to_live(TableName='rc-new')['TimeToLiveDescription']
    assert ttl == {'TimeToLiveStatus': 'ENABLED', 'AttributeName': 'ttl'}


def test_ttl_attribute_includes_offset(dynamodb_client, table):
    """The ttl attribute is the expiry time plus ttl_offset, in epoch seconds."""
    storage = DynamoDbStorage(dynamodb_client, table, 'ttl-test', ttl_offset=60)
    expires = utcnow() + timedelta(seconds=30)
    storage.set('k', b'v', expires)
    key = {'namespace': {'S': 'ttl-test'}, 'key': {'S': 'k'}}
    item = dynamodb_client.get_item(TableName=table, Key=key)['Item']
    assert int(item['ttl']['N']) == int((expires + timedelta(seconds=60)).timestamp())
    storage.clear()


def test_oversized_item_is_skipped_and_logged(dynamodb_client, table, caplog):
    """A value over the 400 KB item limit is not stored and a warning says why."""
    storage = DynamoDbStorage(dynamodb_client, table, 'big')
    with caplog.at_level(logging.WARNING):
        storage['big'] = b'x' * (1024 * 1024)
    assert 'big' not in storage
    assert any('item limit' in record.getMessage() for record in caplog.records)


def test_long_keys_are_hashed_and_kept(dynamodb_client, table):
    """Keys over the 1024-byte sort key limit are stored under a hash and listed as themselves."""
    storage = DynamoDbStorage(dynamodb_client, table, 'long')
    key = 'ключ' * 300
    storage[key] = b'v'
    assert storage[key] == b'v' and list(storage) == [key]
    storage.clear()


def test_paginated_listing(dynamodb_client, table):
    """Listing and counting follow query pages past the first one."""
    storage = DynamoDbStorage(dynamodb_client, table, 'pages')
    storage.page_size = 7
    pages = []
    dynamodb_client.meta.events.register('after-call.dynamodb.Query', lambda **kw: pages.append(1))
    for i in range(30):
        storage[f'k{i}'] = b'v'
    assert len(storage) == 30 and len(set(storage)) == 30
    assert len(pages) >= 10
    storage.clear()


def test_unreachable_endpoint(aws_credentials):
    """An unreachable endpoint is a miss by default, and a StorageError with strict=True."""
    kwargs = {'endpoint_url': 'http://127.0.0.1:1', **aws_credentials}
    cache = DynamoDbCache('x', **kwargs)
    assert cache.get_response('k') is None and cache.breaker.failures == 2
    with pytest.raises(StorageError):
        DynamoDbCache('x', strict=True, **kwargs)


@pytest.fixture
def slow_dynamodb():
    """A loopback endpoint that answers every DynamoDB call correctly but 0.3 s late: slower
    than a request's fail-fast read timeout, within the one for whole-collection operations."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    answers = {'DynamoDB_20120810.Query': {'Count': 0, 'ScannedCount': 0, 'Items': []}}
    late = threading.Event()  # never set: each answer waits out its delay

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get('Content-Length', 0)))
            late.wait(0.3)
            target = self.headers.get('X-Amz-Target', '')
            body = json.dumps(answers.get(target, {})).encode()
            self.send_response(200)
            self.send_header('Content-Type', 'application/x-amz-json-1.0')
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{server.server_address[1]}'
    server.shutdown()
    server.server_close()


def test_listing_and_clearing_wait_longer_than_a_request_does(slow_dynamodb, aws_credentials):
    """A cache that made its own client fails a request's read fast, but lists and clears a
    collection on a server slower than that: those are on no request's path."""
    import time

    cache = DynamoDbCache(
        'slow', endpoint_url=slow_dynamodb, create_table=False, strict=True, **aws_credentials
    )
    assert list(cache.responses) == [] and len(cache.responses) == 0
    cache.responses.clear()
    started = time.monotonic()
    with pytest.raises(StorageError, match='timeout'):
        cache.responses['key']
    assert time.monotonic() - started < 0.3
    cache.close()
