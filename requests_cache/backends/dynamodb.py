"""DynamoDB storage: one table, partitioned by collection (``responses`` or ``redirects``).

Items are ``{namespace: S, key: S, value: B|S, ttl: N}``. The sort key is the cache key itself when
it fits DynamoDB's 1024-byte limit, else ``sha256:<hex>`` with the real key kept in ``k``.
Listing a collection is a paginated Query on its partition, never a table scan. DynamoDB removes
items whose ``ttl`` has passed (lazily, within days), so ``ttl`` is set ``ttl_offset`` after expiry
to keep stale entries around for revalidation.

``max_entries`` and ``max_size`` are refused (`LIMITS_REASON`): DynamoDB can neither count a
partition nor order it by last use without a scan, or an extra write per read to a secondary
index. The native TTL is what bounds a DynamoDB cache.

A client the cache makes fails fast (`fail_fast_config`: 0.1 s connect and read timeouts, one
attempt), so an unreachable endpoint costs a request at most one short timeout before the circuit
breaker opens. A client passed in keeps its own configuration (botocore's default waits 60 s and
retries); the cache warns when it would wait longer than ours.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any, Optional, Union

from ..errors import MissingDependencyError, translate_errors
from ..serializers import SerializerPipeline
from .base import BaseCache, BaseStorage
from .eviction import DEFAULT_MAX_RESPONSE_SIZE, reject_limits
from .resilience import FAIL_FAST_TIMEOUT, CircuitBreaker

try:
    # No stubs for boto3/botocore are installed; the client is used through `Any`.
    import boto3  # type: ignore[import-untyped]
    from botocore.config import Config  # type: ignore[import-untyped]
    from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

    _import_error: Optional[ImportError] = None
except ImportError as exc:  # the extra is optional: fail when the backend is used, not imported
    _import_error = exc

__all__ = [
    'LIMITS_REASON',
    'DynamoDbCache',
    'DynamoDbStorage',
    'create_cache_table',
    'fail_fast_config',
]

logger = logging.getLogger(__name__)

#: DynamoDB's item size limit; we leave room for attribute names and the key.
MAX_ITEM_SIZE = 400 * 1024
_MAX_SORT_KEY = 1024
DEFAULT_TTL_OFFSET = timedelta(hours=1)
#: Seconds the table setup (``create_table=True``) and whole-collection operations (listing,
#: counting, `clear`) of a cache that made its own client may wait for a reply; connecting still
#: fails fast. None of them is on a request's path.
SETUP_READ_TIMEOUT = 1.0
#: Why DynamoDB refuses ``max_entries`` and ``max_size``.
LIMITS_REASON = (
    'DynamoDB cannot count a partition or find its least recently used items without a scan '
    '(or a secondary index that every read would have to write to); expired responses are '
    'removed by the native TTL (ttl=True, the table\'s "ttl" attribute), so set expire_after '
    'to bound how long responses are kept'
)
_SESSION_KWARGS = (
    'aws_access_key_id',
    'aws_secret_access_key',
    'aws_session_token',
    'region_name',
    'profile_name',
    'botocore_session',
)


def _require_boto3() -> None:
    if _import_error is not None:
        raise MissingDependencyError('The dynamodb backend', 'dynamodb', 'boto3') from _import_error


def _errors() -> Any:
    return translate_errors('dynamodb', BotoCoreError, ClientError)


def fail_fast_config() -> Any:
    """A botocore ``Config`` with the cache's short timeouts and no retries: give it to a client
    you make for `DynamoDbCache` (``boto3.client('dynamodb', config=fail_fast_config())``).

    Raises:
        MissingDependencyError: boto3 is not installed.
    """
    _require_boto3()
    return Config(
        connect_timeout=FAIL_FAST_TIMEOUT,
        read_timeout=FAIL_FAST_TIMEOUT,
        retries={'total_max_attempts': 1, 'mode': 'standard'},
    )


def _warn_if_slow(client: Any) -> None:
    """Warn when a client passed in would make requests wait long while DynamoDB is down."""
    config = getattr(getattr(client, 'meta', None), 'config', None)
    if config is None:
        return
    attempts = (config.retries or {}).get('total_max_attempts')
    if attempts is None:
        max_attempts = (config.retries or {}).get('max_attempts')
        attempts = None if max_attempts is None else max_attempts + 1
    slow = [
        f'{name}={value}'
        for name, value in (
            ('connect_timeout', config.connect_timeout),
            ('read_timeout', config.read_timeout),
        )
        if value is None or value > FAIL_FAST_TIMEOUT
    ]
    if attempts != 1:
        slow.append(f'attempts={attempts or "botocore default"}')
    if slow:
        logger.warning(
            'DynamoDB backend: the client passed as connection= has %s, so a request may wait '
            'that long (per call) while DynamoDB is unreachable. Make it with '
            'config=requests_cache.backends.dynamodb.fail_fast_config(), or pass '
            'fail_fast=False to keep it without this warning',
            ', '.join(slow),
        )


class DynamoDbStorage(BaseStorage):
    """One collection of a DynamoDB table.

    Args:
        client: A boto3 DynamoDB client.
        table_name: The table, which must exist (see `create_cache_table`).
        namespace: Partition key value separating the storages of one cache.
        ttl: Set the ``ttl`` attribute from the expiry time.
        ttl_offset: How long after going stale an entry is kept for revalidation.
        bulk_client: The client for whole-collection queries (listing, counting, `clear`),
            which read many items and are on no request's path; by default ``client``.
    """

    def __init__(
        self,
        client: Any,
        table_name: str = 'http_cache',
        namespace: str = 'responses',
        ttl: bool = True,
        ttl_offset: Union[int, float, timedelta] = DEFAULT_TTL_OFFSET,
        bulk_client: Any = None,
    ) -> None:
        _require_boto3()
        self.client = client
        self.bulk_client = client if bulk_client is None else bulk_client
        self.table_name = table_name
        self.namespace = namespace
        self.ttl = ttl
        #: Items per query page; None lets DynamoDB fill 1 MB pages.
        self.page_size: Optional[int] = None
        self.ttl_offset = (
            ttl_offset if isinstance(ttl_offset, timedelta) else timedelta(seconds=ttl_offset)
        )

    def _item_key(self, key: str) -> dict[str, Any]:
        encoded = key.encode('utf-8', 'surrogatepass')
        sort_key = key if len(encoded) <= _MAX_SORT_KEY else _hashed(encoded)
        return {'namespace': {'S': self.namespace}, 'key': {'S': sort_key}}

    def __getitem__(self, key: str) -> Any:
        with _errors():
            response = self.client.get_item(
                TableName=self.table_name, Key=self._item_key(key), ConsistentRead=True
            )
        item = response.get('Item')
        if item is None or item.get('k', item['key'])['S'] != key:
            raise KeyError(key)
        value = item['value']
        return value['B'] if 'B' in value else value['S']

    def __setitem__(self, key: str, value: Any) -> None:
        self.set(key, value)

    def set(self, key: str, value: Any, expires: Optional[datetime] = None) -> None:
        """Store a value; items over DynamoDB's 400 KB limit are skipped with a warning."""
        item = self._item_key(key)
        if isinstance(value, (bytes, bytearray, memoryview)):
            item['value'] = {'B': bytes(value)}
        else:
            item['value'] = {'S': str(value)}
        if item['key']['S'] != key:
            item['k'] = {'S': key}
        size = len(next(iter(item['value'].values()))) + len(key.encode('utf-8', 'surrogatepass'))
        if size > MAX_ITEM_SIZE - 1024:
            logger.warning(
                'Not storing %s in DynamoDB: %d bytes is over the %d-byte item limit',
                key,
                size,
                MAX_ITEM_SIZE,
            )
            return
        if self.ttl and expires is not None:
            item['ttl'] = {'N': str(int((expires + self.ttl_offset).timestamp()))}
        with _errors():
            self.client.put_item(TableName=self.table_name, Item=item)

    def __delitem__(self, key: str) -> None:
        with _errors():
            response = self.client.delete_item(
                TableName=self.table_name, Key=self._item_key(key), ReturnValues='ALL_OLD'
            )
        if 'Attributes' not in response:
            raise KeyError(key)

    def _query(self, keys_only: bool) -> Iterator[dict[str, Any]]:
        # `key` is a reserved word, so the projection names it through a placeholder; DynamoDB
        # rejects placeholders an expression does not use, hence two shapes.
        names = {'#ns': 'namespace'}
        if keys_only:
            names['#key'] = 'key'
            shape: dict[str, Any] = {'ProjectionExpression': '#key, k'}
        else:
            shape = {'Select': 'COUNT'}
        if self.page_size:
            shape['PaginationConfig'] = {'PageSize': self.page_size}
        paginator = self.bulk_client.get_paginator('query')
        with _errors():
            yield from paginator.paginate(
                TableName=self.table_name,
                KeyConditionExpression='#ns = :ns',
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={':ns': {'S': self.namespace}},
                ConsistentRead=True,
                **shape,
            )

    def __iter__(self) -> Iterator[str]:
        keys: list[str] = []
        for page in self._query(keys_only=True):
            keys.extend(item.get('k', item['key'])['S'] for item in page['Items'])
        return iter(keys)

    def __len__(self) -> int:
        return sum(page['Count'] for page in self._query(keys_only=False))

    def bulk_delete(self, keys: Iterable[str]) -> None:
        """Delete many keys in batches of 25 (DynamoDB's limit), retrying unprocessed ones."""
        self._delete_batches(keys, self.client)

    def clear(self) -> None:
        """Delete every item of this collection."""
        self._delete_batches(list(self), self.bulk_client)

    def _delete_batches(self, keys: Iterable[str], client: Any) -> None:
        unique = list(dict.fromkeys(keys))
        requests = [{'DeleteRequest': {'Key': self._item_key(key)}} for key in unique]
        for start in range(0, len(requests), 25):
            pending = {self.table_name: requests[start : start + 25]}
            while pending:
                with _errors():
                    response = client.batch_write_item(RequestItems=pending)
                pending = response.get('UnprocessedItems') or {}

    def __repr__(self) -> str:
        return f'<DynamoDbStorage {self.table_name}/{self.namespace}>'


