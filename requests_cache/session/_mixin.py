"""`CacheMixin` and `CachedSession`: the request shell.

``request()`` is a provably identical fast hit (`_fast_path`) or ``super().request()``. ``send()``
reads as the data flow: read the options, skip the cache if it does not apply, look up once,
then one switch over the policy's decision: serve, answer 504, or go to the origin (once per key
at a time when identical requests arrive together).
"""

from __future__ import annotations

import inspect
import logging
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Optional, Union

import requests
from requests import PreparedRequest, Request, Response

from .. import policy
from .._session_1x import wrap_session
from ..backends import (
    BACKEND_CLASSES,
    BaseCache,
    backend_class,
    init_backend,
    storage_arguments,
)
from ..cache_status import Forward
from ..errors import ConfigurationError, UnknownSettingError
from ..models import CachedResponse, utcnow
from ..policy import (
    CacheSettings,
    Fetch,
    NotCached,
    RequestFacts,
    RequestOptions,
    Revalidate,
    Serve,
)
from ..policy.expiration import ExpireAfterInput, UrlPattern
from ..policy.methods import allowed_method
from ..policy.request_directives import effective_options
from ..policy.settings import (
    DEFAULT_IGNORED_PARAMETERS,
    NOT_GIVEN,
    NotGiven,
    rename_deprecated,
    split_kwargs,
    unknown_keyword_message,
)
from ..stats import CacheStats
from ._coalesce import (
    LEASE_SHARE,
    coalesce_in_store,
    coalesces,
    coalesces_in_store,
    in_flight_for,
    wait_seconds,
)
from ._context import (
    DEFAULT_OPTIONS,
    Exchange,
    LookupTimer,
    assert_never,
    disabled_for,
    is_disabled,
    request_options,
)
from ._fast_path import fast_hit, remember
from ._lookup import Lookup, look_up
from ._origin import fetch, revalidate, send_uncached
from ._refresh import BackgroundRefresher
from ._serve import gateway_timeout, serve_stored
from ._settings_view import SettingsView
from ._status import Forwarding, forwarding_for, lookup_detail

__all__ = ['CacheMixin', 'CachedSession']

logger = logging.getLogger(__name__)

_OPTION_NAMES = ('expire_after', 'only_if_cached', 'refresh', 'force_refresh')


