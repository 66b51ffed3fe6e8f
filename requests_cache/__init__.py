"""requests_cache: a persistent, transparent, RFC 9111-correct HTTP cache for ``requests``.

>>> from requests_cache import CachedSession
>>> session = CachedSession('demo_cache', backend='memory')
"""

from .backends import BaseCache, BaseStorage, MemoryCache, SQLiteCache, init_backend
from .cache_status import CacheStatus, Forward
from .errors import (
    ConfigurationError,
    MissingDependencyError,
    RequestsCacheError,
    StorageError,
    UnknownSettingError,
)
from .keys import create_key
from .models import CachedHTTPResponse, CachedRequest, CachedResponse
from .patcher import (
    clear,
    delete,
    disabled,
    enabled,
    get_cache,
    install_cache,
    is_installed,
    uninstall_cache,
)
from .policy import (
    DO_NOT_CACHE,
    EXPIRE_IMMEDIATELY,
    NEVER_EXPIRE,
    CacheSettings,
    RequestOptions,
)
from .serializers import SerializerPipeline, Stage
from .session import CachedSession, CacheMixin

__version__ = '2.0.0.dev0'

__all__ = [
    'DO_NOT_CACHE',
    'EXPIRE_IMMEDIATELY',
    'NEVER_EXPIRE',
    'BaseCache',
    'BaseStorage',
    'CacheMixin',
    'CacheSettings',
    'CacheStatus',
    'CachedHTTPResponse',
    'CachedRequest',
    'CachedResponse',
    'CachedSession',
    'ConfigurationError',
    'Forward',
    'MemoryCache',
    'MissingDependencyError',
    'RequestOptions',
    'RequestsCacheError',
    'SQLiteCache',
    'SerializerPipeline',
    'Stage',
    'StorageError',
    'UnknownSettingError',
    'clear',
    'create_key',
    'delete',
    'disabled',
    'enabled',
    'get_cache',
    'init_backend',
    'install_cache',
    'is_installed',
    'uninstall_cache',
]


def __getattr__(name: str) -> object:
    """requests-cache 1.x top-level names (``ALL_METHODS``, ``RedisCache``, ``json_serializer``...),
    imported on first use; see `requests_cache._names_1x`."""
    from ._names_1x import resolve

    return resolve(name)


def __dir__() -> list[str]:
    from ._names_1x import NAMES_1X

    return sorted({*globals(), *NAMES_1X, 'logger'})
