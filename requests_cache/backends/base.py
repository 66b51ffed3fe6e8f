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
from typing import Any, ClassVar, Optional, Union

from ..errors import UnknownSettingError
from ..models import CachedResponse, utcnow
from ..policy.settings import CacheSettings, closest_name
from ..serializers import DecodeError, SerializerPipeline, init_serializer

__all__ = ['BaseCache', 'BaseStorage', 'DictStorage']

logger = logging.getLogger(__name__)


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
        serializer: Union[None, str, SerializerPipeline] = None,
        **kwargs: Any,
    ) -> None:
        self.check_kwargs(kwargs)
        self.cache_name = cache_name
        self.serializer = init_serializer(serializer)
        self.responses: BaseStorage = DictStorage()
        self.redirects: BaseStorage = DictStorage()

    @classmethod
    def check_kwargs(cls, kwargs: Iterable[str]) -> None:
        """Reject keyword arguments this backend does not accept, naming the closest valid one.

        Raises:
            UnknownSettingError: A keyword is neither a setting nor a backend argument.
        """
        valid = set(cls.backend_kwargs) | set(CacheSettings.names()) | {'cache_name', 'serializer'}
        for name in kwargs:
            if name not in cls.backend_kwargs:
                suggestion = closest_name(name, valid)
                hint = f'; did you mean {suggestion!r}?' if suggestion else ''
                raise UnknownSettingError(
                    f'{cls.__name__} got an unexpected keyword argument {name!r}{hint}'
                )

    # --- reading ---------------------------------------------------------------------------
    def get_response(self, key: str, default: Any = None) -> Optional[CachedResponse]:
        """The response stored under ``key`` or under the redirect alias ``key``, else ``default``.

        An entry that cannot be decoded is logged, deleted and treated as a miss.
        """
        blob = self.responses.get(key)
        if blob is None:
            target = self.redirects.get(key)
            if target is None:
                return default
            key = target.decode() if isinstance(target, bytes) else str(target)
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
        """Store a response under ``cache_key`` (default: its own ``cache_key``)."""
        key = cache_key or response.cache_key
        if expires is not None:
            response.expires = expires
        self.responses.set(key, self.serializer.dumps(response), response.expires)

    def save_redirect(self, alias_key: str, target_key: str) -> None:
        """Make ``alias_key`` resolve to the response stored under ``target_key``."""
        if alias_key != target_key:
            self.redirects[alias_key] = target_key

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
        return f'<{type(self).__name__}(name={self.cache_name!r}, serializer={self.serializer.name!r})>'


def _as_str(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