def _hashed(encoded_key: bytes) -> str:
    return 'sha256:' + hashlib.sha256(encoded_key).hexdigest()


def create_cache_table(client: Any, table_name: str) -> None:
    """Create the cache table (on-demand billing, TTL on ``ttl``) unless it exists.

    Args:
        client: A boto3 DynamoDB client.
        table_name: The table to create.

    Raises:
        StorageError: DynamoDB refused the request.
    """
    with _errors():
        try:
            client.create_table(
                TableName=table_name,
                AttributeDefinitions=[
                    {'AttributeName': 'namespace', 'AttributeType': 'S'},
                    {'AttributeName': 'key', 'AttributeType': 'S'},
                ],
                KeySchema=[
                    {'AttributeName': 'namespace', 'KeyType': 'HASH'},
                    {'AttributeName': 'key', 'KeyType': 'RANGE'},
                ],
                BillingMode='PAY_PER_REQUEST',
            )
        except ClientError as exc:
            if exc.response.get('Error', {}).get('Code') != 'ResourceInUseException':
                raise
            return  # another process created it; its TTL setting is its own
        logger.debug('Created DynamoDB table %s', table_name)
        client.get_waiter('table_exists').wait(
            TableName=table_name, WaiterConfig={'Delay': 1, 'MaxAttempts': 60}
        )
        client.update_time_to_live(
            TableName=table_name, TimeToLiveSpecification={'Enabled': True, 'AttributeName': 'ttl'}
        )


