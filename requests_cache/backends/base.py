"""The HTTP level of every backend, `BaseCache`, over the dict-like `BaseStorage` level.

`BaseStorage` (in `requests_cache.backends.storage`, re-exported here) knows nothing about HTTP.
`BaseCache` owns the HTTP side on top of three storages: ``responses``, ``redirects`` and
``meta`` (statistics): serialization, redirect aliases, the management API, and lookups that
turn a corrupt or foreign entry into a logged miss instead of an exception.
"""

from __future__ import annotations

import logging
import pickle
import threading
import warnings
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, Callable, ClassVar, Optional, TypeVar, Union

from requests import Request, Response

from ..errors import StorageError, UnknownSettingError
from ..keys import key_for
from ..models import CachedResponse, utcnow
from ..policy.expiration import expiry_time, parse_expire_after
from ..policy.settings import CacheSettings, unknown_keyword_message
from ..serializers import DecodeError, SerializerPipeline, init_serializer
from ..serializers.chunks import ChunkedBlob
from ..stats import CacheStats, StatsSummary
from ._arguments_1x import accepted_1x
from ._cache_1x import (
    accepting_1x_arguments,
    sorted_responses,
    vacuum_storage,
    write_failure_message,
)
from .credential_salt import credential_salt
from .eviction import DEFAULT_MAX_RESPONSE_SIZE, blob_size, check_max_response_size
from .leases import DEFAULT_LEASE_TTL, Lease, LeaseStore, LocalLeases
from .resilience import NEVER_OPENS, CircuitBreaker
from .selection import AgeInput, expired_keys, iter_entries, older_than_cutoff
from .stats_store import DEFAULT_STATS_INTERVAL, StatsRecorder
from .storage import SMALL_VALUE_LIMIT, BaseStorage, DictStorage

__all__ = ['BaseCache', 'BaseStorage', 'DictStorage']

logger = logging.getLogger(__name__)

T = TypeVar('T')


