"""Filesystem storage: one file per entry, easy to inspect and to copy.

File names are a SHA-256 of the key, fanned out over 256 subdirectories, so a key never becomes
part of a path (no traversal, no reserved names like ``CON``, no length limits). Each file holds
the key itself too, which makes iteration possible and lets a read check it got the right entry.

Writes are atomic: a private temp file in the target directory is written and moved into place
with `os.replace`, so a reader, or the next run after a crash, sees the old file or the new one,
never a partial one. By default nothing is fsynced, which matches SQLite's WAL with
``synchronous=NORMAL``: safe when the application crashes, not necessarily on a power loss. With
``fsync=True`` the file is fsynced before the rename and its directory after it.

Each file checks itself, so a file damaged by a power loss (renamed into place, but empty,
truncated or with blocks never written) reads as a logged miss instead of a wrong response::

    magic  b'rcf2'            4 bytes: the format; files of other formats are misses
    kind   b'B', b'S', b'J'   1 byte: bytes, text or JSON document
    key    length             4 bytes, big-endian
    value  length             8 bytes, big-endian
    key                       UTF-8
    value
    XXH3-64                   8 bytes, big-endian: the hash of everything before it

The lengths come first, so a chunked write knows the whole header up front; the checksum comes
last, so it is computed while the chunks are written.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import hashlib
import json
import logging
import math
import os
import stat
import struct
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from itertools import chain
from pathlib import Path
from typing import Any, Optional, Union

import xxhash

from ..errors import ConfigurationError, StorageError
from ..serializers import SerializerPipeline, chunks
from ..serializers.chunks import ChunkedBlob
from .base import BaseCache, BaseStorage
from .eviction import DEFAULT_MAX_RESPONSE_SIZE, Clock, SizeLimits, select_victims
from .filesystem_leases import FileLeases
from .leases import LeaseStore
from .sqlite import cache_path, make_private_dirs
from .stored_blobs import FileValue

__all__ = ['FileCache', 'FileStorage']

logger = logging.getLogger(__name__)

_TEMP_PREFIX = '.tmp-'
# A temp file older than this was left by a crashed writer; younger ones may still be in use.
_STALE_TEMP_SECONDS = 60.0
_MAGIC = b'rcf2'  # rcf1 (development builds) ended with a CRC-32
_HEADER = struct.Struct('>4scIQ')  # magic, value type, key length, value length
_TRAILER = struct.Struct('>Q')  # XXH3-64 of the header, the key and the value
_BYTES, _TEXT, _JSON = b'B', b'S', b'J'
_O_NONBLOCK = getattr(os, 'O_NONBLOCK', 0)  # POSIX; Windows has no FIFOs to worry about
_O_NOFOLLOW = getattr(os, 'O_NOFOLLOW', 0)
# Scan a bounded directory again after this many writes, to notice other processes' writes.
_RESYNC_EVERY = 256


class FileStorage(BaseStorage):
    """Values stored as files under one directory.

    With limits, sizes are file sizes (the blob plus a small header holding the key). Recency is
    kept in memory, because file access times are unreliable (``noatime`` and ``relatime``
    mounts); files this process has not written or served fall back to their modification time.
    Expiry times are known only for entries this process wrote, so entries from earlier runs are
    evicted by recency alone.

    Args:
        directory: Root directory; created with mode 0700 if missing.
        limits: Bounds to hold by evicting (see `SizeLimits`); the default is unbounded.
        clock: Returns Unix time; a seam for tests.
        fsync: Make each write durable against a power loss: fsync the file before the rename
            and its directory after it. Off by default, like SQLite's ``synchronous=NORMAL``.

    Raises:
        ConfigurationError: ``fsync`` is not a bool.
        StorageError: The directory cannot be created.
    """

    def __init__(
        self,
        directory: Union[str, Path],
        limits: Optional[SizeLimits] = None,
        clock: Clock = time.time,
        fsync: bool = False,
        suffix: str = '',
    ) -> None:
        self.directory = Path(directory)
        #: Added to every file name (``'.json'``...), so a file's format shows in listings.
        self.suffix = suffix
        self.limits = limits or SizeLimits()
        self.clock = clock
        self.fsync = _check_fsync(fsync)
        # Fan-out directories whose entry in the root this process has synced (fsync=True only).
        self._synced_dirs: set[str] = set()
        # In-memory bookkeeping by file name (the digest), under one lock.
        self._recency: dict[str, float] = {}
        self._expires: dict[str, float] = {}
        self._entries: Optional[int] = None  # None: scan the directory at the next write
        self._size = 0
        self._writes_since_sync = 0
        self._lock = threading.Lock()
        _make_dirs(self.directory, self.fsync)
        self._remove_stale_temp_files()

    def path_for(self, key: str) -> Path:
        """The file that holds (or would hold) ``key``."""
        digest = _digest(key)
        return self.directory / digest[:2] / (digest + self.suffix)

    def paths(self) -> list[Path]:
        """Every entry file, excluding temp files of writes in progress."""
        return [
            path
            for path in self.directory.glob('??/*')
            if path.is_file() and not path.name.startswith(_TEMP_PREFIX)
        ]

    def __getitem__(self, key: str) -> Any:
        return self._load(key, streamable=False)

    def get_streamable(self, key: str) -> Any:
        """The value under ``key``; one over `chunks.INLINE_BODY_LIMIT` as a `FileValue` read a
        piece at a time from the open file. None if missing.

        A value read in pieces is checked by its header, its length and its key here, and by
        the serializer's checksum before it is served; the file's own checksum, which would take
        one more pass over the whole file, is left to whole reads.
        """
        try:
            return self._load(key, streamable=True)
        except KeyError:
            return None

    def _load(self, key: str, streamable: bool) -> Any:
        path = self.path_for(key)
        data = self._read(path, key, streamable)
        if isinstance(data, FileValue):
            return data
        stored_key, value = self._decode_file(path, data)
        if stored_key != key:  # a SHA-256 collision, in theory only
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        self.set(key, value)

    def set(self, key: str, value: Any, expires: Optional[datetime] = None) -> None:
        """Store a value atomically, then evict if a limit is exceeded."""
        path = self.path_for(key)
        kind, payload = _payload(value)
        head = _encode_head(kind, key, len(payload))
        old_size = _file_size(path) if self.limits.bounded else None
        self._write_chunks(path, _framed(head, (payload,), len(payload)))
        self._after_write(path, len(head) + len(payload) + _TRAILER.size, old_size, expires)

    # --- chunked writes (streamed bodies) ----------------------------------------------------
    def set_chunked(self, key: str, blob: ChunkedBlob, expires: Optional[datetime] = None) -> None:
        """Store a blob a chunk at a time: the chunks go straight into the temp file that is
        then moved into place, so the blob is never held whole. The file is the one `set` writes.
        """
        path = self.path_for(key)
        head = _encode_head(_BYTES, key, len(blob))
        old_size = _file_size(path) if self.limits.bounded else None
        self._write_chunks(path, _framed(head, blob.chunks(), len(blob)))
        self._after_write(path, len(head) + len(blob) + _TRAILER.size, old_size, expires)

    # --- end of chunked writes -----------------------------------------------------------------
    def _after_write(
        self, path: Path, size: int, old_size: Optional[int], expires: Optional[datetime]
    ) -> None:
        """Bookkeeping for a bounded storage after a file was written: recency, expiry, evict."""
        if not self.limits.bounded:
            return
        with self._lock:
            self._recency[path.name] = self.clock()
            if expires is not None:
                self._expires[path.name] = expires.timestamp()
            else:
                self._expires.pop(path.name, None)
            victims = self._account_write(size, old_size)
        if victims and self.on_evict:
            self.on_evict(victims)

    def _account_write(self, size: int, old_size: Optional[int]) -> list[str]:
        self._writes_since_sync += 1
        if self._entries is not None and self._writes_since_sync < _RESYNC_EVERY:
            self._entries += 1 if old_size is None else 0
            self._size += size - (old_size or 0)
            if not self.limits.exceeded(self._entries, self._size):
                return []
        # Look at the directory: the totals are unknown, stale (other processes), or over.
        self._writes_since_sync = 0
        files = self._stat_files()
        self._entries, self._size = len(files), sum(size for _, size, _ in files)
        if not self.limits.exceeded(self._entries, self._size):
            return []
        return self._evict(files)

    def _stat_files(self) -> list[tuple[Path, int, float]]:
        files = []
        for path in self.paths():
            with contextlib.suppress(OSError):  # deleted meanwhile
                stat = path.stat()
                files.append((path, stat.st_size, stat.st_mtime))
        return files

    def _evict(self, files: list[tuple[Path, int, float]]) -> list[str]:
        now = self.clock()
        expired = [f for f in files if self._expires.get(f[0].name, math.inf) <= now]
        # Least recently used: the last write or read this process saw, else the file's mtime.
        by_recency = sorted(files, key=lambda f: self._recency.get(f[0].name, f[2]))
        sizes = {str(path): (path, size) for path, size, _ in files}
        victims = select_victims(
            ((str(path), size) for path, size, _ in chain(expired, by_recency)),
            len(files),
            self._size,
            self.limits,
        )
        keys = []
        for name in victims:
            path, size = sizes[name]
            key = _read_key(path)
            _unlink_quietly(path)
            self._forget(path.name)
            self._size -= size
            if key is not None:
                keys.append(key)
        self._entries = len(files) - len(victims)
        logger.debug('Evicted %d files from %s', len(victims), self.directory)
        return keys

    def _forget(self, name: str) -> None:
        self._recency.pop(name, None)
        self._expires.pop(name, None)

    def touch(self, key: str) -> None:
        """Mark ``key`` as recently used, in memory only."""
        if self.limits.bounded:
            with self._lock:
                self._recency[self.path_for(key).name] = self.clock()

    def _write_chunks(self, path: Path, chunks: Iterable[bytes]) -> None:
        try:
            path.parent.mkdir(mode=0o700, exist_ok=True)
            # mkstemp creates the file with mode 0600.
            fd, temp_name = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=path.parent)
            try:
                with os.fdopen(fd, 'wb') as file:
                    for chunk in chunks:
                        file.write(chunk)
                    if self.fsync:
                        file.flush()
                        os.fsync(file.fileno())
                os.replace(temp_name, path)
            except BaseException:
                _unlink_quietly(Path(temp_name))
                raise
            if self.fsync:
                self._sync_rename(path.parent)
        except OSError as exc:
            raise StorageError(f'filesystem storage error writing {path}: {exc}') from exc

    def _sync_rename(self, fan_out: Path) -> None:
        """Make a rename into ``fan_out`` durable: the rename is an entry in that directory."""
        _fsync_dir(fan_out)
        # The fan-out directory may be new, or created by a run without fsync: sync its own
        # entry in the root once per process (at most 256 extra fsyncs).
        if fan_out.name not in self._synced_dirs:
            _fsync_dir(self.directory)
            self._synced_dirs.add(fan_out.name)

    def __delitem__(self, key: str) -> None:
        path = self.path_for(key)
        size = _file_size(path) if self.limits.bounded else None
        try:
            path.unlink()
        except FileNotFoundError:
            raise KeyError(key) from None
        except OSError as exc:
            raise StorageError(f'filesystem storage error: {exc}') from exc
        if self.limits.bounded:
            with self._lock:
                self._forget(path.name)
                if self._entries is not None and size is not None:
                    self._entries -= 1
                    self._size -= size

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.path_for(key).is_file()

    def __iter__(self) -> Iterator[str]:
        keys = []
        for path in self.paths():
            key = _read_key(path)
            if key is not None:
                keys.append(key)
        return iter(keys)

    def __len__(self) -> int:
        return len(self.paths())

    # --- inspection (the command line) -------------------------------------------------------
    def scan(self) -> Iterator[tuple[str, Any]]:
        """Every key and value, each file read once (iterating, then getting, reads it twice),
        found as the directories are listed, so the first values come at once."""
        for entry in self._entry_files():
            try:
                # The key is in the file: read it whole (up to max_value_size), decode, and leave
                # an unreadable file where it is (inspecting changes nothing).
                key, value = _decode(self._read(Path(entry.path), ''))
            except (KeyError, ValueError, struct.error):  # deleted meanwhile, or unreadable
                continue
            if _digest(key) + self.suffix == entry.name:  # else a file copied under another name
                yield key, value

    def stored_size(self) -> int:
        """Total bytes of the entry files (each value plus a header holding its key)."""
        total = 0
        for entry in self._entry_files():
            with contextlib.suppress(FileNotFoundError):  # deleted meanwhile
                total += entry.stat().st_size
        return total

    def _entry_files(self) -> Iterator[os.DirEntry[str]]:
        # scandir: the file type comes with the listing, so a file costs no stat to be found.
        # Each fan-out directory is listed whole before its files are yielded: a file the caller
        # rewrites meanwhile (a new directory entry) is then never listed twice.
        with os.scandir(self.directory) as listing:
            fan_outs = [d.path for d in listing if len(d.name) == 2 and d.is_dir()]
        for fan_out in fan_outs:
            entries: list[os.DirEntry[str]] = []
            with contextlib.suppress(FileNotFoundError), os.scandir(fan_out) as listing:
                entries = list(listing)  # else removed meanwhile
            for entry in entries:
                if entry.is_file() and not entry.name.startswith(_TEMP_PREFIX):
                    yield entry

    def clear(self) -> None:
        """Delete every entry file."""
        for path in self.paths():
            _unlink_quietly(path)
        with self._lock:
            self._recency.clear()
            self._expires.clear()
            self._entries = None

    def _read(self, path: Path, key: str, streamable: bool = False) -> Any:
        """The whole file; or, if ``streamable`` and its value is large, a `FileValue` over it.

        Raises:
            KeyError: No regular file there, or its value is over `max_value_size`.
            StorageError: It could not be read.
        """
        encoded_key = _encoded(key)
        try:
            opened = _open_regular(path)
            if opened is None:
                raise KeyError(key)
            fd, size = opened
            try:
                value_size = size - _HEADER.size - len(encoded_key) - _TRAILER.size
                if self.max_value_size is not None and value_size > self.max_value_size:
                    raise self._oversize(key, value_size)
                if streamable and value_size > chunks.INLINE_BODY_LIMIT:
                    stored = _file_value(fd, encoded_key, value_size)
                    if stored is not None:
                        fd = -1  # the FileValue owns it now
                        return stored
                return _read_all(fd, size)
            finally:
                if fd >= 0:
                    os.close(fd)
        except OSError as exc:
            raise StorageError(f'filesystem storage error reading {path}: {exc}') from exc

    def _decode_file(self, path: Path, data: bytes) -> tuple[str, Any]:
        try:
            return _decode(data)
        except (ValueError, struct.error) as exc:
            # Not written by us (or damaged on disk): drop it, so it reads as a miss from now on.
            logger.warning('Removing unreadable cache file %s: %s', path, exc)
            _unlink_quietly(path)
            raise KeyError(str(path)) from exc

    def _remove_stale_temp_files(self) -> None:
        cutoff = time.time() - _STALE_TEMP_SECONDS
        for path in self.directory.glob(f'??/{_TEMP_PREFIX}*'):
            try:
                if path.stat().st_mtime < cutoff:
                    logger.debug('Removing temp file left by an interrupted write: %s', path)
                    path.unlink()
            except OSError:  # another process cleaned it up first
                continue

    def __repr__(self) -> str:
        return f'<FileStorage {self.directory}>'


def _payload(value: Any) -> tuple[bytes, bytes]:
    """The value type byte and the value as bytes."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _BYTES, bytes(value)
    if isinstance(value, str):
        return _TEXT, value.encode('utf-8')
    # Documents from a non-binary serializer. Bytes and Decimals (from the MongoDB and DynamoDB
    # document formats) are tagged, so they read back as they were instead of failing the write.
    return _JSON, json.dumps(value, default=_tagged).encode('utf-8')


