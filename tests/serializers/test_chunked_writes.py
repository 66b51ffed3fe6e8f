"""Chunked writes through real caches: the stored value is the one a plain write stores."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from serializer_samples import SECRET, make_response

from requests_cache.backends.base import BaseCache
from requests_cache.backends.filesystem import FileCache, FileStorage
from requests_cache.backends.memory import MemoryCache
from requests_cache.backends.sqlite import SQLiteCache, SQLiteStorage
from requests_cache.errors import StorageError
from requests_cache.models import CachedResponse
from requests_cache.serializers import chunks as chunks_module
from requests_cache.serializers.chunks import CHUNK_SIZE, FileBlob, attach_body, new_spool

BODY = bytes(range(256)) * (CHUNK_SIZE // 256) + b'tail'  # just over one chunk
FORMATS = {'binary': {}, 'zlib+hmac': {'compress': 'zlib', 'secret_key': SECRET}}


@pytest.fixture(autouse=True)
def _stream_every_body(monkeypatch: pytest.MonkeyPatch) -> None:
    """Take the chunked path for bodies of any size, so the tests stay small and fast."""
    monkeypatch.setattr(chunks_module, 'INLINE_BODY_LIMIT', 0)


def make_cache(backend: str, location: Path, **kwargs: Any) -> BaseCache:
    """A cache of the given backend at ``location``."""
    if backend == 'sqlite':
        return SQLiteCache(location / 'cache.sqlite', **kwargs)
    if backend == 'filesystem':
        return FileCache(location / 'files', **kwargs)
    return MemoryCache(**kwargs)


def save_streamed(cache: BaseCache, body: bytes = BODY, size: int = -1) -> None:
    """Save the sample response with ``body`` attached from a spool claiming ``size`` bytes."""
    response = make_response(body=b'')
    with new_spool() as spool:
        spool.write(body)
        attach_body(response, FileBlob(spool, len(body) if size < 0 else size))
        cache.save_response(response, 'key-1')


def serializer_for(name: str) -> Any:
    """The serializer for a FORMATS name."""
    from requests_cache.serializers import init_serializer

    return init_serializer('binary', **FORMATS[name])


@pytest.mark.parametrize('fmt', FORMATS)
@pytest.mark.parametrize('backend', ['sqlite', 'filesystem', 'memory'])
def test_chunked_write_stores_the_same_value_as_a_plain_write(backend, fmt, tmp_path):
    """A body written in chunks is stored byte for byte as a plain write stores it, and reads
    back as the same response."""
    plain = make_cache(backend, tmp_path / 'plain', serializer=serializer_for(fmt))
    chunked = make_cache(backend, tmp_path / 'chunked', serializer=serializer_for(fmt))
    plain.save_response(make_response(body=BODY), 'key-1')
    save_streamed(chunked)
    assert chunked.responses['key-1'] == plain.responses['key-1']
    if backend == 'filesystem':
        assert isinstance(chunked.responses, FileStorage) and isinstance(
            plain.responses, FileStorage
        )
        chunked_file = chunked.responses.path_for('key-1').read_bytes()
        assert chunked_file == plain.responses.path_for('key-1').read_bytes()
    loaded = chunked.get_response('key-1')
    assert isinstance(loaded, CachedResponse) and loaded.content == BODY
    plain.close()
    chunked.close()


def test_sqlite_chunked_write_keeps_expiry_and_size_columns(tmp_path):
    """The indexed expires and size columns are those of a plain write."""
    plain = SQLiteCache(tmp_path / 'plain.sqlite')
    chunked = SQLiteCache(tmp_path / 'chunked.sqlite')
    plain.save_response(make_response(body=BODY), 'key-1')
    save_streamed(chunked)
    sql = 'SELECT expires, size, LENGTH(value) FROM responses'
    assert chunked.connections.read(sql) == plain.connections.read(sql)
    plain.close()
    chunked.close()


def test_sqlite_writes_chunks_through_blob_io(tmp_path, monkeypatch):
    """On Python 3.11+ a new table takes the chunked write, never the whole-value set()."""
    if not hasattr(sqlite3.Connection, 'blobopen'):
        pytest.skip('Connection.blobopen is Python 3.11+')

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError('set() was called with the whole blob')

    monkeypatch.setattr(SQLiteStorage, 'set', refuse)
    cache = SQLiteCache(tmp_path / 'cache.sqlite')
    save_streamed(cache)
    assert cache.get_response('key-1').content == BODY  # type: ignore[union-attr]
    cache.close()


def test_filesystem_writes_chunks_without_set(tmp_path, monkeypatch):
    """The filesystem backend takes the chunked write, never the whole-value set()."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError('set() was called with the whole blob')

    monkeypatch.setattr(FileStorage, 'set', refuse)
    cache = FileCache(tmp_path / 'files')
    save_streamed(cache)
    assert cache.get_response('key-1').content == BODY  # type: ignore[union-attr]


def test_sqlite_table_with_value_in_the_middle_falls_back_to_a_plain_write(tmp_path, caplog):
    """A table created before value became the last column is written in memory, with a log,
    because SQLite would build a zeroblob in the middle of a row in memory anyway."""
    path = tmp_path / 'old.sqlite'
    with sqlite3.connect(path) as connection:
        connection.execute(
            'CREATE TABLE responses (key TEXT PRIMARY KEY, value BLOB NOT NULL, '
            'expires REAL, size INTEGER, accessed REAL)'
        )
    connection.close()
    cache = SQLiteCache(path)
    with caplog.at_level(logging.DEBUG, logger='requests_cache'):
        save_streamed(cache)
    assert 'in memory' in caplog.text
    assert cache.get_response('key-1').content == BODY  # type: ignore[union-attr]
    cache.close()


@pytest.mark.parametrize('backend', ['sqlite', 'filesystem'])
def test_chunked_blob_over_max_response_size_is_not_stored(backend, tmp_path, caplog):
    """The size limit applies to chunked writes too, logged at DEBUG."""
    cache = make_cache(backend, tmp_path, max_response_size=len(BODY))
    with caplog.at_level(logging.DEBUG, logger='requests_cache'):
        save_streamed(cache)
    assert 'key-1' not in cache.responses
    assert 'over max_response_size' in caplog.text
    cache.close()


@pytest.mark.parametrize('backend', ['sqlite', 'filesystem'])
def test_spool_shorter_than_claimed_stores_nothing(backend, tmp_path):
    """Chunks that do not add up to the blob's size fail the write (StorageError when strict)
    and leave nothing behind: no row of zeros, no partial file."""
    cache = make_cache(backend, tmp_path, strict=True)
    with pytest.raises(StorageError):
        save_streamed(cache, size=len(BODY) + 10)
    assert 'key-1' not in cache.responses
    assert len(cache.responses) == 0
    cache.close()
