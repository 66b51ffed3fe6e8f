"""Storage backends, by name. Optional ones are imported only when asked for."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import Any, Union

from ..errors import ConfigurationError
from ..policy.settings import DEFAULT_CACHE_NAME
from ..serializers import init_serializer
from ..serializers.signing import warn_if_unsafe
from ._arguments_1x import translate
from .base import BaseCache, BaseStorage, DictStorage
from .memory import MemoryCache
from .sqlite import SQLiteCache

__all__ = [
    'BACKEND_CLASSES',
    'BackendClasses',
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


class BackendClasses(MutableMapping[str, type[BaseCache]]):
    """Backend name -> class, each class imported the first time it is looked up, so backends
    with optional dependencies load on first use. `spec` gives the ``'module:Class'`` string.

    As in requests-cache 1.x (where this was a dict), a custom backend class can be registered
    under a name of its own: ``BACKEND_CLASSES['mine'] = MyCache``.
    """

    def __init__(self, specs: Mapping[str, str]) -> None:
        self._entries: dict[str, Union[str, type[BaseCache]]] = dict(specs)

    def spec(self, name: str) -> str:
        """``'module:Class'`` of the backend registered under ``name``."""
        entry = self._entries[name]
        return entry if isinstance(entry, str) else f'{entry.__module__}:{entry.__qualname__}'

    def __getitem__(self, name: str) -> type[BaseCache]:
        entry = self._entries[name]
        if not isinstance(entry, str):
            return entry
        module_name, _, class_name = entry.partition(':')
        return getattr(importlib.import_module(module_name), class_name)  # type: ignore[no-any-return]

    def __setitem__(self, name: str, cls: type[BaseCache]) -> None:
        self._entries[name] = cls

    def __delitem__(self, name: str) -> None:
        del self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def copy(self) -> dict[str, Union[str, type[BaseCache]]]:
        """The registered entries (specs or classes), without importing any backend."""
        return dict(self._entries)

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Register several entries (classes, or specs as `copy` returns them)."""
        self._entries.update(*args, **kwargs)

    def __repr__(self) -> str:
        return f'BackendClasses({self._entries!r})'


#: Backend name -> class (imported on first lookup).
BACKEND_CLASSES = BackendClasses(
    {
        'dynamodb': 'requests_cache.backends.dynamodb:DynamoDbCache',
        'filesystem': 'requests_cache.backends.filesystem:FileCache',
        'gridfs': 'requests_cache.backends.gridfs:GridFSCache',
        'memory': 'requests_cache.backends.memory:MemoryCache',
        'mongodb': 'requests_cache.backends.mongodb:MongoCache',
        'redis': 'requests_cache.backends.redis:RedisCache',
        'sqlite': 'requests_cache.backends.sqlite:SQLiteCache',
    }
)


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
    return BACKEND_CLASSES[name]


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
    # requests-cache 1.x: the backend's own name for its location, given instead of cache_name
    for name in CACHE_NAME_KWARGS:
        if name in kwargs and cache_name == DEFAULT_CACHE_NAME:
            cache_name = kwargs.pop(name)
    if isinstance(backend, BaseCache):
        if kwargs:
            # As in 1.x, arguments that make a backend are accepted with an instance, which was
            # made already; only their names are checked, so a misspelt one still fails.
            ours = translate(type(backend), kwargs)[0]
            type(backend).check_kwargs(ours)
            logger.debug('Backend arguments %s given with an instance are not used', sorted(ours))
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
        if _conflicts(backend, serializer) or secret_key is not None or strict:
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
        # As in 1.x, the arguments that made the instance may be given again (and are unused);
        # only their names are checked, so a misspelt one still fails.
        type(backend).check_kwargs(translate(type(backend), backend_kwargs)[0], caller)
    elif backend is None or (isinstance(backend, str) and backend in BACKEND_CLASSES):
        cls = backend_class(backend or 'sqlite')
        if isinstance(cls, type) and issubclass(cls, BaseCache):  # (1.x code may register any)
            cls.check_kwargs(backend_kwargs, caller)
    elif not isinstance(backend, str):  # an unknown name is init_backend's to explain
        raise ConfigurationError(
            f'backend={backend!r} is not valid; allowed: a backend name or a BaseCache instance'
        )


def _conflicts(backend: BaseCache, serializer: Any) -> bool:
    """True if ``serializer`` was given with a backend instance that uses another format.

    1.x code passes the same arguments to a backend and to its session; the same format twice is
    no conflict, but a different one would be silently ignored, so it is refused.
    """
    if serializer is None:
        return False
    try:
        given = init_serializer(serializer)
    except ConfigurationError:
        return True
    return given.name != backend.serializer.name


# --- requests-cache 1.x names, kept for code written for it ---------------------------------------
#: Backend arguments that name the location, accepted in place of ``cache_name`` (1.x name).
CACHE_NAME_KWARGS = ['db_path', 'db_name', 'namespace', 'table_name']
#: What ``backend=`` accepts (1.x name): a backend name or instance.
BackendSpecifier = Union[str, BaseCache]
#: A path given as text or a `pathlib.Path` (1.x name).
StrOrPath = Union[Path, str]

logger = logging.getLogger(__name__)

#: 1.x names of backend classes -> their modules; imported when first used.
_LAZY = {
    'DynamoDbCache': 'dynamodb',
    'DynamoDbDict': 'dynamodb',
    'FileCache': 'filesystem',
    'FileDict': 'filesystem',
    'LRUFileDict': 'filesystem',
    'GridFSCache': 'gridfs',
    'GridFSDict': 'gridfs',
    'MongoCache': 'mongodb',
    'MongoDict': 'mongodb',
    'RedisCache': 'redis',
    'RedisDict': 'redis',
    'RedisHashDict': 'redis',
    'SQLiteDict': 'sqlite',
}


def __getattr__(name: str) -> Any:
    """Backend classes by their 1.x names (``from requests_cache.backends import RedisCache``),
    imported on first use so that optional drivers load only for the backends in use."""
    if name in _LAZY:
        return getattr(importlib.import_module(f'{__name__}.{_LAZY[name]}'), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
