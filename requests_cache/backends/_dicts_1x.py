"""requests-cache 1.x storage classes (``SQLiteDict``, ``RedisDict``, ``FileDict``...).

In 1.x each backend module had a dict-like class for one table, collection or directory, built
from a path or a connection, whose values went through its own ``serializer``. Here each is a
`LegacyDict`: that 1.x constructor, over the same storage our backend uses for the same place,
with 1.x's value handling:

* a `CachedResponse` is serialized (with ``serializer``, or the default format) and read back as
  a response whose ``cache_key`` is its key;
* text and bytes are stored as they are;
* with ``serializer='pickle'`` (or another unsafe pipeline), any other picklable value is
  pickled; without it, values the storage cannot hold are refused with a `TypeError`, since
  unpickling what others can write runs their code.

The backends' own caches keep their storages (``cache.responses``) as blobs; these classes are for
1.x code that builds storages by hand.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Optional, Union

from ..models import CachedResponse
from ..serializers import DecodeError, SerializerPipeline, init_serializer
from .storage import BaseStorage

__all__ = [
    'MEMORY_URI',
    'DynamoDbDict',
    'FileDict',
    'GridFSDict',
    'LRUDict',
    'LRUFileDict',
    'LegacyDict',
    'MongoDict',
    'RedisDict',
    'RedisHashDict',
    'SQLiteDict',
]

logger = logging.getLogger(__name__)

#: ``db_path`` of an in-memory ``SQLiteDict`` (1.x value).
MEMORY_URI = 'file::memory:?cache=shared'
# A pickled value that is not a response: only written, and read, with an unsafe serializer.
_PICKLED = b'rc/pyobj-pickle/1\n'
# Text, stored as UTF-8 bytes: Redis and the other network stores hand bytes back.
_TEXT = b'rc/text/1\n'


class LegacyDict(BaseStorage):
    """A requests-cache 1.x storage: one of our storages, with 1.x's value handling.

    Other attributes (``db_path``, ``connection``, ``table_name``...) are the storage's.

    Args:
        storage: The storage that holds the values.
        serializer: How responses (and, if unsafe, other objects) are encoded; None for the
            default format.
    """

    def __init__(self, storage: BaseStorage, serializer: Any = None) -> None:
        self.storage = storage
        self.serializer: SerializerPipeline = init_serializer(serializer)

    def __getitem__(self, key: str) -> Any:
        return self._decode(key, self.storage[key])

    def __setitem__(self, key: str, value: Any) -> None:
        self.storage[key] = self._encode(key, value)

    def __delitem__(self, key: str) -> None:
        del self.storage[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.storage)

    def __len__(self) -> int:
        return len(self.storage)

    def __contains__(self, key: object) -> bool:
        return key in self.storage

    def values(self) -> Any:  # the plain mapping views, over decoded values
        """The values, decoded as ``self[key]`` decodes them."""
        return [self[key] for key in list(self) if key in self]

    def items(self) -> Any:
        """``(key, value)`` pairs, decoded as ``self[key]`` decodes them."""
        return [(key, self[key]) for key in list(self) if key in self]

    def bulk_delete(self, keys: Iterable[str]) -> None:
        """Delete several keys; missing keys are ignored."""
        self.storage.bulk_delete(keys)

    def clear(self) -> None:
        """Delete everything in this storage."""
        self.storage.clear()

    def close(self) -> None:
        """Close the storage's connections."""
        self.storage.close()

    def __getattr__(self, name: str) -> Any:
        if name == 'storage':  # not set yet: __init__ failed
            raise AttributeError(name)
        return getattr(self.storage, name)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LegacyDict) and dict(self.items()) == dict(other.items())

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return str(list(self))

    def sorted(
        self,
        key: str = 'expires',
        reversed: bool = False,
        limit: Optional[int] = None,
        expired: bool = True,
    ) -> Iterator[Any]:
        """Values in order of ``'expires'`` (responses' expiry, never-expiring and other values
        first, as in 1.x), ``'size'`` (bytes stored) or ``'key'``; at most ``limit``; with
        ``expired=False`` expired responses are left out (1.x method).

        Raises:
            ValueError: ``key`` is not one of those.
        """
        if key not in ('expires', 'size', 'key'):
            raise ValueError(f'sort key {key!r} is not valid; allowed: expires, key, size')
        rows = []
        for name in list(self):
            stored = self.storage.get(name)
            if stored is None:
                continue
            value = self._decode(name, stored)
            if not expired and isinstance(value, CachedResponse) and value.is_expired:
                continue
            rows.append((_sort_value(key, name, stored, value), value))
        rows.sort(key=lambda row: row[0], reverse=reversed)
        yield from (value for _, value in (rows[:limit] if limit else rows))

    def _encode(self, key: str, value: Any) -> Any:
        if isinstance(value, CachedResponse):
            return self.serializer.dumps(value, key)
        if isinstance(value, str):  # marked, so it reads back as text where storage gives bytes
            return _TEXT + value.encode('utf-8', 'surrogatepass')
        if isinstance(value, bytes) or value is None:
            return value
        if not self.serializer.safe:
            return _PICKLED + pickle.dumps(value, protocol=5)
        return value  # the storage decides: files and documents hold dicts, SQLite refuses them

    def _decode(self, key: str, stored: Any) -> Any:
        if isinstance(stored, bytes) and stored.startswith(_TEXT):
            return stored[len(_TEXT) :].decode('utf-8', 'surrogatepass')
        if isinstance(stored, bytes) and stored.startswith(_PICKLED):
            if self.serializer.safe:
                raise TypeError(f'{key!r} holds a pickled object; read it with serializer="pickle"')
            return pickle.loads(stored[len(_PICKLED) :])
        try:
            response = self.serializer.loads(stored, key)
        except DecodeError:
            return stored  # text, bytes or a document that was stored as it is
        response.cache_key = key
        return response


