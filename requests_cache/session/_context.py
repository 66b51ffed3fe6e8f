"""Per-context state, and the per-request context every step of ``send()`` works with.

Context variables are per thread (and per asyncio task): the options of one request never reach
another thread's request, and a ``cache_disabled()`` block in one thread never affects another
thread using the same session.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NoReturn, Optional, Protocol

from requests import PreparedRequest, Response
from requests.utils import resolve_proxies

from .. import keys
from ..backends import BaseCache
from ..models import CachedResponse
from ..models.snapshot import redacted_request
from ..policy import CacheSettings, RequestFacts, RequestOptions, Serve
from ..stats import CacheStats

__all__ = [
    'ALL_SESSIONS',
    'DEFAULT_OPTIONS',
    'STORED',
    'Exchange',
    'LogUrl',
    'LookupTimer',
    'assert_never',
    'disabled_for',
    'is_disabled',
    'request_options',
]

logger = logging.getLogger(__name__)

if sys.version_info >= (3, 11):
    from typing import assert_never
else:  # pragma: no cover - Python 3.10

    def assert_never(value: NoReturn) -> NoReturn:
        """Fail loudly if a case the type checker proved unreachable is reached."""
        raise AssertionError(f'unhandled case: {value!r}')


#: The one channel per-request options travel through from ``request()`` to ``send()``; they never
#: become HTTP headers, so nothing of ours reaches the origin.
request_options: ContextVar[Optional[RequestOptions]] = ContextVar(
    'requests_cache_request_options', default=None
)
DEFAULT_OPTIONS = RequestOptions()

#: Set (True) on a response once it has been stored, or its body is being teed into the cache.
STORED = '_requests_cache_stored'

#: Sessions with caching turned off in the current thread or task (`ALL_SESSIONS` for all).
_disabled: ContextVar[frozenset[object]] = ContextVar(
    'requests_cache_disabled', default=frozenset()
)
#: Marks every session as disabled (``requests_cache.disabled()``).
ALL_SESSIONS = object()


@contextmanager
def disabled_for(marker: object) -> Iterator[None]:
    """Turn caching off for ``marker`` (a session's token or `ALL_SESSIONS`) in this context."""
    token = _disabled.set(_disabled.get() | {marker})
    try:
        yield
    finally:
        _disabled.reset(token)


def is_disabled(marker: object) -> bool:
    """True if caching is off for ``marker`` (or for all sessions) in this context."""
    active = _disabled.get()
    return bool(active) and (ALL_SESSIONS in active or marker in active)


class LogUrl:
    """A request URL for log lines, with ignored parameters and userinfo removed.

    Redaction runs only if the line is actually emitted, so disabled DEBUG logging costs nothing.
    """

    __slots__ = ('ignored', 'url')

    def __init__(self, url: Optional[str], settings: CacheSettings) -> None:
        self.url = url or ''
        self.ignored = settings.ignored_parameters

    def __str__(self) -> str:
        return keys.redact_url(self.url, self.ignored)


class LookupTimer(Protocol):
    """Where the duration of each lookup goes when metrics are on (`requests_cache.otel`)."""

    def record(self, seconds: float) -> None:
        """Record one lookup that took ``seconds``."""


@dataclass
class Exchange:
    """One request on its way through ``send()``: what every step reads, gathered once.

    Attributes:
        session: The session sending it (for the network, redirects and background refreshes).
        request: The prepared request as the caller's ``send()`` got it.
        settings: The session's settings, read once: a concurrent change applies to the next
            request.
        options: The per-request options.
        send_kwargs: ``send()``'s keyword arguments (timeout, verify, stream, ...).
        clock: Returns the current aware UTC time.
        session_stats: The session's own counters (``cache.stats`` is counted too).
        network_send: requests' own ``send()``.
        metrics: Records lookup durations; None when metrics are off.
    """

    session: Any
    request: PreparedRequest
    settings: CacheSettings
    options: RequestOptions
    send_kwargs: dict[str, Any]
    clock: Callable[[], datetime]
    session_stats: CacheStats
    network_send: Callable[..., Response]
    metrics: Optional[LookupTimer] = None
    _key: Optional[str] = field(default=None, repr=False)

    @property
    def cache(self) -> BaseCache:
        """The session's backend."""
        return self.session.cache  # type: ignore[no-any-return]

    @property
    def verify(self) -> Any:
        """The request's ``verify``; its truth value is part of the key."""
        return self.send_kwargs.get('verify', True)

    @property
    def key(self) -> str:
        """The request's cache key (built on first use, then kept)."""
        if self._key is None:
            self._key = self.key_of(self.request)
        return self._key

    def key_of(self, request: PreparedRequest) -> str:
        """The cache key of ``request`` (this one, a redirect hop, a GET built from a HEAD...)
        under this exchange's settings."""
        return keys.key_for(request, self.settings, self.verify, self.cache.credential_salt)

    @property
    def facts(self) -> RequestFacts:
        """The request as the policy sees it."""
        request = self.request
        return RequestFacts(request.method or 'GET', request.url or '', request.headers)

    @property
    def log_url(self) -> LogUrl:
        """The URL for log lines, redacted when the line is emitted."""
        return LogUrl(self.request.url, self.settings)

    def attach_request(self, response: CachedResponse) -> None:
        """Make ``response.request`` this exchange's request, redacted as storage would keep it
        (built the first time it is read: most callers never read it)."""
        request, ignored = self.request, self.settings.ignored_parameters
        response.set_request_loader(lambda: redacted_request(request, ignored))

    def response_hooks(self) -> list[Callable[..., Any]]:
        """The response hooks requests would run for this request."""
        return list(self.request.hooks.get('response') or ())

    def hook_kwargs(self) -> dict[str, Any]:
        """The keyword arguments requests passes to response hooks (and to redirects)."""
        kwargs = {k: v for k, v in self.send_kwargs.items() if k != 'allow_redirects'}
        if 'proxies' not in kwargs:
            session = self.session
            kwargs['proxies'] = resolve_proxies(self.request, session.proxies, session.trust_env)
        return kwargs

    # The session counts here and only here, into its own and its cache's `CacheStats`;
    # persisted statistics, the CLI and OpenTelemetry metrics all read ``cache.stats``.
    def count(self, name: str, amount: int = 1, reason: Optional[str] = None) -> None:
        """Add to a statistic of the session and of its cache (to ``reason``'s share of it,
        for a statistic broken down by reason)."""
        self.session_stats.add(name, amount, reason)
        cache = self.cache
        cache.stats.add(name, amount, reason)
        # Misses, stores and revalidations come here, fresh hits never: the one place where
        # statistics may be written to the backend (at most every cache.stats_interval s).
        cache.stats_recorder.write_if_due()

    def count_served(self, decision: Serve, body_bytes: int) -> None:
        """Count a response served from the cache, fresh or stale (by the rule that allowed it),
        and its body bytes, which the origin did not have to send."""
        rule = decision.kind if decision.stale else None
        self.session_stats.add_served(rule, body_bytes)
        self.cache.stats.add_served(rule, body_bytes)
