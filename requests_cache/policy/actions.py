"""`CacheActions`: requests-cache 1.x's per-request decision object, answered by our policy core.

Kept for code written for 1.x (custom sessions that drive a cache by hand). `CachedSession` does
not use it: it calls `requests_cache.policy.decide` and `requests_cache.policy.may_store`, and this
class only translates their answers into the flags 1.x exposed (``skip_read``, ``send_request``,
``resend_request``, ``error_504``, ``skip_write``...). Unlike the rest of the policy package, it
reads the clock, as 1.x did; requests and responses are read by duck typing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Callable, Optional

from ._expiration_1x import get_expiration_datetime, get_url_expiration, utcnow
from .directives import header_values, parse_cache_control
from .expiration import DO_NOT_CACHE, EXPIRE_IMMEDIATELY, NEVER_EXPIRE
from .lookup import decide, may_serve_stale_on_error
from .methods import METHOD_OVERRIDE_HEADERS, allowed_method
from .model import Fetch, NotCached, RequestFacts, Revalidate, Serve, StoredFacts
from .settings import CacheSettings, RequestOptions
from .storing import may_store

__all__ = ['METHOD_OVERRIDE_HEADERS', 'CacheActions', 'allowed_method']

logger = logging.getLogger(__name__)


@dataclass
class CacheActions:
    """What to do for one request: the flags requests-cache 1.x's session acted on.

    Build it with `from_request`, then call `update_from_cached_response` with what is stored,
    `update_request` before sending, and `update_from_response` with the origin's answer.

    Attributes:
        cache_key: The request's key.
        error_504: Answer 504: only cached responses are allowed and none is usable.
        expire_after: The expiration that applies (request ``max-age``, URL rule or setting).
        send_request: Nothing usable is stored: send the request.
        resend_request: Something is stored but must be revalidated or replaced: send the request
            (with the validators `update_request` adds).
        resend_async: Serve the stale stored response and refresh it in the background.
        skip_read: Do not look in the cache for this request.
        skip_write: Do not store the response.
    """

    cache_key: str = ''
    error_504: bool = False
    expire_after: Any = None
    send_request: bool = False
    resend_request: bool = False
    resend_async: bool = False
    skip_read: bool = False
    skip_write: bool = False
    vary_cache_key: Optional[str] = None
    settings: CacheSettings = field(default_factory=CacheSettings, repr=False)
    request: Any = field(default=None, repr=False)
    validation_headers: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_request(
        cls, cache_key: str, request: Any, settings: Optional[CacheSettings] = None
    ) -> CacheActions:
        """The actions for a request before anything is read from the cache.

        Args:
            cache_key: The request's key.
            request: A prepared request (anything with ``method``, ``url`` and ``headers``).
            settings: The session's settings (default: a default session's).
        """
        settings = settings or CacheSettings()
        directives = parse_cache_control(request.headers or {}, is_request=True)
        urls = dict(settings.urls_expire_after)
        expire_after = _first_set(
            directives.max_age,
            get_url_expiration(request.url, urls),
            settings.expire_after,
        )
        method_allowed = allowed_method(
            request.method or 'GET', request.headers, settings.allowable_methods
        )
        skip_read = (
            not method_allowed
            or directives.no_cache
            or directives.no_store
            or expire_after == DO_NOT_CACHE
        )
        return cls(
            cache_key=cache_key,
            expire_after=expire_after,
            skip_read=bool(skip_read),
            skip_write=directives.no_store or not method_allowed,
            settings=settings,
            request=request,
        )

    @property
    def expires(self) -> Optional[datetime]:
        """The absolute expiry time that `expire_after` gives, counted from now."""
        if self.expire_after == EXPIRE_IMMEDIATELY and not isinstance(self.expire_after, bool):
            return utcnow()
        return get_expiration_datetime(self.expire_after)

    def is_usable(self, cached_response: Any, error: bool = False) -> bool:
        """True if ``cached_response`` may be served now (or, with ``error``, after a failure)."""
        stored = _stored_facts(cached_response)
        if stored is None:
            return False
        now = utcnow()
        if error and may_serve_stale_on_error(stored, self.settings, now, self._facts()):
            return True
        return isinstance(decide(self._facts(), stored, self.settings, self._options(), now), Serve)

    def update_from_cached_response(
        self,
        cached_response: Any,
        create_key: Optional[Callable[..., str]] = None,
        **key_kwargs: Any,
    ) -> None:
        """Decide between serving ``cached_response``, revalidating it and sending the request.

        ``create_key`` is accepted for 1.x callers; ``Vary`` is checked by the session.
        """
        if self.skip_read:
            self.send_request = True
            return
        decision = decide(
            self._facts(), _stored_facts(cached_response), self.settings, self._options(), utcnow()
        )
        logger.debug('%s: %s', self.cache_key, decision.reason)
        if isinstance(decision, NotCached):
            self.error_504 = True
        elif isinstance(decision, Serve):
            self.resend_async = decision.refresh
        elif isinstance(decision, Revalidate):
            self.resend_request = True
            self.validation_headers = dict(decision.headers)
        elif isinstance(decision, Fetch):
            self.send_request = cached_response is None
            self.resend_request = cached_response is not None

    def update_request(self, request: Any) -> Any:
        """Add the conditional headers for a revalidation to ``request``, and return it."""
        request.headers.update(self.validation_headers)
        return request

    def update_from_response(self, response: Any) -> None:
        """Decide whether the origin's ``response`` is stored (sets ``skip_write``)."""
        request = getattr(response, 'request', None) or self.request
        facts = RequestFacts(
            (request.method if request is not None else None) or 'GET',
            (request.url if request is not None else None) or response.url or '',
            (request.headers if request is not None else None) or {},
        )
        if not allowed_method(facts.method, facts.headers, self.settings.allowable_methods):
            self.skip_write = True
            return
        settings = replace(self.settings, allowable_methods=(facts.method.upper(),))
        if self.settings.filter_fn is not None and not self.settings.filter_fn(response):
            self.skip_write = True
            return
        decision = may_store(
            facts, response.status_code, response.headers, settings, self._options(), utcnow()
        )
        logger.debug('%s: %s', self.cache_key, decision.reason)
        skip_stale = self.expire_after == EXPIRE_IMMEDIATELY and not (
            header_values(response.headers, 'ETag')
            or header_values(response.headers, 'Last-Modified')
        )
        self.skip_write = self.skip_write or not hasattr(decision, 'expires') or skip_stale

    def _facts(self) -> RequestFacts:
        request = self.request
        if request is None:
            return RequestFacts('GET', '')
        return RequestFacts(request.method or 'GET', request.url or '', request.headers or {})

    def _options(self) -> RequestOptions:
        expire_after = None if self.expire_after in (None, NEVER_EXPIRE) else self.expire_after
        if isinstance(expire_after, (str, bool)):
            expire_after = None
        return RequestOptions.from_kwargs(expire_after=expire_after)


def _first_set(*values: Any) -> Any:
    return next((value for value in values if value is not None), None)


def _stored_facts(cached_response: Any) -> Optional[StoredFacts]:
    if cached_response is None:
        return None
    pairs = getattr(cached_response, 'header_pairs', None)
    headers = pairs() if callable(pairs) else dict(cached_response.headers)
    created = cached_response.created_at
    return StoredFacts(
        status=cached_response.status_code,
        headers=headers,
        request_time=getattr(cached_response, 'request_time', created),
        response_time=created,
        expires=cached_response.expires,
    )
