"""Copy a live `requests.Response` into a `CachedResponse`, leaving secrets behind."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Optional

from requests import PreparedRequest, Response
from requests.structures import CaseInsensitiveDict

from .. import keys
from ..policy.headers import storable_headers
from ..policy.settings import DEFAULT_IGNORED_PARAMETERS
from .request import CachedRequest
from .response import CachedResponse, utcnow

__all__ = ['redacted_request', 'snapshot_response']

#: Response headers holding URLs, which may carry ignored (secret) query parameters.
_URL_HEADERS = frozenset({'location', 'content-location'})
_STATUS_HEADER = 'Cache-Status'


def snapshot_response(
    response: Response,
    *,
    body: Optional[bytes] = None,
    ignored_parameters: Iterable[str] = DEFAULT_IGNORED_PARAMETERS,
    cache_key: str = '',
    created_at: Optional[datetime] = None,
    request_time: Optional[datetime] = None,
    expires: Optional[datetime] = None,
    with_history: bool = True,
    drop_headers: Iterable[str] = ('Set-Cookie',),
) -> CachedResponse:
    """A `CachedResponse` holding what a cache may keep of ``response``.

    Ignored parameters are removed from the request's URL, headers and body, from the response
    URL and its ``Location`` headers, and from every redirect in the history; hop-by-hop headers
    are dropped (RFC 9111 §3.1).

    Args:
        response: A response from the network.
        body: The decoded body, if already read (default: ``response.content``).
        ignored_parameters: Names to redact.
        cache_key: The key it will be stored under.
        created_at: When it was received (default: now).
        request_time: When its request was sent (default: ``created_at``).
        expires: Its absolute expiry, or None for never.
        with_history: Copy the redirect history too.
        drop_headers: Response headers not to store; by default ``Set-Cookie``, so one user's
            session cookie is never replayed from storage (the live response keeps it).
    """
    ignored = tuple(ignored_parameters)
    created_at = created_at or utcnow()
    dropped = {name.lower() for name in drop_headers}
    header_pairs = [
        (name, keys.redact_url(value, ignored) if name.lower() in _URL_HEADERS else value)
        for name, value in storable_headers(_header_items(response))
        if name.lower() not in dropped
    ]
    history = [
        snapshot_response(
            hop,
            ignored_parameters=ignored,
            created_at=created_at,
            with_history=False,
            drop_headers=dropped,
        )
        for hop in (response.history if with_history else [])
    ]
    return CachedResponse.build(
        url=keys.redact_url(response.url or '', ignored),
        status_code=response.status_code,
        reason=response.reason,
        headers=header_pairs,
        body=response.content or b'' if body is None else body,
        encoding=response.encoding,
        elapsed=response.elapsed.total_seconds(),
        version=getattr(response.raw, 'version', 11) or 11,
        request=_stored_request(response, ignored),
        history=history,
        created_at=created_at,
        request_time=request_time or created_at,
        expires=expires,
        cache_key=cache_key,
    )


def _stored_request(response: Response, ignored: tuple[str, ...]) -> CachedRequest:
    # Typed as always present, but a hand-built Response has none.
    request: Optional[PreparedRequest] = response.request
    if request is None:
        return CachedRequest(url=keys.redact_url(response.url or '', ignored))
    return redacted_request(request, ignored)


def redacted_request(request: PreparedRequest, ignored: Iterable[str]) -> CachedRequest:
    """A copy of ``request`` with ``REDACTED`` in place of ignored parameters and credentials,
    in its URL, headers and body: what the cache stores, and what a hit's ``request`` shows.

    The body is bytes (``b''`` for none), as requests-cache 1.x stored it.
    """
    content_type = request.headers.get('Content-Type', '') or ''
    body = keys.redact_body(request.body, content_type.lower(), ignored)
    return CachedRequest(
        method=request.method or 'GET',
        url=keys.redact_url(request.url or '', ignored),
        headers=CaseInsensitiveDict(keys.redact_headers(request.headers, ignored)),
        body=body.encode('utf-8') if isinstance(body, str) else (body or b''),
    )


def _header_items(response: Response) -> list[tuple[str, str]]:
    """The response's headers as pairs: from ``raw``, which keeps repeated names apart, unless
    ``response.headers`` was changed since (1.x code edits it before ``save_response``)."""
    headers = _without_own_status(response)
    raw_headers = getattr(response.raw, 'headers', None)
    if not raw_headers:
        return list(headers.items())
    pairs = list(raw_headers.items())
    if CaseInsensitiveDict(_joined(pairs)) != headers:
        return list(headers.items())
    return pairs


def _without_own_status(response: Response) -> CaseInsensitiveDict[str]:
    """``response.headers`` without the ``Cache-Status`` member this cache appended to them
    (``cache_status_header``): it describes one answer, and is not the origin's to store."""
    headers: CaseInsensitiveDict[str] = response.headers
    status = getattr(response, 'cache_status', None)
    value = headers.get(_STATUS_HEADER)
    if status is None or value is None or not value.endswith(str(status)):
        return headers
    upstream = value[: -len(str(status))].rstrip().removesuffix(',').rstrip()
    headers = headers.copy()
    if upstream:
        headers[_STATUS_HEADER] = upstream
    else:
        del headers[_STATUS_HEADER]
    return headers


def _joined(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Repeated names joined with ", ", as requests builds ``response.headers``."""
    joined: dict[str, str] = {}
    spelling: dict[str, str] = {}
    for name, value in pairs:
        key = spelling.setdefault(name.lower(), name)
        joined[key] = f'{joined[key]}, {value}' if key in joined else value
    return joined
