"""`CachedSession`: a `requests.Session` that answers from a cache when it may.

This module is the imperative shell around the pure policy core: it is the only place that calls
the network, reads the clock for a decision, or writes to a backend. ``send()`` reads as the data
flow: key, lookup, decision, then serve, revalidate or fetch-and-store.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Callable, Optional, Union

import requests
from requests import PreparedRequest, Request, Response
from requests.hooks import dispatch_hook

from . import keys, policy
from .backends import BaseCache, init_backend, storage_arguments
from .cache_ops import invalidate, lookup_variant
from .coalesce import in_flight_for, wait_seconds
from .context import disabled_for, is_disabled, request_options
from .early_hit import (
    PREPARED_URLS,
    EarlyLookup,
    ParamItems,
    early_inputs,
    fingerprint,
    handing_over,
    take_over,
)
from .errors import ConfigurationError
from .exchange import OriginExchange
from .facts import LogUrl, gateway_timeout, request_facts, stored_facts
from .models import CachedResponse, add_cache_attributes, utcnow
from .policy import CacheSettings, RequestOptions
from .policy.expiration import ExpireAfterInput, UrlPattern
from .policy.freshness import current_age
from .policy.settings import DEFAULT_IGNORED_PARAMETERS, rename_deprecated, split_kwargs
from .policy.validation import is_conditional, not_modified_for
from .refresh import BackgroundRefresher
from .revalidation import not_modified_answer
from .serializers import SerializerPipeline
from .settings_view import SettingsView
from .stats import CacheStats

__all__ = ['CacheMixin', 'CachedSession']

logger = logging.getLogger(__name__)

_OPTION_NAMES = ('expire_after', 'only_if_cached', 'refresh', 'force_refresh')


class CacheMixin:
    """Caching for any `requests.Session` subclass; see `CachedSession` for the arguments."""

    def __init__(
        self,
        cache_name: str = 'http_cache',
        backend: Union[str, BaseCache, None] = None,
        serializer: Union[str, SerializerPipeline, None] = None,
        expire_after: ExpireAfterInput = -1,
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
        **kwargs: Any,
    ) -> None:
        setting_kwargs, backend_kwargs = split_kwargs(kwargs)
        explicit = {
            'expire_after': expire_after,
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
        }
        # A 0.6 name (old_data_on_error=True) must win over the default of its new name.
        explicit.update(rename_deprecated(setting_kwargs))
        self._settings = CacheSettings.from_kwargs(**explicit)
        self.cache: BaseCache = init_backend(
            cache_name, backend, **storage_arguments(backend, serializer, backend_kwargs)
        )
        self.autoclose = autoclose
        self._disable_token = object()
        #: This session's own counters; ``cache.stats`` adds up every session on the backend.
        self.stats = CacheStats()
        self._refresher = BackgroundRefresher()
        self.clock: Callable[[], Any] = utcnow
        super().__init__()

    # --- settings --------------------------------------------------------------------------
    @property
    def settings(self) -> SettingsView:
        """This session's settings. Assigning an attribute validates it and swaps in a new value:
        ``session.settings.expire_after = 360``."""
        return SettingsView(self)

    @settings.setter
    def settings(self, value: CacheSettings) -> None:
        if not isinstance(value, CacheSettings):
            raise ConfigurationError(f'settings must be a CacheSettings, not {value!r}')
        self._settings = value

    @property
    def expire_after(self) -> policy.ExpireAfter:
        """The session's default expiration (shortcut for ``settings.expire_after``)."""
        return self._settings.expire_after

    @expire_after.setter
    def expire_after(self, value: ExpireAfterInput) -> None:
        self._settings = self._settings.replace(expire_after=value)

    # --- per-request options: the request() side of the channel ------------------------------
    def request(
        self,
        method: str,
        url: str,
        params: Any = None,
        data: Any = None,
        headers: Any = None,
        cookies: Any = None,
        files: Any = None,
        auth: Any = None,
        timeout: Any = None,
        allow_redirects: bool = True,
        proxies: Optional[dict[str, str]] = None,
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

        A fresh stored response is served as early as provably safe: for a plain GET whose URL
        requests has prepared before, before the request is prepared at all (see
        `requests_cache.early_hit`); otherwise right after preparing it, before requests reads
        proxy and certificate settings from the environment, which cannot change the key or the
        answer. A lookup that finds nothing to serve is handed to ``send()``, not repeated.

        Args:
            expire_after: Expiration for this response, overriding every other rule.
            only_if_cached: Never use the network; a miss is a 504 response with an empty body.
            refresh: Revalidate a stored response with the origin before using it.
            force_refresh: Ignore any stored response; fetch a new one and overwrite it.
        """
        options = RequestOptions.from_kwargs(expire_after, only_if_cached, refresh, force_refresh)
        user_request = Request(
            method=method.upper(),
            url=url,
            headers=headers,
            files=files,
            data=data or {},
            json=json,
            params=params or {},
            auth=auth,
            cookies=cookies,
            hooks=hooks,
        )
        token = request_options.set(options)
        checked = self._effective_verify(verify)  # what decides the key: its truth value
        try:
            inputs = early_inputs(
                self,  # type: ignore[arg-type]  # a mixin: always combined with a Session
                self._settings,
                user_request,
                options.force_refresh or is_disabled(self._disable_token),
            )
            early = (
                None
                if inputs is None
                else self._early_lookup(user_request.method, inputs, options, checked)
            )
            if early is not None and early.servable:
                return self._serve_early(early, user_request, stream, checked)
            prepared = self.prepare_request(user_request)  # type: ignore[attr-defined]
            if inputs is not None:
                PREPARED_URLS.remember(*inputs, prepared.url)
            if early is None:  # the early path did not apply; look up the prepared request
                early = self._prepared_lookup(prepared, options, checked)
                if early is not None and early.servable:
                    return self._serve_looked_up(early, prepared, stream, checked)
            send_kwargs = {'timeout': timeout, 'allow_redirects': allow_redirects}
            send_kwargs.update(
                self.merge_environment_settings(  # type: ignore[attr-defined]
                    prepared.url, proxies or {}, stream, verify, cert
                )
            )
            with handing_over(early):
                return self.send(prepared, **send_kwargs)
        finally:
            request_options.reset(token)

    def _early_lookup(
        self, method: str, inputs: tuple[str, ParamItems], options: RequestOptions, verify: Any
    ) -> Optional[EarlyLookup]:
        """Look the request up before preparing it, if requests already prepared these inputs
        once; None leaves it to the full path."""
        url = PREPARED_URLS.get(*inputs)
        if url is None:
            return None
        settings = self._settings
        key = keys.build_key(method, url, None, None, settings.ignored_parameters, False, verify)
        probe = PreparedRequest()
        probe.method, probe.url = method, url
        return self._look_up(probe, key, options)

    def _look_up(
        self,
        request: PreparedRequest,
        key: str,
        options: RequestOptions,
        built_from: Optional[tuple[Any, ...]] = None,
    ) -> EarlyLookup:
        """Look up ``key`` and decide (the decision logged at DEBUG with its reason)."""
        settings = self._settings
        sequence = in_flight_for(self.cache).sequence
        cached = (
            None if options.force_refresh else lookup_variant(self.cache, key, request, settings)
        )
        decision = policy.decide(
            request_facts(request), stored_facts(cached), settings, options, self.clock()
        )
        logger.debug(
            '%s %s [%s]: %s', request.method, LogUrl(request, settings), key, decision.reason
        )
        return EarlyLookup(key, cached, decision, sequence, built_from)

    def _handed_over(
        self, request: PreparedRequest, settings: CacheSettings, verify: Any
    ) -> Optional[EarlyLookup]:
        """The lookup ``request()`` made for this request, if it still applies."""
        early = take_over()
        if early is None or early.built_for(request, verify):
            return early
        # Built from a bare URL (or the request changed): it applies only if the key agrees.
        return early if early.key == self._create_key(request, settings, verify) else None

    def _serve_early(
        self, early: EarlyLookup, user_request: Request, stream: Any, verify: Any
    ) -> Response:
        """Serve a fresh early hit; its ``request`` is prepared the first time it is read."""
        cached, decision = early.served()
        self._count_served(decision)
        cached.set_request_loader(lambda: self.prepare_request(user_request))  # type: ignore[attr-defined]
        # With no request hooks, requests' merged hooks are the session's own.
        return dispatch_hook(  # type: ignore[no-untyped-call, no-any-return]
            'response',
            self.hooks,  # type: ignore[attr-defined]
            cached,
            stream=stream,
            verify=verify,
        )

    def _serve_looked_up(
        self, early: EarlyLookup, prepared: PreparedRequest, stream: Any, verify: Any
    ) -> Response:
        """Serve a fresh hit found for a prepared request, before the environment is read."""
        cached, decision = early.served()
        self._count_served(decision)
        return self._serve(cached, prepared, self._settings, stream=stream, verify=verify)

    def _effective_verify(self, verify: Any) -> Any:
        """What ``verify`` will be after requests merges the environment, up to truthiness."""
        env_bundle = os.environ.get('REQUESTS_CA_BUNDLE') or os.environ.get('CURL_CA_BUNDLE')
        if self.trust_env and verify in (True, None) and env_bundle:  # type: ignore[attr-defined]
            return True
        return verify if verify is not None else self.verify  # type: ignore[attr-defined]

    def _prepared_lookup(
        self, request: PreparedRequest, options: RequestOptions, verify: Any
    ) -> Optional[EarlyLookup]:
        """Look a prepared request up before requests reads the environment; None to leave it all
        to ``send()``."""
        settings = self._settings
        if options.force_refresh or self._bypass_reason(request, settings):
            return None
        if settings.cache_control and is_conditional(request.headers):
            return None  # the caller's own validators: the full path may answer 304
        key = self._create_key(request, settings, verify)
        headers_matter = settings.match_headers or settings.key_fn is not None
        built_from = None if headers_matter else fingerprint(request, verify)
        return self._look_up(request, key, options, built_from)

    # --- the data flow ------------------------------------------------------------------------
    def send(self, request: PreparedRequest, **kwargs: Any) -> Response:
        """Send a prepared request, answering from the cache when the policy allows.

        Accepts the same cache options as `request` as keyword arguments.
        """
        options = self._options(kwargs)
        # Read the settings once: a concurrent settings change applies to the next request.
        settings = self._settings
        bypass = self._bypass_reason(request, settings)
        if bypass:
            logger.debug('%s %s: not cached: %s', request.method, LogUrl(request, settings), bypass)
            return self._send_uncached(request, settings, **kwargs)

        # 1-3. Build the key, look up what is stored, decide (request() may have done it)
        verify = kwargs.get('verify', True)
        lookup = self._handed_over(request, settings, verify) or self._look_up(
            request, self._create_key(request, settings, verify), options
        )
        key, cached, decision = lookup.key, lookup.cached, lookup.decision
        # 4. Act on the decision
        own_validators = settings.cache_control and is_conditional(request.headers)
        if isinstance(decision, policy.Serve):
            self._count_served(decision)
            if decision.refresh:
                self._refresh_in_background(request, key, cached, kwargs)  # type: ignore[arg-type]
            if own_validators and not_modified_for(request.headers, cached.header_pairs()):  # type: ignore[union-attr]
                return self._serve(not_modified_answer(cached), request, settings, **kwargs)  # type: ignore[arg-type]
            return self._serve(cached, request, settings, **kwargs)  # type: ignore[arg-type]
        if isinstance(decision, policy.NotCached):
            self._count('misses')
            return gateway_timeout(request)
        # 5. Go to the origin, once per key at a time when identical requests arrive together
        if not self._coalesces(settings, options, own_validators):
            return self._ask_origin(request, cached, decision, key, settings, options, **kwargs)
        wait = wait_seconds(settings.coalesce_timeout, kwargs.get('timeout'))
        with in_flight_for(self.cache).lead_or_wait(key, wait, since=lookup.sequence) as leading:
            served = None if leading else self._after_wait(request, key, settings, options, kwargs)
            if served is not None:
                return served
            return self._ask_origin(request, cached, decision, key, settings, options, **kwargs)

    def _ask_origin(
        self,
        request: PreparedRequest,
        cached: Optional[CachedResponse],
        decision: policy.Decision,
        key: str,
        settings: CacheSettings,
        options: RequestOptions,
        **kwargs: Any,
    ) -> Response:
        exchange = OriginExchange(self, request, key, settings, options, kwargs)
        own_validators = settings.cache_control and is_conditional(request.headers)
        if isinstance(decision, policy.Revalidate) and cached is not None and not own_validators:
            return exchange.revalidate(cached, decision)
        return exchange.fetch(cached)

    def _coalesces(
        self, settings: CacheSettings, options: RequestOptions, own_validators: bool
    ) -> bool:
        # Forced refreshes must reach the origin, a read-only session stores nothing a follower
        # could be served, and the caller's own validators expect the origin's own answer.
        return bool(
            settings.coalesce_timeout
            and not (options.force_refresh or options.refresh or own_validators)
            and not settings.read_only
        )

    def _after_wait(
        self,
        request: PreparedRequest,
        key: str,
        settings: CacheSettings,
        options: RequestOptions,
        send_kwargs: Mapping[str, Any],
    ) -> Optional[Response]:
        """What the leader of an identical request stored, if it may be served as it is."""
        cached = lookup_variant(self.cache, key, request, settings)
        decision = policy.decide(
            request_facts(request), stored_facts(cached), settings, options, self.clock()
        )
        if not isinstance(decision, policy.Serve) or decision.stale:
            logger.debug('%s: nothing servable after the wait; sending our own request', key)
            return None
        logger.debug('%s: served what an identical request in flight stored', key)
        self._count_served(decision)
        return self._serve(cached, request, settings, **send_kwargs)  # type: ignore[arg-type]

    def _count(self, name: str, amount: int = 1) -> None:
        self.stats.add(name, amount)
        shared = getattr(self.cache, 'stats', None)
        if shared is not None:
            shared.add(name, amount)
            # Misses, stores and revalidations come here, fresh hits never: the one place where
            # statistics may be written to the backend (at most every cache.stats_interval s).
            self.cache.stats_recorder.write_if_due()

    def _count_served(self, decision: policy.Serve) -> None:
        for stats in (self.stats, getattr(self.cache, 'stats', None)):
            if stats is None:
                continue
            if decision.stale:
                stats.add_stale(decision.kind)
            else:
                stats.add('hits')

    def _options(self, kwargs: dict[str, Any]) -> RequestOptions:
        options = request_options.get() or RequestOptions()
        given = {name: kwargs.pop(name) for name in _OPTION_NAMES if name in kwargs}
        if not given:
            return options
        merged = {name: getattr(options, name) for name in _OPTION_NAMES}
        merged.update({k: v for k, v in given.items() if v is not None})
        return RequestOptions.from_kwargs(**merged)

    def _bypass_reason(self, request: PreparedRequest, settings: CacheSettings) -> Optional[str]:
        if is_disabled(self._disable_token):
            return 'caching is disabled in this context'
        if (request.method or '').upper() not in settings.allowable_methods:
            return f'method {request.method} is not in allowable_methods'
        body: object = request.body  # typed bytes | str, but generators and files happen
        if body is not None and not isinstance(body, (bytes, str)):
            return 'the request body is a stream, which cannot be keyed'
        return None

    def _refresh_in_background(
        self,
        request: PreparedRequest,
        key: str,
        stale: CachedResponse,
        send_kwargs: dict[str, Any],
    ) -> None:
        """Revalidate a stale response on a worker thread, at most once at a time per key."""
        kwargs = {**send_kwargs, 'stream': False}

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

    def _network_send(
        self, request: PreparedRequest, settings: CacheSettings, **kwargs: Any
    ) -> Response:
        response: Response = super().send(request, **kwargs)  # type: ignore[misc]
        if settings.cache_control and not settings.read_only:
            invalidate(self.cache, request, response, settings, kwargs.get('verify', True))
        return response

    def _create_key(self, request: PreparedRequest, settings: CacheSettings, verify: Any) -> str:
        if settings.key_fn is not None:
            return settings.key_fn(
                request=request,
                ignored_parameters=settings.ignored_parameters,
                match_headers=settings.match_headers,
                verify=verify,
            )
        return keys.build_key(
            request.method or 'GET',
            request.url or '',
            request.body,
            request.headers,
            settings.ignored_parameters,
            settings.match_headers,
            verify,
        )

    def _serve(
        self,
        cached: CachedResponse,
        request: PreparedRequest,
        settings: CacheSettings,
        **kwargs: Any,
    ) -> Response:
        cached.request = request
        if settings.cache_control:
            # RFC 9111 §5.1: tell the caller how old the response is, upstream age included.
            age = current_age(
                cached.header_pairs(), cached.request_time, cached.created_at, self.clock()
            )
            cached.headers['Age'] = cached.raw.headers['Age'] = str(int(age.total_seconds()))
        return dispatch_hook('response', request.hooks, cached, **kwargs)  # type: ignore[no-untyped-call, no-any-return]

    def _send_uncached(
        self, request: PreparedRequest, settings: CacheSettings, **kwargs: Any
    ) -> Response:
        response = self._network_send(request, settings, **kwargs)
        add_cache_attributes(response)
        return response

    def close(self) -> None:
        """Close the session, and its cache too if ``autoclose`` is set."""
        super().close()  # type: ignore[misc]
        self.wait_for_refreshes()
        # Here and not only in cache.close(): a shared cache stays open, and most backends'
        # close() only closes their connection.
        self.cache.flush_stats()
        if self.autoclose:
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

    def __repr__(self) -> str:
        return f'<{type(self).__name__}(cache={self.cache!r}, settings={self._settings!r})>'


class CachedSession(CacheMixin, requests.Session):  # type: ignore[misc]  # request() adds options
    """A `requests.Session` with a persistent, transparent HTTP cache.

    Args:
        cache_name: Cache location: a SQLite path (``.sqlite`` added), a Redis namespace...
        backend: A backend name (``'sqlite'``, ``'memory'``, ...) or a backend instance.
        serializer: A serializer name or pipeline (default: the safe binary format).
        expire_after: Default lifetime: seconds, a timedelta, an aware datetime,
            ``NEVER_EXPIRE`` (-1, the default), ``EXPIRE_IMMEDIATELY`` (0) or ``DO_NOT_CACHE``.
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
        kwargs: More settings (``stale_while_revalidate``; ``coalesce_timeout``, seconds an
            identical request in flight is waited for, 0 for never) and backend arguments.

    Raises:
        UnknownSettingError: A keyword argument nothing accepts (a `TypeError`).
        ConfigurationError: A setting with a value that is not allowed (a `ValueError`).
    """


# requests-cache 1.x names of this module, kept for code written for it (see docs/migration.md).
#: ``requests.Session`` itself (1.x name).
OriginalSession = requests.Session
#: The 504 a session answers when ``only_if_cached`` finds nothing usable (1.x name).
get_504_response = gateway_timeout
