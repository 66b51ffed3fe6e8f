"""Storage backends, by name. Optional ones are imported only when asked for."""

from __future__ import annotations

import importlib
from typing import Any, Union

from ..errors import ConfigurationError
from ..serializers import init_serializer
from ..serializers.signing import warn_if_unsafe
from .base import BaseCache, BaseStorage, DictStorage
from .memory import MemoryCache
from .sqlite import SQLiteCache

__all__ = [
    'BACKEND_CLASSES',
    'BaseCache',
    'BaseStorage',
    'DictStorage',
    'MemoryCache',
    'SQLiteCache',
    'backend_class',
    'check_backend_kwargs',
    'init_backend',
    'storage_arguments',
]

#: Backend name -> "module:class". Modules with optional dependencies load on first use.
BACKEND_CLASSES: dict[str, str] = {
    'dynamodb': 'requests_cache.backends.dynamodb:DynamoDbCache',
    'filesystem': 'requests_cache.backends.filesystem:FileCache',
    'gridfs': 'requests_cache.backends.gridfs:GridFSCache',
    'memory': 'requests_cache.backends.memory:MemoryCache',
    'mongodb': 'requests_cache.backends.mongodb:MongoCache',
    'redis': 'requests_cache.backends.redis:RedisCache',
    'sqlite': 'requests_cache.backends.sqlite:SQLiteCache',
}


def backend_class(name: str) -> type[BaseCache]:
    """Import and return the backend class registered under ``name``.

    Raises:
        ConfigurationError: No backend has that name.
    """
    if name not in BACKEND_CLASSES:
        raise ConfigurationError(
            f'backend={name!r} is not valid; allowed: {sorted(BACKEND_CLASSES)} '
            'or a BaseCache instance'
        )
    module_name, _, class_name = BACKEND_CLASSES[name].partition(':')
    return getattr(importlib.import_module(module_name), class_name)  # type: ignore[no-any-return]


def init_backend(
    cache_name: str, backend: Union[str, BaseCache, None] = None, **kwargs: Any
) -> BaseCache:
    """Resolve the ``backend=`` argument into a cache object.

    Args:
        cache_name: Passed to the backend as its location.
        backend: A backend name, an instance (used as is), or None for SQLite.
        kwargs: Backend keyword arguments.

    Raises:
        ConfigurationError: Unknown backend name, or arguments given with an instance.
    """
    if isinstance(backend, BaseCache):
        if kwargs:
            BaseCache.check_kwargs(kwargs)
        return backend
    if backend is not None and not isinstance(backend, str):
        raise ConfigurationError(
            f'backend={backend!r} is not valid; allowed: a backend name or a BaseCache instance'
        )
    cls = backend_class(backend or 'sqlite')
    return cls(cache_name, **kwargs)


def storage_arguments(
    backend: Union[str, BaseCache, None],
    serializer: Any,
    backend_kwargs: dict[str, Any],
    caller: str = 'CachedSession',
) -> dict[str, Any]:
    """Backend arguments, with ``serializer``, ``secret_key`` and ``strict`` folded in.

    ``secret_key`` signs every blob and ``strict=True`` makes unreadable entries (and, on
    network backends, unreachable servers) raise `StorageError` instead of being misses.

    Raises:
        UnknownSettingError: A keyword nothing accepts; the message names ``caller``, what the
            user called, rather than the backend class.
    """
    secret_key = backend_kwargs.pop('secret_key', None)
    strict = backend_kwargs.pop('strict', False)
    check_backend_kwargs(backend, backend_kwargs, caller)
    if isinstance(backend, BaseCache):
        if serializer is not None or secret_key is not None or strict:
            raise ConfigurationError(
                'serializer, secret_key and strict apply only with a backend name; '
                'configure the backend instance instead'
            )
        return backend_kwargs
    name = backend or 'sqlite'
    warn_if_unsafe(serializer, name, secret_key)
    if secret_key is not None or strict:
        serializer = init_serializer(serializer, secret_key=secret_key, strict=strict)
    if serializer is not None:
        backend_kwargs['serializer'] = serializer
    if strict and 'strict' in backend_class(name).accepted_kwargs():
        backend_kwargs['strict'] = True
    return backend_kwargs


def check_backend_kwargs(
    backend: Union[str, BaseCache, None], backend_kwargs: dict[str, Any], caller: str
) -> None:
    """Reject keywords that the backend does not accept, in a message naming ``caller``.

    Raises:
        UnknownSettingError: A keyword nothing accepts (with the closest valid name).
        ConfigurationError: ``backend`` is neither a name nor a `BaseCache`.
    """
    if isinstance(backend, BaseCache):
        BaseCache.check_kwargs(backend_kwargs, caller)  # an instance takes no arguments at all
    elif backend is None or (isinstance(backend, str) and backend in BACKEND_CLASSES):
        backend_class(backend or 'sqlite').check_kwargs(backend_kwargs, caller)
    elif not isinstance(backend, str):  # an unknown name is init_backend's to explain
        raise ConfigurationError(
            f'backend={backend!r} is not valid; allowed: a backend name or a BaseCache instance'
        )