def _sort_value(key: str, name: str, stored: Any, value: Any) -> Any:
    if key == 'key':
        return name
    if key == 'size':
        return len(stored) if isinstance(stored, (bytes, str)) else 0
    expires = value.expires if isinstance(value, CachedResponse) else None
    return (expires is not None, expires.timestamp() if expires else 0)


def _sqlite_storage(
    db_path: Union[str, Path],
    table_name: str,
    use_cache_dir: bool,
    use_temp: bool,
    use_memory: bool,
    wal: bool,
    fast_save: bool,
    busy_timeout: Optional[float],
    kwargs: dict[str, Any],
) -> tuple[BaseStorage, Union[str, Path]]:
    from .sqlite import SQLiteConnections, SQLiteStorage, sqlite_path

    kwargs.pop('lock', None)  # each thread has its own connection; no shared lock is needed
    if kwargs.pop('isolation_level', None):
        logger.warning('SQLite writes run in their own transactions; isolation_level is ignored')
    connect_kwargs = {k: v for k, v in kwargs.items() if k in _SQLITE_CONNECT}
    memory = use_memory or ':memory:' in str(db_path) or 'mode=memory' in str(db_path)
    path = None if memory else sqlite_path(db_path, use_temp, use_cache_dir)
    connections = SQLiteConnections(
        path,
        wal,
        busy_timeout if busy_timeout is not None else 1.0,
        synchronous='OFF' if fast_save else 'NORMAL',
        **connect_kwargs,
    )
    shown = MEMORY_URI if use_memory else (str(db_path) if memory else path)
    return SQLiteStorage(connections, table_name), shown  # type: ignore[return-value]


_SQLITE_CONNECT = ('timeout', 'detect_types', 'factory', 'cached_statements')


