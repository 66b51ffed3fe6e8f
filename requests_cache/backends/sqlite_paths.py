"""Where a file-based cache lives (the user cache directory, the temp directory, or a path), and
whether that place is safe from other users.

Someone else's cache (issue 15, item 6): in a directory that other users can write to, such as
``/tmp``, another user can create the cache file (or its SQLite ``-wal`` file, or a filesystem
cache's directory) before us, and we would read their forged entries. `check_location` refuses a
cache path when

* a directory on the way to it is writable by everyone and has no sticky bit (anyone can
  replace what is in it), or
* an existing entry in a shared (world-writable, sticky) directory, such as ``/tmp``, belongs to
  another user (only the owner and root are trusted there), or
* the cache file or directory itself (or a file SQLite keeps next to it) is writable by everyone.

Group-writable directories are allowed: they are how teams share a cache on purpose. With
``use_temp=True`` the cache goes into a private per-user directory (``<tmp>/requests-cache-<uid>``,
mode 0700, checked like the rest), as other tools do for shared temp directories.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Union

from ..errors import ConfigurationError

__all__ = ['cache_path', 'check_location', 'private_temp_dir', 'sqlite_path', 'user_cache_dir']

#: Files SQLite (and our recovery) keep next to a database.
SQLITE_SIDECARS = ('-wal', '-shm', '-journal', '.recovery-lock')


def user_cache_dir(app: str = 'requests_cache') -> Path:
    """The platform's per-user cache directory for ``app``."""
    if os.name == 'nt':
        base = Path(os.environ.get('LOCALAPPDATA', Path.home() / 'AppData' / 'Local'))
    elif os.uname().sysname == 'Darwin':
        base = Path.home() / 'Library' / 'Caches'
    else:
        base = Path(os.environ.get('XDG_CACHE_HOME') or Path.home() / '.cache')
    return base / app


def cache_path(
    cache_name: Union[str, Path], use_temp: bool = False, use_cache_dir: bool = False
) -> Path:
    """Where a file-based cache named ``cache_name`` lives.

    Args:
        cache_name: A path; ``~`` is expanded.
        use_temp: Place a relative path in a private per-user directory of the system temp
            directory (see `private_temp_dir`).
        use_cache_dir: Place a relative path in the user cache directory.

    Returns:
        The resolved path, without any suffix added.

    Raises:
        ConfigurationError: Both ``use_temp`` and ``use_cache_dir`` are set, or the location is
            one other users can tamper with (see `check_location`).
    """
    path = Path(cache_name).expanduser()
    if use_temp and use_cache_dir:
        raise ConfigurationError('use_temp and use_cache_dir cannot both be True')
    if use_temp and not path.is_absolute():
        path = private_temp_dir() / path
    elif use_cache_dir and not path.is_absolute():
        path = user_cache_dir() / path
    check_location(path)
    return path


def sqlite_path(
    cache_name: Union[str, Path], use_temp: bool = False, use_cache_dir: bool = False
) -> Path:
    """Where the database file for ``cache_name`` lives: see `cache_path`, plus ``.sqlite`` if
    the name has no suffix. The file and SQLite's files next to it are checked too.

    Raises:
        ConfigurationError: See `cache_path`.
    """
    path = cache_path(cache_name, use_temp, use_cache_dir)
    path = path if path.suffix else path.with_name(path.name + '.sqlite')
    check_location(path, SQLITE_SIDECARS)
    return path


def private_temp_dir() -> Path:
    """``<system temp dir>/requests-cache-<uid>``: where ``use_temp=True`` caches live, so that
    no other user of a shared temp directory can plant or swap their files. Created (mode 0700)
    when a cache is first opened there."""
    owner = os.geteuid() if hasattr(os, 'geteuid') else os.getlogin()
    return Path(tempfile.gettempdir()) / f'requests-cache-{owner}'


def check_location(path: Path, sidecars: Iterable[str] = ()) -> None:
    """Refuse a cache file or directory that other users can tamper with (see the module
    docstring). Missing parts are fine: we create them private.

    Args:
        path: The cache file or directory.
        sidecars: Suffixes of files kept next to ``path`` that get the same checks.

    Raises:
        ConfigurationError: The location is not safe; the message says why and what to do.
    """
    if not hasattr(os, 'geteuid'):  # pragma: no cover - Windows has no POSIX modes
        return
    path = Path(os.path.abspath(path))
    for directory in reversed(path.parents):
        _check_entry(directory, is_cache=False)
    for entry in [path, *(path.with_name(path.name + suffix) for suffix in sidecars)]:
        _check_entry(entry, is_cache=True)


def _check_entry(entry: Path, is_cache: bool) -> None:
    parent = _lstat(entry.parent) if entry.parent != entry else None
    shared = parent is not None and _world_writable(parent.st_mode)
    if shared and parent is not None and not parent.st_mode & stat.S_ISVTX:
        _refuse(entry, f'{entry.parent} is writable by every user and has no sticky bit')
    info = _lstat(entry)
    if info is None:
        return  # created later, by us, private
    if shared and info.st_uid not in (os.geteuid(), 0):
        _refuse(entry, f'it belongs to another user (uid {info.st_uid}) in shared {entry.parent}')
    if is_cache and _world_writable(info.st_mode):
        _refuse(entry, 'it is writable by every user')


def _lstat(path: Path) -> Union[os.stat_result, None]:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def _world_writable(mode: int) -> bool:
    return bool(mode & stat.S_IWOTH) and not stat.S_ISLNK(mode)


def _refuse(entry: Path, why: str) -> None:
    raise ConfigurationError(
        f'Refusing to use the cache at {entry}: {why}, so another user could forge its '
        'entries. Use a private directory (or use_cache_dir=True).'
    )
