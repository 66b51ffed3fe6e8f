"""Filesystem storage: one file per entry, easy to inspect and to copy.

File names are a SHA-256 of the key, fanned out over 256 subdirectories, so a key never becomes
part of a path (no traversal, no reserved names like ``CON``, no length limits). Each file holds
the key itself too, which makes iteration possible and lets a read check it got the right entry.

Writes are atomic: a private temp file in the target directory is written, fsynced and moved
into place with `os.replace`, so a reader sees the old file or the new one, never a partial one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import struct
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional, Union

from ..errors import StorageError
from ..serializers import SerializerPipeline
from .base import BaseCache, BaseStorage
from .sqlite import cache_path

__all__ = ['FileCache', 'FileStorage']

logger = logging.getLogger(__name__)

_TEMP_PREFIX = '.tmp-'
# A temp file older than this was left by a crashed writer; younger ones may still be in use.
_STALE_TEMP_SECONDS = 60.0
_HEADER = struct.Struct('>cI')  # value type, key length
_BYTES, _TEXT, _JSON = b'B', b'S', b'J'


class FileStorage(BaseStorage):
    """Values stored as files under one directory.

    Args:
        directory: Root directory; created with mode 0700 if missing.
    """

    def __init__(self, directory: Union[str, Path]) -> None:
        self.directory = Path(directory)
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f'filesystem storage error: {exc}') from exc
        self._remove_stale_temp_files()

    def path_for(self, key: str) -> Path:
        """The file that holds (or would hold) ``key``."""
        digest = hashlib.sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()
        return self.directory / digest[:2] / digest

    def paths(self) -> list[Path]:
        """Every entry file, excluding temp files of writes in progress."""
        return [
            path
            for path in self.directory.glob('??/*')
            if path.is_file() and not path.name.startswith(_TEMP_PREFIX)
        ]

    def __getitem__(self, key: str) -> Any:
        stored_key, value = self._read(self.path_for(key))
        if stored_key != key:  # a SHA-256 collision, in theory only
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        path = self.path_for(key)
        data = _encode(key, value)
        try:
            path.parent.mkdir(mode=0o700, exist_ok=True)
            # mkstemp creates the file with mode 0600.
            fd, temp_name = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=path.parent)
            try:
                with os.fdopen(fd, 'wb') as file:
                    file.write(data)
                    file.flush()
                    os.fsync(file.fileno())
                os.replace(temp_name, path)
            except BaseException:
                _unlink_quietly(Path(temp_name))
                raise
        except OSError as exc:
            raise StorageError(f'filesystem storage error writing {path}: {exc}') from exc

    def __delitem__(self, key: str) -> None:
        try:
            self.path_for(key).unlink()
        except FileNotFoundError:
            raise KeyError(key) from None
        except OSError as exc:
            raise StorageError(f'filesystem storage error: {exc}') from exc

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

    def clear(self) -> None:
        """Delete every entry file."""
        for path in self.paths():
            _unlink_quietly(path)

    def _read(self, path: Path) -> tuple[str, Any]:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise KeyError(str(path)) from None
        except OSError as exc:
            raise StorageError(f'filesystem storage error reading {path}: {exc}') from exc
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


def _encode(key: str, value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray, memoryview)):
        kind, payload = _BYTES, bytes(value)
    elif isinstance(value, str):
        kind, payload = _TEXT, value.encode('utf-8')
    else:  # documents from a non-binary serializer
        kind, payload = _JSON, json.dumps(value).encode('utf-8')
    encoded_key = key.encode('utf-8', 'surrogatepass')
    return _HEADER.pack(kind, len(encoded_key)) + encoded_key + payload


def _decode(data: bytes) -> tuple[str, Any]:
    kind, key_length = _HEADER.unpack_from(data)
    start = _HEADER.size + key_length
    if start > len(data):
        raise ValueError('truncated header')
    key = data[_HEADER.size : start].decode('utf-8', 'surrogatepass')
    payload = data[start:]
    if kind == _BYTES:
        return key, payload
    if kind == _TEXT:
        return key, payload.decode('utf-8')
    if kind == _JSON:
        return key, json.loads(payload)
    raise ValueError(f'unknown value type {kind!r}')


def _read_key(path: Path) -> Optional[str]:
    # Only the header and the key: listing a cache must not read every body.
    try:
        with path.open('rb') as file:
            _kind, key_length = _HEADER.unpack(file.read(_HEADER.size))
            encoded = file.read(key_length)
        if len(encoded) != key_length:
            return None
        return encoded.decode('utf-8', 'surrogatepass')
    except (OSError, ValueError, struct.error):  # deleted meanwhile, or not one of ours
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
    """

    backend_kwargs = ('use_temp', 'use_cache_dir')

    def __init__(
        self,
        cache_name: Union[str, Path] = 'http_cache',
        serializer: Union[str, SerializerPipeline, None] = None,
        use_temp: bool = False,
        use_cache_dir: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(str(cache_name), serializer, **kwargs)
        self.cache_dir = cache_path(cache_name, use_temp, use_cache_dir)
        try:
            # Created here, not as a parent of the storages, so it gets mode 0700 too.
            self.cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f'filesystem storage error: {exc}') from exc
        self.responses: FileStorage = FileStorage(self.cache_dir / 'responses')
        self.redirects: FileStorage = FileStorage(self.cache_dir / 'redirects')

    def paths(self) -> list[Path]:
        """The files of all stored responses."""
        return self.responses.paths()

    def __repr__(self) -> str:
        return f'<FileCache {self.cache_dir} serializer={self.serializer.name!r}>'
