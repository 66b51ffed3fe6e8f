"""Where a file-based cache lives: the user cache directory, the temp directory, or a path."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Union

from ..errors import ConfigurationError

__all__ = ['cache_path', 'sqlite_path', 'user_cache_dir']


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
        use_temp: Place a relative path in the system temp directory.
        use_cache_dir: Place a relative path in the user cache directory.

    Returns:
        The resolved path, without any suffix added.

    Raises:
        ConfigurationError: Both ``use_temp`` and ``use_cache_dir`` are set.
    """
    path = Path(cache_name).expanduser()
    if use_temp and use_cache_dir:
        raise ConfigurationError('use_temp and use_cache_dir cannot both be True')
    if use_temp and not path.is_absolute():
        path = Path(tempfile.gettempdir()) / path
    elif use_cache_dir and not path.is_absolute():
        path = user_cache_dir() / path
    return path


def sqlite_path(
    cache_name: Union[str, Path], use_temp: bool = False, use_cache_dir: bool = False
) -> Path:
    """Where the database file for ``cache_name`` lives: see `cache_path`, plus ``.sqlite`` if
    the name has no suffix."""
    path = cache_path(cache_name, use_temp, use_cache_dir)
    return path if path.suffix else path.with_name(path.name + '.sqlite')