class SQLiteDict(LegacyDict):
    """One table of a SQLite database (1.x class).

    Args:
        db_path: Database path (``.sqlite`` added when it has no suffix), or ``':memory:'``.
        table_name: The table.
        busy_timeout: Seconds a statement waits for a lock.
        fast_save: ``synchronous=OFF``: faster writes that a power loss may undo.
        serializer: See `LegacyDict`.
        use_cache_dir: Put the file in the user's cache directory.
        use_memory: Keep the database in memory.
        use_temp: Put the file in the system temp directory.
        wal: Use write-ahead logging.
        kwargs: `sqlite3.connect` arguments; others are ignored, as in 1.x.
    """

    def __init__(
        self,
        db_path: Union[str, Path],
        table_name: str = 'http_cache',
        busy_timeout: Optional[float] = None,
        fast_save: bool = False,
        serializer: Any = None,
        use_cache_dir: bool = False,
        use_memory: bool = False,
        use_temp: bool = False,
        wal: bool = False,
        **kwargs: Any,
    ) -> None:
        storage, shown = _sqlite_storage(
            db_path, table_name, use_cache_dir, use_temp, use_memory, wal, fast_save,
            busy_timeout, kwargs,
        )  # fmt: skip
        super().__init__(storage, serializer)
        #: The database file (or `MEMORY_URI` / the memory URI given).
        self.db_path = shown
        self.table_name = table_name

    def size(self) -> int:
        """The size of the database in bytes (pages in use, for an in-memory one)."""
        rows = self.storage.connections.read('PRAGMA page_count')  # type: ignore[attr-defined]
        size = self.storage.connections.read('PRAGMA page_size')  # type: ignore[attr-defined]
        return int(rows[0][0]) * int(size[0][0])

    def vacuum(self) -> None:
        """Rebuild the database file to return the space of deleted rows to the filesystem."""
        from ._cache_1x import vacuum_storage

        vacuum_storage(self.storage)


class LRUDict(SQLiteDict):
    """A SQLite table of sizes by key (1.x class, the index of 1.x's ``LRUFileDict``).

    Our bounded file cache keeps recency itself; this class is kept for code that used it as a
    plain table.
    """

    def total_size(self) -> int:
        """The sum of the stored sizes."""
        return sum(int(self[key]) for key in list(self) if key in self)


