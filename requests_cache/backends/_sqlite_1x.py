"""requests-cache 1.x helpers of its SQLite module, kept for code written for it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Union

from ..errors import ConfigurationError
from .sqlite_paths import cache_path

__all__ = ['SQLITE_MAX_VARIABLE_NUMBER', 'get_cache_path', 'sqlite_template']

#: Bound parameters per statement that every SQLite build allows (1.x name).
SQLITE_MAX_VARIABLE_NUMBER = 999


def get_cache_path(
    db_path: Union[str, Path], use_cache_dir: bool = False, use_temp: bool = False
) -> Path:
    """The absolute path of a cache file, its parent directories created (1.x name).

    Raises:
        FileExistsError: A parent of the path is a file.
    """
    try:
        path = cache_path(db_path, use_temp, use_cache_dir)
    except ConfigurationError:  # both use_temp and use_cache_dir: 1.x preferred the cache dir
        path = cache_path(db_path, False, use_cache_dir)
    path = path.expanduser().absolute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise FileExistsError(
            f'Parent path exists and is not a directory: {path.parent}; '
            'delete that file or choose another path'
        ) from None
    return path


def sqlite_template(
    timeout: float = 5.0,
    detect_types: int = 0,
    isolation_level: Optional[str] = None,
    check_same_thread: bool = True,
    factory: Optional[type] = None,
    cached_statements: int = 100,
    uri: bool = False,
) -> Any:
    """The signature of `sqlite3.connect` (1.x name): callers read its parameter names to pick
    out SQLite arguments from mixed keyword arguments."""
