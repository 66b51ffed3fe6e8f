"""One trip to the origin for a request the cache could not answer alone.

``send()`` decides; an `OriginExchange` carries the decision out: it fetches or revalidates,
falls back to a stale stored response when the origin fails and stale-if-error allows it, and
stores what the policy lets it store (teeing a streamed body, which is stored only once read in
full). Everything one exchange needs is gathered in its constructor, so the steps read without
long argument lists.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Callable, Optional, Protocol, Union

import requests
from requests import PreparedRequest, Response

from . import policy
from .backends import BaseCache
from .cache_ops import save_variants
from .facts import LogUrl, request_facts, stored_facts
from .models import CachedResponse, add_cache_attributes
from .models.snapshot import snapshot_response
from .policy import CacheSettings, RequestOptions
from .revalidation import freshen
from .serializers.chunks import ChunkedBlob, attach_body
from .streaming import TeeRaw

__all__ = ['OriginExchange', 'SessionSide']

logger = logging.getLogger(__name__)


class SessionSide(Protocol):
    """What an exchange uses of its session."""

    cache: BaseCache
    clock: Callable[[], Any]

    def _network_send(
        self, request: PreparedRequest, settings: CacheSettings, **kwargs: Any
    ) -> Response: ...

    def _count(self, name: str, amount: int = 1) -> None: ...

    def _count_served(self, decision: policy.Serve) -> None: ...

    def _serve(
        self,
        cached: CachedResponse,
        request: PreparedRequest,
        settings: CacheSettings,
        **kwargs: Any,
    ) -> Response: ...

    def _create_key(
        self, request: PreparedRequest, settings: CacheSettings, verify: Any
    ) -> str: ...


class OriginExchange:
    """The origin side of one ``send()``.

    Args:
        session: The session sending the request.
        request: The request as the caller prepared it.
        key: Its cache key.
        settings: The session's settings, read once for the whole request.
        options: The per-request options.
        send_kwargs: ``send()``'s keyword arguments (timeout, verify, stream, ...).
    """

    def __init__(
        self,
        session: SessionSide,
        request: PreparedRequest,
        key: str,
        settings: CacheSettings,
        options: RequestOptions,
        send_kwargs: Mapping[str, Any],
    ) -> None:
        self.session = session
        self.request = request
        self.key = key
        self.settings = settings
        self.options = options
        self.send_kwargs = dict(send_kwargs)
        self._log_url = LogUrl(request, settings)  # redacts only if a DEBUG line is emitted

    # --- the two ways to the origin ---------------------------------------------------------
    def fetch(self, cached: Optional[CachedResponse]) -> Response:
        """Send the request as it is; store the response if the policy allows."""
        self.session._count('misses')
        request_time = self.session.clock()
        response, from_cache = self._send(self.request, cached)
        if from_cache:
            return response
        self._store(response, request_time)
        if self._head_may_update_get(response):
            self._update_get_from_head(response, request_time)
        return response

    def revalidate(self, cached: CachedResponse, decision: policy.Revalidate) -> Response:
        """Send a conditional request; a 304 freshens the stored response, anything else
        replaces it."""
        conditional = self.request.copy()
        conditional.headers.update(decision.headers)
        request_time = self.session.clock()
        response, from_cache = self._send(conditional, cached)
        if from_cache:
            return response
        if response.status_code != 304:
            self.session._count('misses')
            logger.debug(
                '%s %s: revalidation got %s',
                self.request.method,
                self._log_url,
                response.status_code,
            )
            self._store(response, request_time)
            return response
        freshened = self._freshen(cached, response, self.request, request_time)
        if not self.settings.read_only:
            save_variants(self.session.cache, freshened, self.key, self.request, self.settings)
        return self.session._serve(freshened, self.request, self.settings, **self.send_kwargs)

    def _send(
        self, outgoing: PreparedRequest, cached: Optional[CachedResponse]
    ) -> tuple[Response, bool]:
        """The origin's response, or (True) a stale stored one if the origin failed and
        stale-if-error allows serving it."""
        try:
            response = self.session._network_send(outgoing, self.settings, **self.send_kwargs)
        except requests.RequestException as exc:
            stale = self._stale_on_error(cached, type(exc).__name__)
            if stale is None:
                raise
            return stale, True
        if response.status_code >= 500:
            stale = self._stale_on_error(cached, f'status {response.status_code}')
            if stale is not None:
                return stale, True
        return response, False

    def _stale_on_error(self, cached: Optional[CachedResponse], error: str) -> Optional[Response]:
        decision = policy.may_serve_stale_on_error(
            stored_facts(cached), self.settings, self.session.clock(), request_facts(self.request)
        )
        if decision is None or cached is None:
            return None
        logger.debug('%s %s: %s (%s)', self.request.method, self._log_url, decision.reason, error)
        self.session._count_served(decision)
        return self.session._serve(cached, self.request, self.settings, **self.send_kwargs)

    # --- 304s and HEAD (RFC 9111 §4.3.4, §4.3.5) ----------------------------------------------
    def _freshen(
        self,
        cached: CachedResponse,
        not_modified: Response,
        request: PreparedRequest,
        request_time: datetime,
    ) -> CachedResponse:
        freshened, reason = freshen(
            cached,
            not_modified,
            request_facts(request),
            self.settings,
            self.options,
            request_time,
            self.session.clock(),
        )
        logger.debug('%s %s: 304 Not Modified; %s', self.request.method, self._log_url, reason)
        self.session._count('revalidations')
        return freshened

    def _head_may_update_get(self, response: Response) -> bool:
        return (
            self.settings.cache_control
            and self.request.method == 'HEAD'
            and response.status_code == 200
        )

    def _update_get_from_head(self, head: Response, request_time: datetime) -> None:
        """Let a HEAD response freshen the stored GET of the same URL (RFC 9111 §4.3.5)."""
        get_request = self.request.copy()
        get_request.method = 'GET'
        get_key = self.session._create_key(get_request, self.settings, self._verify)
        cache = self.session.cache
        stored = cache.get_response(get_key)
        if stored is None:
            return
        if not policy.validators_match(stored.header_pairs(), head.headers):
            logger.debug(
                '%s %s: the stored GET has changed; dropping it', self.request.method, self._log_url
            )
            cache.delete(get_key)
            return
        cache.save_response(self._freshen(stored, head, get_request, request_time), get_key)

    # --- storing -------------------------------------------------------------------------------
    def _store(self, response: Response, request_time: datetime) -> None:
        """Decide whether ``response`` may be stored, and store it (or tee it, if streamed)."""
        now = self.session.clock()
        decision = policy.may_store(
            request_facts(self.request),
            response.status_code,
            response.headers,
            self.settings,
            self.options,
            now,
            request_time,
        )
        filter_fn = self.settings.filter_fn
        if isinstance(decision, policy.Store) and filter_fn and not filter_fn(response):
            decision = policy.DontStore('filter_fn returned False')
        logger.debug('%s %s: %s', self.request.method, self._log_url, decision.reason)
        expires = decision.expires if isinstance(decision, policy.Store) else None
        add_cache_attributes(response, cache_key=self.key, created_at=now, expires=expires)
        if not isinstance(decision, policy.Store):
            return
        if self.send_kwargs.get('stream') and not getattr(response, '_content_consumed', True):
            # Return at once; the body is stored only if the caller reads all of it, and is
            # spooled (not held) meanwhile, up to the most the cache would store.
            def save(body: ChunkedBlob) -> None:
                self._save(response, body, request_time, now, expires)

            max_size = self.session.cache.max_response_size
            response.raw = TeeRaw(response.raw, save, max_size)
            return
        self._save(response, response.content or b'', request_time, now, expires)

    def _save(
        self,
        response: Response,
        body: Union[bytes, ChunkedBlob],
        request_time: datetime,
        now: datetime,
        expires: Optional[datetime],
    ) -> None:
        snapshot = snapshot_response(
            response,
            body=b'' if isinstance(body, ChunkedBlob) else body,
            ignored_parameters=self.settings.ignored_parameters,
            cache_key=self.key,
            created_at=now,
            request_time=request_time,
            expires=expires,
            drop_headers=() if self.settings.store_set_cookie else ('Set-Cookie',),
        )
        if isinstance(body, ChunkedBlob):
            # A streamed body stays in its spool; the serializer reads it from there in chunks.
            attach_body(snapshot, body)
        cache = self.session.cache
        if not save_variants(cache, snapshot, self.key, response.request, self.settings):
            return  # over max_response_size, or a failed write (counted and logged)
        self.session._count('stores')
        self.session._count('bytes_stored', len(body))
        for hop in response.history:
            hop_key = self.session._create_key(hop.request, self.settings, self._verify)
            cache.save_redirect(hop_key, self.key)

    # --- small helpers ---------------------------------------------------------------------------
    @property
    def _verify(self) -> Any:
        return self.send_kwargs.get('verify', True)