class FileDict(LegacyDict):
    """Values as files in one directory (1.x class).

    Args:
        cache_name: Directory path.
        use_temp: Put it in the system temp directory.
        use_cache_dir: Put it in the user's cache directory.
        extension: Accepted for 1.x callers; our files hold a checked frame, not the raw value.
        serializer: See `LegacyDict`.
        kwargs: Limits of the 1.x LRU variant (``max_cache_bytes``...) go to `LRUFileDict`.
    """

    def __init__(
        self,
        cache_name: Union[str, Path],
        use_temp: bool = False,
        use_cache_dir: bool = False,
        extension: Optional[str] = None,
        serializer: Any = None,
        max_size: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        from .eviction import SizeLimits
        from .filesystem import FileStorage
        from .sqlite_paths import cache_path

        directory = cache_path(cache_name, use_temp, use_cache_dir)
        super().__init__(FileStorage(directory, SizeLimits.create(None, max_size)), serializer)
        self.cache_dir = directory

    def paths(self) -> list[Path]:
        """The files of every stored value."""
        return self.storage.paths()  # type: ignore[no-any-return, attr-defined]

    def size(self) -> int:
        """The bytes the files take."""
        return sum(path.stat().st_size for path in self.paths())


class LRUFileDict(FileDict):
    """A `FileDict` that evicts least recently used files past ``max_cache_bytes`` (1.x class).

    Args:
        cache_name: Directory path.
        max_cache_bytes: Evict when the files take more bytes than this.
        kwargs: `FileDict` arguments; ``block_bytes``, ``max_file_bytes``, ``sync_index`` and
            ``lock`` are accepted for 1.x callers (sizes are file bytes, recency is kept in
            memory, and writes are atomic renames).
    """

    def __init__(
        self, cache_name: Union[str, Path], max_cache_bytes: Optional[int] = None, **kwargs: Any
    ) -> None:
        for name in ('block_bytes', 'max_file_bytes', 'sync_index', 'lock'):
            kwargs.pop(name, None)
        super().__init__(cache_name, max_size=max_cache_bytes, **kwargs)


class RedisDict(LegacyDict):
    """Values under one key prefix of a Redis database (1.x class).

    Args:
        namespace: First key prefix (the cache name).
        collection_name: Second key prefix (1.x default: none).
        connection: An existing redis client; by default one is made from ``kwargs``.
        serializer: See `LegacyDict`.
        ttl: Let Redis expire entries that have an expiry time.
        kwargs: `redis.Redis` arguments.
    """

    def __init__(
        self,
        namespace: str = 'http_cache',
        collection_name: Optional[str] = None,
        connection: Any = None,
        serializer: Any = None,
        ttl: bool = True,
        **kwargs: Any,
    ) -> None:
        from .redis import RedisStorage, redis_client_kwargs

        if connection is None:
            accepted = redis_client_kwargs()  # raises MissingDependencyError without redis-py
            from redis import Redis

            connection = Redis(**{k: v for k, v in kwargs.items() if k in accepted})
        super().__init__(RedisStorage(connection, namespace, collection_name or 'default', ttl))
        self.serializer = init_serializer(serializer)
        self.connection = connection
        self.namespace = namespace


class RedisHashDict(RedisDict):
    """Values of one named collection in a Redis database (1.x class: one hash; here the same
    key prefixes as `RedisDict`, so entries can expire one by one)."""


class MongoDict(LegacyDict):
    """Documents of one MongoDB collection (1.x class).

    Args:
        db_name: Database name.
        collection_name: Collection name.
        connection: An existing `MongoClient`; by default one is made from ``kwargs``.
        serializer: See `LegacyDict`.
        kwargs: `MongoClient` arguments.
    """

    def __init__(
        self,
        db_name: str,
        collection_name: str = 'http_cache',
        connection: Any = None,
        serializer: Any = None,
        **kwargs: Any,
    ) -> None:
        from .mongodb import MongoStorage, connect

        connection = connect(connection, kwargs)
        super().__init__(MongoStorage(connection[db_name][collection_name]), serializer)
        self.connection = connection


class GridFSDict(LegacyDict):
    """Values as files in a MongoDB GridFS bucket (1.x class).

    Args:
        db_name: Database name.
        collection_name: Bucket name.
        connection: An existing `MongoClient`; by default one is made from ``kwargs``.
        serializer: See `LegacyDict`.
        kwargs: `MongoClient` arguments.
    """

    def __init__(
        self,
        db_name: str,
        collection_name: str = 'http_cache',
        connection: Any = None,
        serializer: Any = None,
        **kwargs: Any,
    ) -> None:
        from .gridfs import GridFSStorage
        from .mongodb import connect

        connection = connect(connection, kwargs)
        super().__init__(GridFSStorage(connection[db_name], collection_name), serializer)
        self.connection = connection


class DynamoDbDict(LegacyDict):
    """Items of one namespace of a DynamoDB table (1.x class).

    Args:
        table_name: The table; created if it does not exist (``create_table``).
        namespace: Partition key value separating the storages of one table.
        region_name: AWS region.
        connection: An existing boto3 client or resource; by default one is made.
        serializer: See `LegacyDict`.
        create_table: Create the table if it does not exist.
        ttl: Set DynamoDB's TTL attribute from expiry times.
        kwargs: `boto3.Session` arguments, and ``endpoint_url``.
    """

    def __init__(
        self,
        table_name: str,
        namespace: str = 'http_cache',
        region_name: str = 'us-east-1',
        connection: Any = None,
        serializer: Any = None,
        create_table: bool = True,
        ttl: bool = True,
        **kwargs: Any,
    ) -> None:
        from .dynamodb import DynamoDbCache, DynamoDbStorage

        cache = DynamoDbCache(
            table_name,
            connection=connection,
            create_table=create_table,
            region_name=region_name,
            **kwargs,
        )
        super().__init__(DynamoDbStorage(cache.connection, table_name, namespace, ttl), serializer)
        self.connection = cache.connection
        self.table_name = table_name
        self.namespace = namespace