class BaseCache:
    """Stored responses and redirect aliases, over two `BaseStorage` objects.

    Args:
        cache_name: Backend-specific location (a file path, a namespace, a table name...).
        serializer: A serializer name, a `SerializerPipeline`, or None for the default.
    """

    #: Backend keyword arguments this class accepts, beyond ``cache_name`` and ``serializer``.
    backend_kwargs: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Every backend takes requests-cache 1.x arguments too (see _arguments_1x): translated
        # here, once, rather than in each backend's constructor.
        super().__init_subclass__(**kwargs)
        if '__init__' in cls.__dict__:
            setattr(cls, '__init__', accepting_1x_arguments(cls.__dict__['__init__']))  # noqa: B010

    def __init__(
        self,
        cache_name: str = 'http_cache',
        serializer: Union[str, SerializerPipeline, None] = None,
        *,
        strict: bool = False,
        **kwargs: Any,
    ) -> None:
        self.check_kwargs(kwargs)
        self.cache_name = cache_name
        self.serializer = init_serializer(serializer)
        #: Raise storage errors instead of treating them as misses and skipped writes (a strict
        #: serializer asks for the same).
        self.strict = strict or self.serializer.strict
        #: What this cache did, added up over every session that uses it.
        self.stats = CacheStats()
        # Made on first use by `leases` (see `_make_leases`).
        self._leases: Optional[LeaseStore] = None
        self._leases_lock = threading.Lock()
        self.responses: BaseStorage = DictStorage()
        self.redirects: BaseStorage = DictStorage()
        #: Small records that are not responses (persisted statistics): never listed, counted or
        #: evicted as responses, and kept by `clear`.
        self.meta: BaseStorage = DictStorage()
        #: Seconds between writes of `stats` to `meta`, made on the write path and at close;
        #: None keeps statistics in memory only.
        self.stats_interval: Optional[float] = DEFAULT_STATS_INTERVAL
        #: Writes `stats` to `meta` (see `stats_store`); its ``clock`` is a seam for tests.
        self.stats_recorder = StatsRecorder(self)
        #: Unless ``strict``, a storage error is logged (rate-limited) and becomes a miss or a
        #: skipped write: the application keeps working without its cache. Local storage never
        #: opens the breaker; network backends replace it with one that does.
        self.breaker: Optional[CircuitBreaker] = (
            None
            if self.strict
            else CircuitBreaker(type(self).__name__, threshold=NEVER_OPENS, wait_budget=None)
        )
        self._max_response_size = DEFAULT_MAX_RESPONSE_SIZE
        self.responses.serializer = self.serializer
        #: The settings keys are built with (`create_key`, `contains`, `delete`,
        #: `recreate_keys`): those of the session using this cache (the latest one, if several
        #: share it).
        self.key_settings = CacheSettings()
        #: Brings over a requests-cache 1.x cache found in the same place, before the first read
        #: (set for network backends, whose import must not run while the cache is made).
        self.pending_1x_import: Optional[Callable[[], None]] = None

    @classmethod
    def accepted_kwargs(cls) -> set[str]:
        """The backend keyword arguments this class accepts (with the requests-cache 1.x ones it
        translates); drivers may add their own."""
        return set(cls.backend_kwargs) | {'strict'} | accepted_1x(cls)

    @classmethod
    def check_kwargs(cls, kwargs: Iterable[str], caller: Optional[str] = None) -> None:
        """Reject keyword arguments this backend does not accept, naming the closest valid one.

        Args:
            kwargs: The keyword names.
            caller: What the user called, for the message (``'CachedSession'``); default: this
                class.

        Raises:
            UnknownSettingError: A keyword is neither a setting nor a backend argument.
        """
        accepted = cls.accepted_kwargs()
        valid = accepted | set(CacheSettings.names()) | {'cache_name', 'serializer'}
        for name in kwargs:
            if name not in accepted:
                message = unknown_keyword_message(name, valid)
                raise UnknownSettingError(f'{caller or cls.__name__}() got an {message}')

    # --- reading ---------------------------------------------------------------------------
    def get_response(
        self, key: str, default: Optional[CachedResponse] = None
    ) -> Optional[CachedResponse]:
        """The response stored under ``key`` or under the redirect alias ``key``, else ``default``.

        An entry that cannot be decoded is logged, deleted and treated as a miss.

        Raises:
            StorageError: The storage failed, and this backend does not fail open.
        """
        pending = self.pending_1x_import
        if pending is not None:
            self.pending_1x_import = None
            self._guarded(pending, None, 'read_errors')
        return self._guarded(lambda: self._read_response(key, default), default, 'read_errors')

    def _read_response(
        self, key: str, default: Optional[CachedResponse]
    ) -> Optional[CachedResponse]:
        blob = self.responses.get_streamable(key)
        if blob is None:
            target = alias_target(self.redirects.get(key))
            if target is None:
                return default
            key = target
            blob = self.responses.get_streamable(key)
            if blob is None:
                return default
        try:
            response = self.serializer.loads(blob, key)
        except DecodeError as exc:
            logger.warning('Dropping unreadable cache entry %s: %s', key, exc)
            # discard(): other threads may be dropping the same entry right now (issue 15).
            self.responses.discard(key)
            return default
        self.responses.touch(key)
        return response

    # --- writing ---------------------------------------------------------------------------
    def save_response(
        self, response: Response, cache_key: Optional[str] = None, expires: Any = None
    ) -> bool:
        """Store a response under ``cache_key`` (default: its own ``cache_key``).

        A live `requests.Response` is copied first, with the ``ignored_parameters`` of
        `key_settings` redacted. Edits to a `CachedResponse`'s ``headers`` are stored.

        Returns:
            True if it was stored; False if it was over ``max_response_size`` or the storage
            failed (counted in ``stats.write_errors`` and logged).

        Raises:
            StorageError: The storage failed, and this backend does not fail open.
        """
        if not isinstance(response, CachedResponse):  # a live response, as 1.x accepted
            key = cache_key if cache_key is not None else self.create_key(response.request)
            ignored = self.key_settings.ignored_parameters
            response = CachedResponse.from_response(
                response, cache_key=key, ignored_parameters=ignored
            )
        if cache_key is not None:  # even '': a custom key_fn may return any string
            key = cache_key
        else:
            key = response.cache_key or self.create_key(response.request)
        if expires is not None:
            response.expires = expires
        return self._guarded(lambda: self._write_response(key, response), False, 'write_errors')

    def _write_response(self, key: str, response: CachedResponse) -> bool:
        """Serialize and store one response, unless it is over ``max_response_size``.

        Backends that store extra fields override this; they should call `_fits` on the blob.

        Returns:
            True if it was stored.
        """
        chunked = self.serializer.dumps_chunked(response, key)
        if chunked is not None:
            # A large body attached in a file is stored a chunk at a time, never held whole.
            with chunked:
                if not self._fits(key, chunked):
                    return False
                logger.debug('Storing %s in chunks: %d bytes', key, len(chunked))
                self.responses.set_chunked(key, chunked, response.expires)
                return True
        blob = self.serializer.dumps(response, key)
        if not self._fits(key, blob):
            return False
        self.responses.set(key, blob, response.expires)
        return True

    def _fits(self, key: str, blob: Any) -> bool:
        """True if ``blob`` is within ``max_response_size``; a larger one is logged, not stored."""
        size = len(blob) if isinstance(blob, ChunkedBlob) else blob_size(blob)
        if size <= self.max_response_size:
            return True
        logger.debug(
            'Not storing %s: %d bytes is over max_response_size=%d',
            key,
            size,
            self.max_response_size,
        )
        return False

    @property
    def max_response_size(self) -> int:
        """A response whose serialized blob is larger than this many bytes is not stored, and a
        stored one that is larger is a miss, never read whole (where the backend can tell)."""
        return self._max_response_size

    @max_response_size.setter
    def max_response_size(self, value: int) -> None:
        self._max_response_size = check_max_response_size(value)
        self.responses.max_value_size = self._max_response_size

    def _configure_limits(self, max_response_size: Any) -> None:
        """Set ``max_response_size`` and the read limits of every storage, and remove redirect
        aliases of evicted responses.

        Raises:
            ConfigurationError: ``max_response_size`` is not a non-negative int.
        """
        self.max_response_size = max_response_size
        for storage in (self.redirects, self.meta):
            if storage.max_value_size is None:
                storage.max_value_size = SMALL_VALUE_LIMIT
        self.responses.on_evict = self._evicted
        self.responses.serializer = self.serializer  # values() and items() decode with it

    def _evicted(self, keys: list[str]) -> None:
        """Count evicted responses, then drop their redirect aliases."""
        self.stats.add('evictions', len(keys))
        self._drop_aliases(keys)

    def _drop_aliases(self, keys: list[str]) -> None:
        """Delete redirect aliases that point at ``keys``; runs only after an eviction."""
        doomed = set(keys)
        aliases = []
        for alias, target in self.redirects.items():
            if alias_target(target) in doomed:
                aliases.append(alias)
        self.redirects.bulk_delete(aliases)

    def _guarded(
        self, operation: Callable[[], T], fallback: T, error_stat: str = 'read_errors'
    ) -> T:
        """Run a storage operation; unless strict, a failure is counted and returns ``fallback``."""
        if self.breaker is None:
            return operation()
        if not self.breaker.allow():
            return fallback
        started = self.breaker.clock()
        try:
            result = operation()
        except StorageError as exc:
            if error_stat == 'write_errors' and not self.stats.write_errors:
                # The first failed write of this cache is never only a rate-limited warning: a
                # store whose every write fails must not pass for a cache (issue #13).
                logger.error(write_failure_message(self, exc))
            self.breaker.record_failure(exc, self.breaker.clock() - started)
            self.stats.add(error_stat)
            return fallback
        self.breaker.record_success()
        return result

    def save_redirect(self, alias_key: str, target_key: str) -> None:
        """Make ``alias_key`` resolve to the response stored under ``target_key``."""
        if alias_key != target_key:
            write = lambda: self.redirects.__setitem__(alias_key, target_key)  # noqa: E731
            self._guarded(write, None, 'write_errors')

    # --- leases (coalescing across processes) ------------------------------------------------
    def lease(self, key: str, ttl: float = DEFAULT_LEASE_TTL) -> Lease:
        """A lease on ``key``: at most one holder at a time among everyone sharing this store.

        See `requests_cache.backends.leases` for how to coalesce with it and what it
        guarantees. Each call makes a new claim, with its own token.

        Args:
            key: The key to hold (a cache key; leases are kept apart from responses).
            ttl: Seconds a holding lasts unless released first.

        Raises:
            ConfigurationError: ``ttl`` is not a positive number.
        """
        return Lease(self.leases, key, ttl, self._guarded)

    @property
    def leases(self) -> LeaseStore:
        """Where this backend keeps leases, made on first use."""
        if self._leases is None:
            with self._leases_lock:
                if self._leases is None:
                    self._leases = self._make_leases()
        return self._leases

    def _make_leases(self) -> LeaseStore:
        """The lease store of this backend; the default coordinates this process only."""
        return LocalLeases()

    # --- management ------------------------------------------------------------------------
    def contains(
        self,
        key: Optional[str] = None,
        request: Any = None,
        url: Optional[str] = None,
        verify: bool = True,
    ) -> bool:
        """True if a response (or a redirect to one) is stored for a key, request or GET URL.

        Keys for ``request`` (prepared or not) and ``url`` are built with `key_settings`.
        """
        if key is None:
            if url is not None:
                request = Request('GET', url)
            if request is None:
                raise ValueError('contains() needs one of key, request or url')
            key = self.create_key(request, verify=verify)
        return key in self.responses or key in self.redirects

    def create_key(
        self, request: Any, match_headers: Any = None, verify: Any = True, **_: Any
    ) -> str:
        """The key of ``request`` (a `requests.PreparedRequest` or `requests.Request`) under
        `key_settings`: the key the session using this cache builds for it.

        ``match_headers`` overrides the session's setting for this key (1.x took it here).
        """
        if isinstance(request, Request):
            request = request.prepare()
        settings = self.key_settings
        if match_headers is not None:
            settings = settings.replace(match_headers=match_headers)
        return key_for(request, settings, verify, self.credential_salt)

    def delete(
        self,
        *keys: str,
        expired: bool = False,
        invalid: bool = False,
        older_than: AgeInput = None,
        urls: Iterable[str] = (),
        requests: Iterable[Any] = (),
        verify: bool = True,
        vacuum: bool = False,
    ) -> None:
        """Delete responses, and the redirect aliases that point at them.

        Args:
            keys: Cache keys to delete.
            expired: Also delete every expired response (through the expiry index if any).
            invalid: Also delete entries that cannot be decoded.
            older_than: Also delete responses created longer ago than this (seconds or timedelta).
            urls: Also delete the responses for these GET URLs.
            requests: Also delete the responses for these requests (prepared or not).
            verify: The ``verify`` the ``urls`` and ``requests`` were sent with.
            vacuum: Then give the freed space back to the filesystem, where the backend can
                (SQLite's ``VACUUM``; 1.x did it by default after bulk deletes).
        """
        now = self.now()
        targets = [*(Request('GET', url) for url in urls), *requests]
        doomed = set(keys) | {self.create_key(r, verify=verify) for r in targets}
        if expired and not self._delete_expired(now):
            doomed.update(expired_keys(self, now))
        cutoff = older_than_cutoff(older_than, now)
        if invalid or cutoff is not None:
            for key, response in iter_entries(self):
                if response is None:
                    if invalid:
                        doomed.add(key)
                elif cutoff is not None and response.created_at < cutoff:
                    doomed.add(key)
        logger.debug('Deleting up to %d responses from %s', len(doomed), self)
        self.responses.bulk_delete(doomed)
        aliases = [k for k, v in self.redirects.items() if alias_target(v) in doomed or k in doomed]
        self.redirects.bulk_delete(aliases)
        if vacuum:
            vacuum_storage(self)

    def _delete_expired(self, now: datetime) -> bool:
        """Delete expired responses and their aliases in bulk, if the backend can; False if not
        (then `delete` finds them through `expired_keys`)."""
        return False

    def filter(
        self,
        valid: bool = True,
        expired: bool = True,
        invalid: bool = False,
        older_than: AgeInput = None,
    ) -> Iterator[CachedResponse]:
        """Yield stored responses that are unexpired (``valid``) and/or ``expired``.

        ``older_than`` keeps only those created longer ago than that. Entries that cannot be
        decoded are never yielded; with ``invalid=True`` their keys are logged (delete them with
        ``delete(invalid=True)``).
        """
        now = self.now()
        cutoff = older_than_cutoff(older_than, now)
        for key, response in iter_entries(self):
            if response is None:
                if invalid:
                    logger.info('Entry %s cannot be decoded', key)
                continue
            is_expired = response.expires is not None and response.expires <= now
            if (is_expired and not expired) or (not is_expired and not valid):
                continue
            if cutoff is None or response.created_at < cutoff:
                yield response

    def reset_expiration(self, expire_after: Any = None) -> None:
        """Give every stored response a new expiry, counted from now (None: never expire)."""
        lifetime = parse_expire_after(expire_after)
        now = self.now()
        for key, response in iter_entries(self):
            if response is not None:
                response.expires = expiry_time(lifetime, now)
                self.save_response(response, key)

    def recreate_keys(self) -> None:
        """Store every response again under the key `key_settings` give it now (after a
        change of ``ignored_parameters``, ``match_headers`` or ``key_fn``)."""
        for key, response in iter_entries(self):
            if response is None:
                continue
            new_key = self.create_key(response.request)
            if new_key != key:
                self.save_response(response, new_key)
                self.responses.discard(key)

    def update(self, other: BaseCache) -> None:
        """Copy every response and redirect of another cache into this one."""
        for key, response in iter_entries(other):
            if response is not None:
                self.save_response(response, key)
        for alias, target in other.redirects.items():
            checked = alias_target(target)
            if checked is not None:
                self.save_redirect(alias, checked)

    def clear(self) -> None:
        """Delete every stored response and redirect; persisted statistics stay (see
        `reset_stats`)."""
        logger.debug('Clearing all responses from %s', self)
        self.responses.clear()
        self.redirects.clear()

    def close(self) -> None:
        """Write `stats` to `meta`, then close the underlying storage connections."""
        self.stats_recorder.close()
        self.responses.close()
        self.redirects.close()
        self.meta.close()

    # --- statistics that survive the process -----------------------------------------------
    def flush_stats(self) -> bool:
        """Write `stats` to `meta` now; True if anything new was written.

        Never raises, even if ``strict``: a failure is logged at WARNING.
        """
        return self.stats_recorder.write()

    def persisted_stats(self) -> StatsSummary:
        """The statistics every process wrote to this cache, added up.

        Counts this process has not written yet are left out: call `flush_stats` first.

        Raises:
            StorageError: The storage failed.
        """
        return self.stats_recorder.load()

    def reset_stats(self) -> None:
        """Delete the statistics every process wrote to this cache, and zero `stats`.

        Processes still running write only what they count after their next write.

        Raises:
            StorageError: The storage failed.
        """
        self.stats_recorder.reset()
        self.stats.reset()

    def urls(self, **kwargs: Any) -> list[str]:
        """The sorted, unique URLs of the readable stored responses; keyword arguments select
        them as `filter` does."""
        if kwargs:
            return sorted({r.url for r in self.filter(**kwargs)})
        return sorted({r.url for _, r in iter_entries(self) if r is not None})

    def count(self, expired: bool = True) -> int:
        """How many responses are stored; with ``expired=False``, how many are unexpired."""
        if expired:
            return len(self.responses)
        return sum(1 for _ in self.filter(expired=False))

    def sorted(
        self,
        key: str = 'expires',
        reversed: bool = False,
        limit: Optional[int] = None,
        expired: bool = True,
    ) -> Iterator[CachedResponse]:
        """Stored responses in order of ``'expires'`` (never-expiring first, as in 1.x),
        ``'size'`` or ``'key'``; at most ``limit`` of them; with ``expired=False`` only unexpired
        ones.

        Raises:
            ValueError: ``key`` is not one of those.
        """
        return sorted_responses(self, key, reversed, limit, expired)

    # --- requests-cache 0.6 names ------------------------------------------------------------
    def remove_expired_responses(self, expire_after: Any = None) -> None:
        """Deprecated: use ``delete(expired=True)`` (and ``reset_expiration()``)."""
        _deprecated('remove_expired_responses()', 'delete(expired=True)')
        if expire_after is not None:
            self.reset_expiration(expire_after)
        self.delete(expired=True, invalid=True)

    def has_url(self, url: str) -> bool:
        """Deprecated: use ``contains(url=url)``."""
        _deprecated('has_url(url)', 'contains(url=url)')
        return self.contains(url=url)

    def delete_url(self, url: str) -> None:
        """Deprecated: use ``delete(urls=[url])``."""
        _deprecated('delete_url(url)', 'delete(urls=[url])')
        self.delete(urls=[url])

    def keys(self) -> list[str]:
        """Deprecated: use ``responses.keys()``."""
        _deprecated('keys()', 'responses.keys()')
        return list(self.responses)

    def values(self) -> list[CachedResponse]:
        """Deprecated: use ``filter()``."""
        _deprecated('values()', 'filter()')
        return list(self.filter())

    def response_count(self) -> int:
        """Deprecated: use ``len(responses)``."""
        _deprecated('response_count()', 'len(responses)')
        return len(self.responses)

    def credential_salt(self) -> bytes:
        """The secret salt of the credential hashes in this cache's keys (see
        `requests_cache.backends.credential_salt`)."""
        return credential_salt(self)

    def now(self) -> datetime:
        """The current time (aware UTC); a seam for tests."""
        return utcnow()

    def __repr__(self) -> str:
        name = type(self).__name__
        return f'<{name}(name={self.cache_name!r}, serializer={self.serializer.name!r})>'


# BaseCache itself (1.x's in-memory cache) takes 1.x arguments too; subclasses get it from
# __init_subclass__.
BaseCache.__init__ = accepting_1x_arguments(BaseCache.__init__)  # type: ignore[method-assign]


def _deprecated(old: str, new: str) -> None:
    warnings.warn(f'{old} is deprecated; use {new} instead', DeprecationWarning, stacklevel=3)


def alias_target(value: Any) -> Optional[str]:
    """The cache key a stored redirect alias points at; None if there is none, or if the stored
    value is not a key (not text, or bytes that are not UTF-8), which makes the alias a miss."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        try:
            return bytes(value).decode('utf-8')
        except UnicodeDecodeError:
            logger.warning('Ignoring a redirect alias whose target is not UTF-8 text')
            return None
    if value is not None:
        logger.warning('Ignoring a redirect alias stored as %s', type(value).__name__)
    return None


# requests-cache 1.x names of this module, kept for code written for it.
#: Errors 1.x treated as "this entry cannot be decoded" (ours are all `DecodeError`).
DESERIALIZE_ERRORS = (AttributeError, ImportError, pickle.PickleError, TypeError, ValueError)
KT = TypeVar('KT')
VT = TypeVar('VT')
