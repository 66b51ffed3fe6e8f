"""The filesystem backend: the contracts, plus file naming, modes, atomicity, temp cleanup,
durability (fsync) and self-checking files."""

from __future__ import annotations

import logging
import os
import stat
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pytest
from base_storage_test import ODD_KEYS, BaseCacheTest, BaseStorageTest, make_response

from requests_cache import CachedSession
from requests_cache.backends import init_backend
from requests_cache.backends.eviction import SizeLimits
from requests_cache.backends.filesystem import _TRAILER, FileCache, FileStorage
from requests_cache.errors import ConfigurationError, StorageError
from requests_cache.serializers.chunks import BytesBlob, ChunkedBlob, JoinedBlob


class TestFileStorage(BaseStorageTest):
    """The storage contract on a directory."""

    @pytest.fixture
    def storage_factory(self, tmp_path):
        """Open one directory."""
        return lambda: FileStorage(tmp_path / 'files')


class TestFileCache(BaseCacheTest):
    """The cache contract on a directory."""

    @pytest.fixture
    def cache_factory(self, tmp_path):
        """Open a cache on one directory."""
        return lambda **kwargs: FileCache(tmp_path / 'cache', **kwargs)


def test_file_names_never_come_from_keys(tmp_path):
    """Every file is a hex digest inside a two-character fan-out directory under the root."""
    storage = FileStorage(tmp_path / 'files')
    for key in ODD_KEYS:
        storage[key] = b'v'
    root = (tmp_path / 'files').resolve()
    for path in storage.paths():
        assert path.resolve().parent.parent == root
        assert len(path.name) == 64 and set(path.name) <= set('0123456789abcdef')
        assert path.parent.name == path.name[:2]
    assert not (tmp_path / 'etc').exists()


def test_private_modes(tmp_path):
    """Entry files are 0600 and the directories we create are 0700, whatever the umask."""
    old = os.umask(0o022)
    try:
        cache = FileCache(tmp_path / 'cache')
        cache.save_response(make_response('k'), 'k')
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / 'cache').stat().st_mode) == 0o700
    (path,) = cache.paths()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_stale_temp_files_removed_at_open(tmp_path):
    """Temp files left by a crashed writer are removed when the storage opens; fresh ones stay."""
    storage = FileStorage(tmp_path / 'files')
    storage['k'] = b'v'
    fan_out = storage.path_for('k').parent
    stale, fresh = fan_out / '.tmp-stale', fan_out / '.tmp-fresh'
    stale.write_bytes(b'partial')
    fresh.write_bytes(b'partial')
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    reopened = FileStorage(tmp_path / 'files')
    assert not stale.exists() and fresh.exists()
    assert list(reopened) == ['k'] and len(reopened) == 1


def test_readers_never_see_partial_files(tmp_path):
    """Concurrent readers of a key being rewritten see one complete value or the other."""
    storage = FileStorage(tmp_path / 'files')
    values = [b'a' * 200_000, b'b' * 300_000]
    storage['k'] = values[0]
    seen = set()
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            seen.add(storage['k'])

    reader = threading.Thread(target=read)
    reader.start()
    for i in range(30):
        storage['k'] = values[i % 2]
    stop.set()
    reader.join()
    assert seen <= set(values)


def test_corrupt_file_is_a_miss(tmp_path):
    """A damaged entry file reads as a missing key and is removed."""
    storage = FileStorage(tmp_path / 'files')
    storage['k'] = b'v'
    storage.path_for('k').write_bytes(b'X')
    with pytest.raises(KeyError):
        storage['k']
    assert not storage.path_for('k').exists()


def test_registered_and_use_temp(monkeypatch, tmp_path):
    """'filesystem' is a backend name, and use_temp places the directory in a private directory
    of the temp dir."""
    import tempfile

    monkeypatch.setattr(tempfile, 'tempdir', str(tmp_path))
    cache = init_backend('files', 'filesystem', use_temp=True)
    private = tmp_path / f'requests-cache-{os.geteuid()}'
    assert isinstance(cache, FileCache) and cache.cache_dir == private / 'files'


# --- durability: fsync ----------------------------------------------------------------------


