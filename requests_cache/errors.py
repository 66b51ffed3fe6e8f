"""The exceptions this library raises.

Every exception subclasses a builtin that callers already catch, so adding a cache never forces new
``except`` clauses on existing code::

    RequestsCacheError(Exception)
    ├── ConfigurationError(ValueError)       bad expire_after, unknown backend or serializer name
    │   └── UnknownSettingError(TypeError)   an unknown keyword argument (also a TypeError)
    ├── MissingDependencyError(ImportError)  an optional extra is not installed; names the extra
    └── StorageError(OSError)                a backend is unreachable or its data is corrupt

Network errors stay ``requests`` exceptions: the cache is transparent.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = [
    'ConfigurationError',
    'MissingDependencyError',
    'RequestsCacheError',
    'StorageError',
    'UnknownSettingError',
    'translate_errors',
]


class RequestsCacheError(Exception):
    """Base class for every exception raised by requests_cache."""


class ConfigurationError(RequestsCacheError, ValueError):
    """A setting has a value that is not allowed; the message says which values are."""


class UnknownSettingError(ConfigurationError, TypeError):
    """A keyword argument that no setting or backend accepts; the message names the closest one."""


class MissingDependencyError(RequestsCacheError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""

    def __init__(self, feature: str, extra: str, package: str) -> None:
        super().__init__(
            f'{feature} requires the {package!r} package. '
            f"Install it with: pip install 'requests-cache[{extra}]'"
        )
        self.extra = extra


class StorageError(RequestsCacheError, OSError):
    """A storage backend failed: unreachable, locked past its timeout, or corrupt."""


@contextlib.contextmanager
def translate_errors(backend: str, *driver_errors: type[BaseException]) -> Iterator[None]:
    """Re-raise the given driver exceptions as `StorageError`, chained to the original.

    Args:
        backend: Backend name, used in the message.
        driver_errors: Exception types of the storage driver to translate.
    """
    try:
        yield
    except driver_errors as exc:
        raise StorageError(f'{backend} storage error: {exc}') from exc