class CacheMixin:
    """Caching for any `requests.Session` subclass; see `CachedSession` for the arguments.

    Keyword arguments that are neither settings nor backend arguments go to the next class in
    the method resolution order, so caching composes with other session mixins:
    ``class S(CacheMixin, LimiterMixin, requests.Session)``.
    """

    def __init__(
        self,
        cache_name: str = 'http_cache',
        backend: Union[str, BaseCache, None] = None,
        serializer: Any = None,
        expire_after: Union[ExpireAfterInput, NotGiven] = NOT_GIVEN,
        urls_expire_after: Optional[Mapping[UrlPattern, ExpireAfterInput]] = None,
        cache_control: bool = False,
        allowable_codes: Optional[Iterable[int]] = None,
        allowable_methods: Iterable[str] = ('GET', 'HEAD'),
        ignored_parameters: Optional[Iterable[str]] = DEFAULT_IGNORED_PARAMETERS,
        match_headers: Union[bool, Iterable[str]] = False,
        filter_fn: Optional[Callable[[Response], bool]] = None,
        key_fn: Optional[Callable[..., str]] = None,
        stale_if_error: Union[bool, ExpireAfterInput] = False,
        always_revalidate: bool = False,
        read_only: bool = False,
        autoclose: bool = True,
        metrics: Any = False,
        **kwargs: Any,
    ) -> None:
        setting_kwargs, other_kwargs = split_kwargs(kwargs)
        explicit = {
            'urls_expire_after': urls_expire_after,
            'cache_control': cache_control,
            'allowable_codes': allowable_codes,
            'allowable_methods': allowable_methods,
            'ignored_parameters': ignored_parameters,
            'match_headers': match_headers,
            'filter_fn': filter_fn,
            'key_fn': key_fn,
            'stale_if_error': stale_if_error,
            'always_revalidate': always_revalidate,
            'read_only': read_only,
            'autoclose': autoclose,
        }
        # Left out, expire_after is not passed on: with cache_control=True, RFC 9111 alone then
        # decides (see policy.resolve_expire_after).
        if expire_after is not NOT_GIVEN:
            explicit['expire_after'] = expire_after
        # A 0.6 name (old_data_on_error=True) must win over the default of its new name.
        explicit.update(rename_deprecated(setting_kwargs))
        self._settings = CacheSettings.from_kwargs(**explicit)
        backend_kwargs, next_kwargs = self._split_for_next_class(backend, other_kwargs)
        if read_only and _backend_takes(backend, 'read_only'):
            # A read-only session opens its store read-only too (SQLite: never creates, writes
            # or repairs the file).
            backend_kwargs.setdefault('read_only', True)
        arguments = storage_arguments(backend, serializer, backend_kwargs, type(self).__name__)
        self.cache: BaseCache = init_backend(cache_name, backend, **arguments)
        self.cache.key_settings = self._settings
        self._disable_token = object()
        #: This session's own counters; ``cache.stats`` adds up every session on the backend.
        self.stats = CacheStats()
        self._refresher = BackgroundRefresher()
        self.clock: Callable[[], Any] = utcnow
        self._metrics: Optional[LookupTimer] = _metrics_for(metrics, self.cache)
        super().__init__(**next_kwargs)

    def _split_for_next_class(
        self, backend: Union[str, BaseCache, None], kwargs: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Split keyword arguments into the backend's and the next class's in the MRO.

        Raises:
            UnknownSettingError: An argument that neither accepts, naming the closest valid one.
        """
        if not kwargs:
            return {}, {}
        cls = (
            type(backend) if isinstance(backend, BaseCache) else backend_class(backend or 'sqlite')
        )
        for_backend = cls.accepted_kwargs() | {'secret_key', 'strict'}
        backend_kwargs = {k: v for k, v in kwargs.items() if k in for_backend}
        rest = {k: v for k, v in kwargs.items() if k not in for_backend}
        accepted = _accepted_by_next_class(type(self))
        unknown = sorted(k for k in rest if accepted is not None and k not in accepted)
        if unknown:
            valid = set(CacheSettings.names()) | for_backend | set(accepted or ())
            raise UnknownSettingError(
                f'{type(self).__name__}() got an {unknown_keyword_message(unknown[0], valid)}'
            )
        return backend_kwargs, rest

    # --- settings --------------------------------------------------------------------------
    @property
    def _settings(self) -> CacheSettings:
        return self.__dict__['_cache_settings']  # type: ignore[no-any-return]

    @_settings.setter
    def _settings(self, value: CacheSettings) -> None:
        # The cache builds keys for contains(), delete()... with the settings of its session.
        self.__dict__['_cache_settings'] = value
        cache = self.__dict__.get('cache')
        if cache is not None:
            cache.key_settings = value

    @property
    def settings(self) -> SettingsView:
        """This session's settings. Assigning an attribute validates it and swaps in a new value:
        ``session.settings.expire_after = 360``."""
        return SettingsView(self)

    @settings.setter
    def settings(self, value: Union[CacheSettings, SettingsView]) -> None:
        if isinstance(value, SettingsView):  # another session's settings
            value = value.frozen()
        if not isinstance(value, CacheSettings):
            raise ConfigurationError(f'settings must be a CacheSettings, not {value!r}')
        self._settings = value

    @property
    def autoclose(self) -> bool:
        """Close the cache when the session is closed (shortcut for ``settings.autoclose``)."""
        return self._settings.autoclose

    @autoclose.setter
    def autoclose(self, value: bool) -> None:
        self._settings = self._settings.replace(autoclose=value)

    @property
    def expire_after(self) -> policy.ExpireAfter:
        """The session's default expiration (shortcut for ``settings.expire_after``)."""
        return self._settings.expire_after

    @expire_after.setter
    def expire_after(self, value: ExpireAfterInput) -> None:
        self._settings = self._settings.replace(expire_after=value)

    # --- request(): a fast hit, or requests' own request() -----------------------------------
    def request(
        self,
        method: str,
        url: Any,
        params: Any = None,
        data: Any = None,
        headers: Any = None,
        cookies: Any = None,
        files: Any = None,
        auth: Any = None,
        timeout: Any = None,
        allow_redirects: bool = True,
        proxies: Any = None,
        hooks: Any = None,
        stream: Optional[bool] = None,
        verify: Any = None,
        cert: Any = None,
        json: Any = None,
        *,
        expire_after: ExpireAfterInput = None,
        only_if_cached: bool = False,
        refresh: bool = False,
        force_refresh: bool = False,
    ) -> Response:
        """Send a request, like `requests.Session.request`, with optional cache options.

        A fresh stored response is answered before the request is prepared when that provably
        gives the same result (see `requests_cache.session._fast_path`); otherwise this is
        requests' own ``request()``, which prepares the request and calls ``send()``.

        Args:
            expire_after: Expiration for this response, overriding every other rule.
            only_if_cached: Never use the network; a miss is a 504 response with an empty body.
            refresh: Revalidate a stored response with the origin before using it.
            force_refresh: Ignore any stored response; fetch a new one and overwrite it.
        """
        if expire_after is None and not (only_if_cached or refresh or force_refresh):
            options = DEFAULT_OPTIONS
        else:
            options = RequestOptions.from_kwargs(
                expire_after, only_if_cached, refresh, force_refresh
            )
        call = {
            'params': params,
            'data': data,
            'headers': headers,
            'cookies': cookies,
            'files': files,
            'auth': auth,
            'timeout': timeout,
            'allow_redirects': allow_redirects,
            'proxies': proxies,
            'hooks': hooks,
            'stream': stream,
            'verify': verify,
            'cert': cert,
            'json': json,
        }
        token = request_options.set(options)
        try:
            hit = fast_hit(self, method, url, call, options)
            if hit is not None:
                return hit
            return super().request(method, url, **call)  # type: ignore[misc, no-any-return]
        finally:
            request_options.reset(token)

    def prepare_request(self, request: Request) -> PreparedRequest:
        """Prepare ``request`` as requests does, remembering its URL for the fast path."""
        prepared: PreparedRequest = super().prepare_request(request)  # type: ignore[misc]
        remember(self, request, prepared)
        return prepared

    # --- send(): the data flow --------------------------------------------------------------
    def send(self, request: PreparedRequest, **kwargs: Any) -> Response:
        """Send a prepared request, answering from the cache when the policy allows.

        Accepts the same cache options as `request` as keyword arguments.
        """
        options = self._options(kwargs)
        # What requests' own send() fills in first; verify's truth value is part of the key.
        kwargs.setdefault('stream', self.stream)  # type: ignore[attr-defined]
        kwargs.setdefault('verify', self.verify)  # type: ignore[attr-defined]
        kwargs.setdefault('cert', self.cert)  # type: ignore[attr-defined]
        settings = self._settings  # read once: a change applies to the next request
        facts = RequestFacts(request.method or 'GET', request.url or '', request.headers)
        exchange = Exchange(
            session=self,
            request=request,
            settings=settings,
            options=effective_options(facts, options, settings),
            send_kwargs=kwargs,
            clock=self.clock,
            session_stats=self.stats,
            network_send=super().send,  # type: ignore[misc]
            metrics=self._metrics,
        )
        bypass = self._bypass(request, exchange.settings)
        if bypass:
            logger.debug('%s %s: not cached: %s', request.method, exchange.log_url, bypass.reason)
            return send_uncached(exchange, bypass)

        lookup = look_up(exchange)
        match lookup.decision:
            case Serve() as decision:
                assert lookup.cached is not None
                if decision.refresh:
                    self._refresh_in_background(exchange, lookup.cached)
                return serve_stored(exchange, lookup.cached, decision, lookup.now)
            case NotCached():
                exchange.count('misses', reason='only-if-cached')
                return gateway_timeout(exchange, lookup_detail(lookup))
            case Revalidate() | Fetch():
                return self._go_to_origin(exchange, lookup)
            case unreachable:
                assert_never(unreachable)

    def _go_to_origin(self, exchange: Exchange, lookup: Lookup) -> Response:
        """Fetch or revalidate; once per key at a time when identical requests arrive together.

        A follower that finds nothing fresh stored after the wait sends its own request, so
        coalescing can save origin requests, never lose one.
        """
        settings, options = exchange.settings, exchange.options
        forwarding = forwarding_for(exchange, lookup)
        assert forwarding is not None  # Revalidate and Fetch go forward
        fwd = forwarding.fwd
        own_validators = policy.uses_own_validators(exchange.facts, settings)
        if not coalesces(settings, options, own_validators):
            return self._origin_exchange(exchange, lookup, own_validators, forwarding)
        wait = wait_seconds(settings.coalesce_timeout, exchange.send_kwargs.get('timeout'))
        cache = exchange.cache
        with in_flight_for(cache).lead_or_wait(lookup.key, wait, since=lookup.sequence) as leads:
            if not leads:
                served = self._served_after_wait(exchange, fwd)
                if served is not None:
                    return served
                logger.debug('%s: nothing servable after the wait; sending our own', lookup.key)
                forwarding = Forwarding(fwd, forwarding.reason, collapsed=False)
            elif coalesces_in_store(settings, cache):
                gave_up = Forwarding(fwd, forwarding.reason, collapsed=False)
                return coalesce_in_store(
                    cache,
                    lookup.key,
                    settings.coalesce_timeout * LEASE_SHARE,
                    wait,
                    lambda: self._served_after_wait(exchange, fwd),
                    lambda waited: self._origin_exchange(
                        exchange, lookup, own_validators, gave_up if waited else forwarding
                    ),
                )
            return self._origin_exchange(exchange, lookup, own_validators, forwarding)

    @staticmethod
    def _served_after_wait(exchange: Exchange, fwd: Forward) -> Optional[Response]:
        """What an identical request stored while this one waited, if it may be served as it
        is (fresh); None to go to the origin."""
        after = look_up(exchange)
        decision = after.decision
        if isinstance(decision, Serve) and not decision.stale and after.cached is not None:
            logger.debug('%s: served what an identical request stored', after.key)
            return serve_stored(exchange, after.cached, decision, after.now, fwd)
        return None

    @staticmethod
    def _origin_exchange(
        exchange: Exchange, lookup: Lookup, own_validators: bool, forwarding: Forwarding
    ) -> Response:
        decision, cached = lookup.decision, lookup.cached
        if isinstance(decision, Revalidate) and cached is not None and not own_validators:
            return revalidate(exchange, cached, decision, forwarding)
        return fetch(exchange, cached, forwarding)

    def _options(self, kwargs: dict[str, Any]) -> RequestOptions:
        """The per-request options: from ``request()``, or given to ``send()`` directly."""
        options = request_options.get() or DEFAULT_OPTIONS
        given = {name: kwargs.pop(name) for name in _OPTION_NAMES if name in kwargs}
        if not given:
            return options
        merged = {name: getattr(options, name) for name in _OPTION_NAMES}
        merged.update({k: v for k, v in given.items() if v is not None})
        return RequestOptions.from_kwargs(**merged)

    def _bypass(self, request: PreparedRequest, settings: CacheSettings) -> Optional[Forwarding]:
        """Why the cache takes no part in this request, if it does not."""
        if is_disabled(self._disable_token):
            return Forwarding(Forward.BYPASS, 'caching is disabled in this context')
        if not allowed_method(request.method or '', request.headers, settings.allowable_methods):
            return Forwarding(
                Forward.METHOD, f'method {request.method} is not in allowable_methods'
            )
        body: object = request.body  # typed bytes | str, but generators and files happen
        if body is not None and not isinstance(body, (bytes, str)):
            return Forwarding(Forward.BYPASS, 'the request body is a stream, which cannot be keyed')
        return None

    def _refresh_in_background(self, exchange: Exchange, stale: CachedResponse) -> None:
        """Revalidate a stale response on a worker thread, at most once at a time per key."""
        key, request = exchange.key, exchange.request
        kwargs = {**exchange.send_kwargs, 'stream': False}

        def refresh() -> None:
            # A request that read the stale entry just before another refresh finished must
            # not refresh it again.
            current = self.cache.get_response(key)
            if current is not None and current.created_at > stale.created_at:
                logger.debug('%s was refreshed meanwhile; nothing to do', key)
                return
            self.send(request.copy(), refresh=True, **kwargs)

        self._refresher.submit(key, refresh)

    def wait_for_refreshes(self) -> None:
        """Block until background refreshes (stale-while-revalidate) have finished."""
        self._refresher.wait()

    def close(self) -> None:
        """Close the session, and its cache too if ``autoclose`` is set."""
        super().close()  # type: ignore[misc]
        self.wait_for_refreshes()
        # Here and not only in cache.close(): a shared cache stays open, and most backends'
        # close() only closes their connection.
        self.cache.flush_stats()
        if self._settings.autoclose:
            self.cache.close()

    def remove_expired_responses(self, expire_after: ExpireAfterInput = None) -> None:
        """Deprecated (0.6): use ``session.cache.delete(expired=True)``."""
        warnings.warn(
            'remove_expired_responses() is deprecated; use session.cache.delete(expired=True)',
            DeprecationWarning,
            stacklevel=2,
        )
        if expire_after is not None:
            self.cache.reset_expiration(expire_after)
        self.cache.delete(expired=True, invalid=True)

    # --- turning caching off -----------------------------------------------------------------
    @contextmanager
    def cache_disabled(self) -> Iterator[None]:
        """Send requests straight to the network, storing nothing, inside this block.

        Only the current thread (or async task) is affected; other threads using the same
        session keep caching.
        """
        with disabled_for(self._disable_token):
            yield

    def __getstate__(self) -> Any:
        raise NotImplementedError(
            f'a {type(self).__name__} cannot be pickled: its cache holds open connections and '
            'files. Pickle its settings instead (session.settings.frozen()) and make a new '
            'session from them.'
        )

    def __repr__(self) -> str:
        return f'<{type(self).__name__}(cache={self.cache!r}, settings={self._settings!r})>'


def _backend_takes(backend: Union[str, BaseCache, None], name: str) -> bool:
    """True if ``backend`` is a backend name whose class accepts the argument ``name``."""
    if not (backend is None or (isinstance(backend, str) and backend in BACKEND_CLASSES)):
        return False
    try:
        return name in backend_class(backend or 'sqlite').accepted_kwargs()
    except ImportError:  # an optional backend that is not installed: init_backend explains it
        return False


def _metrics_for(metrics: Any, cache: BaseCache) -> Optional[LookupTimer]:
    """Turn on OpenTelemetry metrics for ``cache`` if asked; None when they are off.

    Raises:
        MissingDependencyError: The ``otel`` extra is not installed.
        ConfigurationError: ``metrics`` is neither a bool nor a ``MeterProvider``.
    """
    if metrics is False or metrics is None:
        return None  # and OpenTelemetry is never imported
    from ..otel import instrument  # importing OpenTelemetry takes tens of milliseconds

    return instrument(cache, None if metrics is True else metrics)


def _accepted_by_next_class(cls: type) -> Optional[set[str]]:
    """The keyword names the ``__init__`` after `CacheMixin` in ``cls``'s MRO accepts; None for
    any (it takes ``**kwargs``)."""
    mro = cls.__mro__
    following = mro[mro.index(CacheMixin) + 1] if CacheMixin in mro else object
    init = following.__init__  # type: ignore[misc]
    if init in (object.__init__, requests.Session.__init__):
        return set()
    try:
        parameters = inspect.signature(init).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: let it decide
        return None
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return None
    return {p.name for p in parameters if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}


class CachedSession(CacheMixin, requests.Session):  # type: ignore[misc]  # request() adds options
    """A `requests.Session` with a persistent, transparent HTTP cache.

    Args:
        cache_name: Cache location: a SQLite path (``.sqlite`` added), a Redis namespace...
        backend: A backend name (``'sqlite'``, ``'memory'``, ...) or a backend instance.
        serializer: A serializer name or pipeline (default: the safe binary format).
        expire_after: Default lifetime: seconds, a timedelta, an aware datetime,
            ``NEVER_EXPIRE`` (-1), ``EXPIRE_IMMEDIATELY`` (0) or ``DO_NOT_CACHE``. Left out, it
            is ``NEVER_EXPIRE``, except that with ``cache_control=True`` a response without
            freshness headers follows RFC 9111 (heuristic freshness, or revalidation).
        urls_expire_after: ``{url_pattern: expire_after}``; the first match wins.
        cache_control: Follow HTTP caching headers (RFC 9111).
        allowable_codes: Status codes to store (default ``(200,)``).
        allowable_methods: Methods to cache (default GET and HEAD).
        ignored_parameters: Credentials and other parameters kept out of keys and storage.
        match_headers: Match request headers in keys: True for all, or a list of names.
        filter_fn: ``filter_fn(response) -> bool``; False means "do not store".
        key_fn: A custom key function, called with the request and key settings.
        stale_if_error: Serve stale responses when the origin fails (True, or a max staleness).
        always_revalidate: Revalidate stored responses with validators before every use.
        read_only: Never write to the cache.
        autoclose: Close the cache when the session is closed.
        metrics: Report OpenTelemetry metrics (`requests_cache.otel`): True for the global
            ``MeterProvider``, or a provider of your own. Needs ``requests-cache[otel]``.
        kwargs: More settings (``stale_while_revalidate``; ``coalesce_timeout``, seconds an
            identical request in flight is waited for, 0 for never; ``cache_status_header``,
            True to add ``response.cache_status`` as a ``Cache-Status`` header) and backend
            arguments.

    Raises:
        UnknownSettingError: A keyword argument nothing accepts (a `TypeError`).
        ConfigurationError: A setting with a value that is not allowed (a `ValueError`).
    """

    #: ``CachedSession.wrap(session, **kwargs)``: a cached session with the state of an existing
    #: ``requests.Session`` (requests-cache 1.x name; see `requests_cache._session_1x`).
    wrap: Any = classmethod(wrap_session)  # type: ignore[arg-type]