@pytest.fixture
def disk_syncs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Record, in order, each ``os.fsync`` as ('fsync', inode of the fd) and each ``os.replace``
    as ('replace', inode of the file moved); both still happen."""
    events: list[tuple[str, int]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append(('fsync', os.fstat(fd).st_ino))
        real_fsync(fd)

    def replace(src: Any, dst: Any, **kwargs: Any) -> None:
        events.append(('replace', os.stat(src).st_ino))
        real_replace(src, dst, **kwargs)

    monkeypatch.setattr(os, 'fsync', fsync)
    monkeypatch.setattr(os, 'replace', replace)
    return events


def write_plain(storage: FileStorage, key: str, value: bytes) -> None:
    """Store ``value`` with one plain write."""
    storage[key] = value


def write_chunked(storage: FileStorage, key: str, value: bytes) -> None:
    """Store ``value`` with a chunked write, in two chunks."""
    half = len(value) // 2
    storage.set_chunked(key, JoinedBlob([BytesBlob(value[:half]), BytesBlob(value[half:])]))


WRITES = {'plain': write_plain, 'chunked': write_chunked}


@pytest.mark.parametrize('write', WRITES.values(), ids=list(WRITES))
def test_no_fsync_by_default(tmp_path, disk_syncs, write):
    """By default a write is atomic (a rename) but fsyncs nothing, like SQLite's NORMAL."""
    storage = FileStorage(tmp_path / 'files')
    write(storage, 'k', b'v' * 1000)
    write(storage, 'k', b'w' * 1000)
    assert [name for name, _ in disk_syncs] == ['replace', 'replace']
    assert storage['k'] == b'w' * 1000


@pytest.mark.skipif(os.name == 'nt', reason='directories cannot be fsynced on Windows')
@pytest.mark.parametrize('write', WRITES.values(), ids=list(WRITES))
def test_fsync_syncs_the_file_before_the_rename_and_the_directory_after(
    tmp_path, disk_syncs, write
):
    """With fsync=True: the file before it is renamed, then its directory; the first write into
    a subdirectory also syncs the root, which holds the subdirectory's own entry."""
    storage = FileStorage(tmp_path / 'files', fsync=True)
    disk_syncs.clear()  # opening is tested on its own
    path = storage.path_for('k')
    write(storage, 'k', b'v' * 1000)
    first = path.stat().st_ino
    write(storage, 'k', b'w' * 1000)
    second = path.stat().st_ino
    fan_out, root = path.parent.stat().st_ino, storage.directory.stat().st_ino
    assert disk_syncs == [
        ('fsync', first),
        ('replace', first),
        ('fsync', fan_out),
        ('fsync', root),
        ('fsync', second),
        ('replace', second),
        ('fsync', fan_out),
    ]
    assert storage['k'] == b'w' * 1000


@pytest.mark.skipif(os.name == 'nt', reason='directories cannot be fsynced on Windows')
def test_fsync_syncs_the_directories_it_creates(tmp_path, disk_syncs):
    """Opening with fsync=True syncs the parent of each directory it had to create."""
    FileStorage(tmp_path / 'a' / 'b', fsync=True)
    inodes = {(tmp_path / 'a').stat().st_ino, tmp_path.stat().st_ino}
    assert sorted(disk_syncs) == sorted(('fsync', inode) for inode in inodes)


def test_fsync_reaches_every_storage(tmp_path, origin):
    """fsync is a backend option of the session: responses, redirects and meta all get it."""
    url = origin.route('/fsync', headers={'Cache-Control': 'max-age=60'}, body=b'durable')
    with CachedSession(str(tmp_path / 'cache'), backend='filesystem', fsync=True) as session:
        cache = session.cache
        assert isinstance(cache, FileCache)
        assert cache.responses.fsync and cache.redirects.fsync and cache.meta.fsync
        assert session.get(url).content == b'durable'
        assert session.get(url).from_cache
    default = FileCache(tmp_path / 'other')
    assert not (default.responses.fsync or default.redirects.fsync or default.meta.fsync)


@pytest.mark.parametrize('value', [1, 0, 'yes', None])
@pytest.mark.parametrize('opener', [FileCache, FileStorage])
def test_invalid_fsync_is_rejected(tmp_path, opener, value):
    """Anything but a bool is a ConfigurationError that says what is allowed, before any
    directory is created."""
    with pytest.raises(ConfigurationError, match='allowed: True or False'):
        opener(tmp_path / 'files', fsync=value)
    assert not (tmp_path / 'files').exists()


# --- self-checking files --------------------------------------------------------------------


def old_format(key: str, value: bytes) -> bytes:
    """A file as written before the format had a magic, a value length and a checksum."""
    encoded = key.encode()
    return struct.pack('>cI', b'B', len(encoded)) + encoded + value


def flip_last_value_byte(data: bytes) -> bytes:
    """One bit of the value changed: the size and the header are intact."""
    at = -_TRAILER.size - 1
    return data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]


DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    'empty': lambda data: b'',
    'truncated_header': lambda data: data[:10],
    'truncated': lambda data: data[:-100],
    'extra_bytes': lambda data: data + bytes(4096),
    'zeroed_tail': lambda data: data[: len(data) // 2] + bytes(len(data) - len(data) // 2),
    'flipped_bit': flip_last_value_byte,
}


