"""Leases in a filesystem cache: one lock file per held key, carrying its token and expiry.

A lock file is ``<cache dir>/leases/<sha256 of the key>.lock`` holding ``<token> <expires>``
(Unix time). It is created exclusively, in one step that no other process can win at the same
time and that never shows a reader a half-written file: the content is written to a private
temp file first, then hard-linked to the lock file's name, which fails if that name exists
(``O_EXCL`` semantics, without the window between creating the file and writing it).

Taking over an expired lease, and releasing one, are compare-and-delete steps: under an
exclusive ``flock`` on ``<cache dir>/leases/.guard``, the lock file is read again and deleted
only if it still holds what the caller saw (an expired holding, or its own token). Then the
waiters race to create the lock file afresh, and exactly one wins. Without ``fcntl`` (Windows)
the guard only covers the threads of one process.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Optional

from ..errors import StorageError
from .leases import LeaseStore
from .sqlite_connections import make_private_dirs

try:
    import fcntl

    _HAS_FLOCK = True
except ImportError:  # Windows
    _HAS_FLOCK = False

__all__ = ['FileLeases']

logger = logging.getLogger(__name__)

_GUARD = '.guard'


class FileLeases(LeaseStore):
    """Leases as lock files in one directory.

    Args:
        directory: Where the lock files go; created (mode 0700) on first use.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._ready = False
        self._thread_guard = threading.Lock()

    def _path(self, key: str) -> Path:
        if not self._ready:
            make_private_dirs(self.directory)
            self._ready = True
        digest = hashlib.sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()
        return self.directory / f'{digest}.lock'

    def acquire(self, key: str, token: str, ttl: float) -> bool:
        """See `LeaseStore.acquire`."""
        path = self._path(key)
        with _errors():
            if self._create(path, token, time.time() + ttl):
                return True
            seen = _read(path)
            if seen is not None and seen[1] > time.time():
                return False
            # Expired (its holder died, or never released) or unreadable: delete it if nobody
            # took it over since, then race the other waiters to create it.
            with self._guard():
                if _read(path) == seen:
                    _unlink(path)
            return self._create(path, token, time.time() + ttl)

    def release(self, key: str, token: str) -> bool:
        """See `LeaseStore.release`."""
        path = self._path(key)
        with _errors(), self._guard():
            seen = _read(path)
            if seen is None or seen[0] != token:
                return False
            _unlink(path)
            return seen[1] > time.time()

    def holder(self, key: str) -> Optional[tuple[str, float]]:
        """See `LeaseStore.holder`."""
        with _errors():
            seen = _read(self._path(key))
        if seen is None:
            return None
        remaining = seen[1] - time.time()
        return (seen[0], remaining) if remaining > 0 else None

    def _create(self, path: Path, token: str, expires: float) -> bool:
        """Create the lock file with its content in one step; False if it exists."""
        temp = path.with_name(f'.tmp-{secrets.token_hex(8)}')
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, f'{token} {expires!r}\n'.encode())
        finally:
            os.close(fd)
        try:
            os.link(temp, path)
            return True
        except FileExistsError:
            return False
        finally:
            _unlink(temp)

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """Exclusive among every thread and process that uses this directory."""
        with self._thread_guard:
            if not _HAS_FLOCK:
                yield
                return
            fd = os.open(self.directory / _GUARD, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # also releases the flock


def _read(path: Path) -> Optional[tuple[str, float]]:
    """The token and expiry in a lock file; None if there is none. An unreadable file counts
    as expired (``expires`` 0), so it can be taken over."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    try:
        token, expires = text.split()
        return token, float(expires)
    except ValueError:
        logger.warning('Unreadable lease file %s: it will be taken over', path)
        return text, 0.0


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        if isinstance(exc, StorageError):
            raise
        raise StorageError(f'filesystem lease error: {exc}') from exc
