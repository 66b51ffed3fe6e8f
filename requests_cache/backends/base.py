"""The two storage levels every backend is built from.

`BaseStorage` is a ``MutableMapping[str, blob]`` that knows nothing about HTTP: a new backend only
has to implement the five mapping methods (plus ``close()`` if it holds a connection).
`BaseCache` owns the HTTP side on top of two storages, ``responses`` and ``redirects``:
serialization, redirect aliases, and lookups that turn a corrupt or foreign entry into a logged
miss instead of an exception.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, MutableMapping
from datetime import datetime
from typing import Any, Callable, ClassVar, Optional, TypeVar, Union

from ..errors import StorageError, UnknownSettingError
from ..models import CachedResponse, utcnow
from ..policy.settings import CacheSettings, closest_name
from ..serializers import DecodeError, SerializerPipeline, init_serializer
from .resilience import CircuitBreaker

__all__ = ['BaseCache', 'BaseStorage', 'DictStorage']

logger = logging.getLogger(__name__)

T = TypeVar('T')


class BaseStorage(MutableMapping[str, Any], ABC):
    """A dict-like store of serialized values, keyed by strings.

    Subclasses implement ``__getitem__``, ``__setitem__``, ``__delitem__``, ``__iter__`` and
    ``__len__``. The other methods have working defaults that a backend may speed up.
    """

    @abstractmethod
    def __getitem__(self, key: str) -> Any: ...

    @abstractmethod
    def __setitem__(self, key: str, value: Any) -> None: ...

    @abstractmethod
    def __delitem__(self, key: str) -> None: ...

    @abstractmethod
    def __iter__(self) -> Iterator[str]: ...

    @abstractmethod
    def __len__(self) -> int: ...

    def set(self, key: str, value: Any, expires: Optional[datetime] = None) -> None:
        """Store a value with its expiry time, which backends with an expiry index keep too."""
        self[key] = value

    def bulk_delete(self, keys: Iterable[str]) -> None:
        """Delete several keys; missing keys are ignored."""
        for key in list(keys):
            self.pop(key, None)

    def clear(self) -> None:
        """Delete everything in this store."""
        self.bulk_delete(list(self))

    def close(self) -> None:
        """Release connections or file handles; the default has none."""

    def __repr__(self) -> str:
        return f'<{type(self).__name__}>'


class DictStorage(BaseStorage):
    """In-process storage over a dict; the values are serialized blobs, never live objects."""

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._data[key] = value

    def __delitem__(self, key: str) -> None:
        del self._data[key]

    def __iter__(self) -> Iterator[str]:
        # A copy: other threads may write while the caller iterates.
        return iter(list(self._data))

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        """Delete everything in this store."""
        self._data.clear()


class BaseCache:
    """Stored responses and redirect aliases, over two `BaseStorage` objects.

    Args:
        cache_name: Backend-specific location (a file path, a namespace, a table name...).
        serializer: A serializer name, a `SerializerPipeline`, or None for the default.
    """

    #: Backend keyword arguments this class accepts, beyond ``cache_name`` and ``serializer``.
    backend_kwargs: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        cache_name: str = 'http_cache',
        serializer: Union[str, SerializerPipeline, None] = None,
        **kwargs: Any,
    ) -> None:
        self.check_kwargs(kwargs)
        self.cache_name = cache_name
        self.serializer = init_serializer(serializer)
        self.responses: BaseStorage = DictStorage()
        self.redirects: BaseStorage = DictStorage()
        #: Set by network backends unless ``strict=True``: storage errors become misses.
        self.breaker: Optional[CircuitBreaker] = None

    @classmethod
    def accepted_kwargs(cls) -> set[str]:
        """The backend keyword arguments this class accepts; drivers may add their own."""
        return set(cls.backend_kwargs)

    @classmethod
    def check_kwargs(cls, kwargs: Iterable[str]) -> None:
        """Reject keyword arguments this backend does not accept, naming the closest valid one.

        Raises:
            UnknownSettingError: A keyword is neither a setting nor a backend argument.
        """
        accepted = cls.accepted_kwargs()
        valid = accepted | set(CacheSettings.names()) | {'cache_name', 'serializer'}
        for name in kwargs:
            if name not in accepted:
                suggestion = closest_name(name, valid)
                hint = f'; did you mean {suggestion!r}?' if suggestion else ''
                raise UnknownSettingError(
                    f'{cls.__name__} got an unexpected keyword argument {name!r}{hint}'
                )

    # --- reading ---------------------------------------------------------------------------
    def get_response(
        self, key: str, default: Optional[CachedResponse] = None
    ) -> Optional[CachedResponse]:
        """The response stored under ``key`` or under the redirect alias ``key``, else ``default``.

        An entry that cannot be decoded is logged, deleted and treated as a miss.

        Raises:
            StorageError: The storage failed, and this backend does not fail open.
        """
        return self._guarded(lambda: self._read_response(key, default), default)

    def _read_response(
        self, key: str, default: Optional[CachedResponse]
    ) -> Optional[CachedResponse]:
        blob = self.responses.get(key)
        if blob is None:
            target = self.redirects.get(key)
            if target is None:
                return default
            key = _as_str(target)
            blob = self.responses.get(key)
            if blob is None:
                return default
        try:
            return self.serializer.loads(blob, key)
        except DecodeError as exc:
            logger.warning('Dropping unreadable cache entry %s: %s', key, exc)
            self.responses.pop(key, None)
            return default

    # --- writing ---------------------------------------------------------------------------
    def save_response(
        self, response: CachedResponse, cache_key: Optional[str] = None, expires: Any = None
    ) -> None:
        """Store a response under ``cache_key`` (default: its own ``cache_key``).

        Raises:
            StorageError: The storage failed, and this backend does not fail open.
        """
        key = cache_key or response.cache_key
        if expires is not None:
            response.expires = expires
        self._guarded(lambda: self._write_response(key, response), None)

    def _write_response(self, key: str, response: CachedResponse) -> None:
        """Serialize and store one response; backends that store extra fields override this."""
        self.responses.set(key, self.serializer.dumps(response), response.expires)

    def _guarded(self, operation: Callable[[], T], fallback: T) -> T:
        """Run a storage operation; with a circuit breaker, a failure returns ``fallback``."""
        if self.breaker is None:
            return operation()
        if not self.breaker.allow():
            return fallback
        try:
            result = operation()
        except StorageError as exc:
            self.breaker.record_failure(exc)
            return fallback
        self.breaker.record_success()
        return result

    def save_redirect(self, alias_key: str, target_key: str) -> None:
        """Make ``alias_key`` resolve to the response stored under ``target_key``."""
        if alias_key != target_key:
            self._guarded(lambda: self.redirects.__setitem__(alias_key, target_key), None)

    # --- management ------------------------------------------------------------------------
    def contains(self, key: str) -> bool:
        """True if a response (or a redirect to one) is stored under ``key``."""
        return key in self.responses or key in self.redirects

    def delete(self, *keys: str) -> None:
        """Delete responses by key, and any redirect aliases that pointed at them."""
        doomed = set(keys)
        self.responses.bulk_delete(doomed)
        aliases = [k for k, v in self.redirects.items() if _as_str(v) in doomed or k in doomed]
        self.redirects.bulk_delete(aliases)

    def clear(self) -> None:
        """Delete every stored response and redirect."""
        logger.debug('Clearing all responses from %s', self)
        self.responses.clear()
        self.redirects.clear()

    def close(self) -> None:
        """Close the underlying storage connections."""
        self.responses.close()
        self.redirects.close()

    def urls(self) -> list[str]:
        """The sorted, unique URLs of all readable stored responses."""
        urls = set()
        for key in list(self.responses):
            response = self.get_response(key)
            if response is not None:
                urls.add(response.url)
        return sorted(urls)

    def now(self) -> datetime:
        """The current time (aware UTC); a seam for tests."""
        return utcnow()

    def __repr__(self) -> str:
        name = type(self).__name__
        return f'<{name}(name={self.cache_name!r}, serializer={self.serializer.name!r})>'


def _as_str(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