@pytest.fixture
def two_responses(tmp_path: Path) -> Iterator[FileCache]:
    """A cache holding responses 'damaged' and 'intact', with 10 KB bodies."""
    cache = FileCache(tmp_path / 'cache')
    for key in ('damaged', 'intact'):
        cache.save_response(make_response(key, body=bytes(range(256)) * 40), key)
    yield cache
    cache.close()


@pytest.mark.parametrize('damage', DAMAGE.values(), ids=list(DAMAGE))
def test_damaged_file_is_a_logged_miss(two_responses, caplog, damage):
    """A file damaged on disk (as a power loss without fsync can leave it) is a miss with a
    WARNING, never an exception; the file is removed and the other response still reads."""
    cache = two_responses
    path = cache.responses.path_for('damaged')
    path.write_bytes(damage(path.read_bytes()))
    with caplog.at_level(logging.WARNING, logger='requests_cache'):
        assert cache.get_response('damaged') is None
    assert 'unreadable cache file' in caplog.text and str(path) in caplog.text
    assert not path.exists()
    assert list(cache.responses) == ['intact']
    intact = cache.get_response('intact')
    assert intact is not None and intact.content == bytes(range(256)) * 40


def test_old_format_file_is_a_logged_miss(tmp_path, caplog):
    """A file without lengths and checksum is not trusted: not listed, and reading it is a logged
    miss that removes it."""
    storage = FileStorage(tmp_path / 'files')
    storage['new'] = b'value'
    old = storage.path_for('old')
    old.parent.mkdir(exist_ok=True)
    old.write_bytes(old_format('old', b'value' * 20))
    assert list(storage) == ['new']
    with caplog.at_level(logging.WARNING, logger='requests_cache'), pytest.raises(KeyError):
        storage['old']
    assert 'not a cache file' in caplog.text
    assert not old.exists() and storage['new'] == b'value'


def test_file_with_a_damaged_key_is_not_listed(tmp_path):
    """Listing reads only headers; a key whose digest is not the file's name is left out."""
    storage = FileStorage(tmp_path / 'files')
    storage['key-a'] = b'value'
    storage['key-b'] = b'value'
    path = storage.path_for('key-a')
    path.write_bytes(path.read_bytes().replace(b'key-a', b'key-x'))
    assert list(storage) == ['key-b']


@pytest.mark.parametrize('value', [b'', b'bytes', 'text', {'a': [1, 'b']}])
def test_every_value_type_round_trips(tmp_path, value):
    """Empty bytes, bytes, text and JSON documents read back equal, also after reopening."""
    FileStorage(tmp_path / 'files')['k'] = value
    assert FileStorage(tmp_path / 'files')['k'] == value


def test_chunked_write_makes_the_file_a_plain_write_makes(tmp_path):
    """A value written in several chunks gives the same file, byte for byte, as one write."""
    value = os.urandom(10_000)
    plain, chunked = FileStorage(tmp_path / 'plain'), FileStorage(tmp_path / 'chunked')
    write_plain(plain, 'k', value)
    write_chunked(chunked, 'k', value)
    assert chunked.path_for('k').read_bytes() == plain.path_for('k').read_bytes()
    assert chunked['k'] == value


class LongBlob(ChunkedBlob):
    """A blob whose chunks hold more bytes than its length says."""

    def __len__(self) -> int:
        return 3

    def chunks(self) -> Iterator[bytes]:
        """Four bytes for a three-byte blob."""
        yield b'four'


def test_chunks_longer_than_the_blob_store_nothing(tmp_path):
    """A blob that yields more than its length fails the write and leaves no file behind:
    the header, already written, would make it unreadable."""
    storage = FileStorage(tmp_path / 'files')
    with pytest.raises(StorageError, match='expected 3'):
        storage.set_chunked('k', LongBlob())
    assert 'k' not in storage
    assert list(storage.path_for('k').parent.iterdir()) == []


def test_bounded_storage_counts_whole_files(tmp_path):
    """max_size counts file sizes, header and checksum included: ten files of a known size fit a
    limit of exactly their total, and one more evicts."""
    probe = FileStorage(tmp_path / 'probe')
    probe['k0'] = b'v' * 100
    size = probe.path_for('k0').stat().st_size
    storage = FileStorage(tmp_path / 'files', SizeLimits.create(None, 10 * size))
    for i in range(10):
        storage[f'k{i}'] = b'v' * 100
    assert len(storage) == 10
    storage['k10'] = b'v' * 100
    assert len(storage) < 10