class DynamoDbCache(BaseCache):
    """Responses and redirects in one DynamoDB table.

    Args:
        table_name: The table (the ``cache_name``).
        connection: An existing boto3 DynamoDB client (or resource); by default one is made.
        serializer: A serializer name or pipeline.
        create_table: Create the table if it does not exist.
        ttl: Set DynamoDB's TTL attribute from expiry times.
        ttl_offset: Seconds (or a timedelta) a stale entry is kept for revalidation.
        endpoint_url: A DynamoDB endpoint other than AWS's (DynamoDB Local, moto).
        strict: Raise `StorageError` instead of failing open when the server fails.
        fail_fast: Make the client with `fail_fast_config` and warn about a slow one passed in;
            False keeps botocore's defaults (or the client as it is) without a warning.
        max_entries: Not supported (see `LIMITS_REASON`); only None is accepted.
        max_size: Not supported (see `LIMITS_REASON`); only None is accepted.
        max_response_size: Do not store a response whose blob is larger than this many bytes.
        kwargs: `boto3.Session` arguments (``region_name``, ``aws_access_key_id``...).

    Raises:
        MissingDependencyError: boto3 is not installed.
        ConfigurationError: ``max_entries`` or ``max_size`` is set.
    """

    backend_kwargs = (
        'strict',
        'connection',
        'create_table',
        'ttl',
        'ttl_offset',
        'endpoint_url',
        'fail_fast',
        'max_entries',
        'max_size',
        'max_response_size',
        *_SESSION_KWARGS,
    )

    def __init__(
        self,
        table_name: str = 'http_cache',
        connection: Any = None,
        serializer: Union[str, SerializerPipeline, None] = None,
        create_table: bool = True,
        ttl: bool = True,
        ttl_offset: Union[int, float, timedelta] = DEFAULT_TTL_OFFSET,
        endpoint_url: Optional[str] = None,
        strict: bool = False,
        fail_fast: bool = True,
        max_entries: Optional[int] = None,
        max_size: Optional[int] = None,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        **kwargs: Any,
    ) -> None:
        _require_boto3()
        super().__init__(table_name, serializer, **kwargs)
        reject_limits('dynamodb', LIMITS_REASON, max_entries=max_entries, max_size=max_size)
        self._owns_connection = connection is None
        bulk: Any = None
        if connection is None:
            config: Any = fail_fast_config() if fail_fast else None
            with _errors():
                session = boto3.Session(**kwargs)
                connection = session.client('dynamodb', endpoint_url=endpoint_url, config=config)
                if config is not None:
                    # Creating the table, listing and clearing read or wait longer than a
                    # request's own reads, and are on no request's path.
                    bulk_config = config.merge(Config(read_timeout=SETUP_READ_TIMEOUT))
                    bulk = session.client('dynamodb', endpoint_url=endpoint_url, config=bulk_config)
        elif fail_fast:
            _warn_if_slow(getattr(getattr(connection, 'meta', None), 'client', connection))
        # A boto3 resource, as 1.x accepted, carries its client.
        self.connection = getattr(getattr(connection, 'meta', None), 'client', connection)
        self._bulk_connection = bulk
        self.table_name = table_name
        self.responses: DynamoDbStorage = DynamoDbStorage(
            self.connection, table_name, 'responses', ttl, ttl_offset, bulk_client=bulk
        )
        self.redirects: DynamoDbStorage = DynamoDbStorage(
            self.connection, table_name, 'redirects', False, bulk_client=bulk
        )
        self.meta: DynamoDbStorage = DynamoDbStorage(
            self.connection, table_name, 'meta', False, bulk_client=bulk
        )
        # Fail open: an unreachable server is a miss, unless the caller wants errors.
        self.breaker = None if strict else CircuitBreaker('dynamodb')
        self.strict = strict
        self._configure_limits(max_response_size)
        if create_table:
            # Guarded: an unreachable endpoint must not stop the session from being made.
            client = bulk or self.connection
            self._guarded(lambda: create_cache_table(client, table_name), None)

    def close(self) -> None:
        """Write statistics, then close the client's pool if this cache created the client."""
        self.flush_stats()
        if self._owns_connection:
            self.connection.close()
            if self._bulk_connection is not None:
                self._bulk_connection.close()


# requests-cache 1.x storage class, importable from here as in 1.x (defined in _dicts_1x).
from ._dicts_1x import DynamoDbDict as DynamoDbDict  # noqa: E402