def _tagged(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {'$bytes': base64.b64encode(bytes(value)).decode('ascii')}
    if isinstance(value, Decimal):
        return {'$decimal': str(value)}
    raise TypeError(f'{type(value).__name__} is not JSON serializable')


def _untagged(document: dict[str, Any]) -> Any:
    if len(document) == 1:
        if '$bytes' in document:
            return base64.b64decode(document['$bytes'], validate=True)
        if '$decimal' in document:
            return Decimal(document['$decimal'])
    return document


def _encode_head(kind: bytes, key: str, length: int) -> bytes:
    """The header and the key, for a value of ``length`` bytes."""
    encoded_key = key.encode('utf-8', 'surrogatepass')
    return _HEADER.pack(_MAGIC, kind, len(encoded_key), length) + encoded_key


def _framed(head: bytes, chunks: Iterable[bytes], length: int) -> Iterator[bytes]:
    """The head, the value's chunks, then the trailer: the whole file, a piece at a time."""
    hasher = xxhash.xxh3_64(head)
    yield head
    written = 0
    for chunk in chunks:
        hasher.update(chunk)
        written += len(chunk)
        yield chunk
    # The header is already written: a value of another length would make a file that never reads.
    if written != length:
        raise StorageError(f'value was {written} bytes, expected {length}')
    yield _TRAILER.pack(hasher.intdigest())


def _decode(data: bytes) -> tuple[str, Any]:
    """The key and the value of a whole file; ValueError if it is damaged or not ours."""
    kind, key_end, end = _check_frame(data)
    key = data[_HEADER.size : key_end].decode('utf-8', 'surrogatepass')
    payload = data[key_end:end]
    if kind == _BYTES:
        return key, payload
    if kind == _TEXT:
        return key, payload.decode('utf-8')
    if kind == _JSON:
        return key, json.loads(payload, object_hook=_untagged)
    raise ValueError(f'unknown value type {kind!r}')


def _check_frame(data: bytes) -> tuple[bytes, int, int]:
    """Check the magic, the lengths and the checksum; return the value type, and where the key
    and the value end."""
    if len(data) >= len(_MAGIC) and not data.startswith(_MAGIC):
        # Includes files from before the format had lengths and a checksum: they cannot be checked.
        raise ValueError(f'not a cache file of format {_MAGIC!r}')
    if len(data) < _HEADER.size + _TRAILER.size:
        raise ValueError(f'truncated: {len(data)} bytes')
    _magic, kind, key_length, value_length = _HEADER.unpack_from(data)
    key_end = _HEADER.size + key_length
    end = key_end + value_length
    if len(data) != end + _TRAILER.size:
        raise ValueError(f'{len(data)} bytes, the header says {end + _TRAILER.size}')
    (expected,) = _TRAILER.unpack_from(data, end)
    if xxhash.xxh3_64_intdigest(memoryview(data)[:end]) != expected:  # a view copies nothing
        raise ValueError('checksum mismatch')
    return kind, key_end, end


def _digest(key: str) -> str:
    """The file name of ``key``."""
    return hashlib.sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()


def _open_regular(path: Path) -> Optional[tuple[int, int]]:
    """A read-only descriptor of ``path`` and its size, if it is a regular file; None if it is
    missing or anything else (a FIFO, a device, a symlink, a directory), which is logged and, if
    possible, removed.

    Opened without following a symlink and without blocking, so a FIFO planted at an entry's
    path cannot hang a read (issue 15, item 5).
    """
    try:
        fd = os.open(path, os.O_RDONLY | _O_NONBLOCK | _O_NOFOLLOW | getattr(os, 'O_BINARY', 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno not in (errno.ELOOP, errno.EISDIR, errno.ENXIO, errno.EMLINK):
            raise
        logger.warning('Ignoring %s: not a regular file (%s)', path, exc.strerror)
        return None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        logger.warning('Removing %s from the cache: not a regular file', path)
        if not stat.S_ISDIR(info.st_mode):
            _unlink_quietly(path)
        return None
    return fd, info.st_size


def _read_all(fd: int, size: int) -> bytes:
    """``size`` bytes from a descriptor at its start (fewer if the file shrank meanwhile)."""
    data = os.read(fd, size)
    if len(data) < size:  # reads of regular files return less only near 2 GiB, or at the end
        data += b''.join(iter(lambda: os.read(fd, size - len(data)), b''))
    return data


def _file_value(fd: int, encoded_key: bytes, value_size: int) -> Optional[FileValue]:
    """A `FileValue` over the value of an open entry file whose header says it holds
    ``value_size`` bytes under ``encoded_key``; None if it does not (the whole read then finds
    what is wrong, and on platforms without ``pread``)."""
    if not hasattr(os, 'pread'):  # pragma: no cover - Windows
        return None
    head = os.pread(fd, _HEADER.size + len(encoded_key), 0)
    if len(head) != _HEADER.size + len(encoded_key):
        return None
    magic, kind, key_length, length = _HEADER.unpack_from(head)
    if (magic, kind, key_length, length) != (_MAGIC, _BYTES, len(encoded_key), value_size):
        return None
    if head[_HEADER.size :] != encoded_key:
        return None
    return FileValue(os.fdopen(fd, 'rb'), len(head), value_size)


def _encoded(key: str) -> bytes:
    return key.encode('utf-8', 'surrogatepass')


def _read_key(path: Path) -> Optional[str]:
    # Only the header and the key: listing a cache must not read every body, so the checksum is
    # left to reads. The file name is a digest of the key, which checks the key alone.
    try:
        opened = _open_regular(path)
        if opened is None:
            return None
        fd = opened[0]
        try:
            magic, _kind, key_length, _length = _HEADER.unpack(os.read(fd, _HEADER.size))
            encoded = os.read(fd, key_length) if magic == _MAGIC else b''
        finally:
            os.close(fd)
        if magic != _MAGIC or len(encoded) != key_length:
            return None
        key = encoded.decode('utf-8', 'surrogatepass')
    except (OSError, ValueError, struct.error):  # deleted meanwhile, or not one of ours
        return None
    return key if _digest(key) == path.name.partition('.')[0] else None


def file_suffix(serializer_name: str, extension: Optional[str] = None) -> str:
    """The suffix of response files: ``extension``, else one named after the format, as
    requests-cache 1.x chose it (``.json`` for every JSON format, ``.pkl`` for pickle)."""
    name = extension if extension is not None else serializer_name.partition('+')[0]
    if extension is None and 'json' in name:
        name = 'json'
    name = name.replace('pickle', 'pkl').lstrip('.')
    return f'.{name}' if name and name.replace('_', '').isalnum() else ''


def _check_fsync(fsync: object) -> bool:
    """``fsync`` itself if it is a bool; a truthy 1 or 'no' would hide a mistake."""
    if not isinstance(fsync, bool):
        raise ConfigurationError(f'fsync={fsync!r} is not valid; allowed: True or False')
    return fsync


def _make_dirs(directory: Path, fsync: bool) -> None:
    """Create ``directory`` and missing parents (mode 0700); with ``fsync``, durably."""
    missing = [d for d in (directory, *directory.parents) if not d.exists()] if fsync else []
    try:
        make_private_dirs(directory)
        for created in reversed(missing):
            _fsync_dir(created.parent)  # a new directory is an entry in its parent
    except OSError as exc:
        raise StorageError(f'filesystem storage error: {exc}') from exc


def _fsync_dir(directory: Path) -> None:
    """Flush a directory's entries (such as a rename into it) to disk."""
    if os.name == 'nt':  # Windows cannot open a directory as a file; NTFS journals renames
        return
    fd = os.open(directory, os.O_RDONLY | getattr(os, 'O_DIRECTORY', 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _file_size(path: Path) -> Optional[int]:
    try:
        return path.stat().st_size
    except OSError:  # not written yet, or deleted meanwhile
        return None


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):  # already gone, or never written
        path.unlink()


class FileCache(BaseCache):
    """Responses as files in a directory, redirects in a ``redirects`` subdirectory.

    Args:
        cache_name: Directory path; ``~`` is expanded.
        serializer: A serializer name or pipeline.
        use_temp: Put the directory in the system temp directory.
        use_cache_dir: Put the directory in the user's cache directory.
        max_entries: Evict when more responses than this are stored (None: no limit).
        max_size: Evict when the response files take more bytes than this (None: no limit).
        max_response_size: Do not store a response whose blob is larger than this many bytes.
        fsync: Make each write durable against a power loss, at the cost of two fsyncs per
            write (see `FileStorage`). The default survives a crash of the application.
        extension: The response files' extension; by default the serializer's, as in
            requests-cache 1.x (``.json`` for JSON formats, ``.yaml``, ``.pkl`` for pickle...).

    Raises:
        ConfigurationError: A limit is not None or a non-negative int, or ``fsync`` is not a bool.
        StorageError: The directory cannot be created.
    """

    backend_kwargs = (
        'use_temp',
        'use_cache_dir',
        'max_entries',
        'max_size',
        'max_response_size',
        'fsync',
        'extension',
    )

    def __init__(
        self,
        cache_name: Union[str, Path] = 'http_cache',
        serializer: Union[str, SerializerPipeline, None] = None,
        use_temp: bool = False,
        use_cache_dir: bool = False,
        max_entries: Optional[int] = None,
        max_size: Optional[int] = None,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        fsync: bool = False,
        extension: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(str(cache_name), serializer, **kwargs)
        limits = SizeLimits.create(max_entries, max_size)
        _check_fsync(fsync)  # before any directory is created
        self.cache_dir = cache_path(cache_name, use_temp, use_cache_dir)
        # Created here, not as a parent of the storages, so it gets mode 0700 too.
        _make_dirs(self.cache_dir, fsync)
        suffix = file_suffix(self.serializer.name, extension)
        self.responses: FileStorage = FileStorage(
            self.cache_dir / 'responses', limits, fsync=fsync, suffix=suffix
        )
        self.redirects: FileStorage = FileStorage(self.cache_dir / 'redirects', fsync=fsync)
        self.meta: FileStorage = FileStorage(self.cache_dir / 'meta', fsync=fsync)
        self._configure_limits(max_response_size)

    def _make_leases(self) -> LeaseStore:
        """Leases as lock files in ``<cache_dir>/leases`` (see `filesystem_leases`)."""
        return FileLeases(self.cache_dir / 'leases')

    def paths(self) -> list[Path]:
        """The files of all stored responses."""
        return self.responses.paths()

    def __repr__(self) -> str:
        return f'<FileCache {self.cache_dir} serializer={self.serializer.name!r}>'


# requests-cache 1.x storage classes, importable from here as in 1.x (defined in _dicts_1x).
from ._dicts_1x import FileDict as FileDict  # noqa: E402
from ._dicts_1x import LRUDict as LRUDict  # noqa: E402
from ._dicts_1x import LRUFileDict as LRUFileDict  # noqa: E402
