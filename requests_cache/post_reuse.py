"""Store a POST response as the GET of its URL, when the origin says it is one.

RFC 9110 §9.3.3: a POST response with explicit freshness and a ``Content-Location`` equal to the
request URL is a representation of that URL, which later GET (and HEAD) requests may reuse. The
decision is `requests_cache.policy.storing.post_answers_get`; storing goes the usual way, as if
the response had answered a GET.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from requests import PreparedRequest, Response

from .exchange import OriginExchange, SessionSide
from .policy import CacheSettings, RequestOptions
from .policy.storing import post_answers_get

__all__ = ['store_post_for_get']

logger = logging.getLogger(__name__)

#: Headers that describe the POST body, which the GET does not have.
_BODY_HEADERS = ('Content-Length', 'Content-Type', 'Transfer-Encoding')


def store_post_for_get(
    session: SessionSide,
    request: PreparedRequest,
    response: Response,
    settings: CacheSettings,
    send_kwargs: Mapping[str, Any],
) -> None:
    """Store ``response`` under the GET of its URL if it is a POST response that may answer
    GETs; a streamed body the caller has not read yet is left alone."""
    if not post_answers_get(request.method or '', request.url or '', response.headers):
        return
    if not getattr(response, '_content_consumed', True):
        logger.debug('POST %s: not stored for GET: its body is streamed', request.url)
        return
    get_request = request.copy()
    get_request.method, get_request.body = 'GET', None
    for name in _BODY_HEADERS:
        get_request.headers.pop(name, None)
    as_get = Response()
    as_get.__dict__.update(response.__dict__)  # the same body and raw headers, another request
    as_get.request = get_request
    verify = send_kwargs.get('verify', True)
    key = session._create_key(get_request, settings, verify)
    logger.debug('POST %s: Content-Location names the URL; storing it for GET', request.url)
    exchange = OriginExchange(session, get_request, key, settings, RequestOptions(), {})
    exchange._store(as_get, session.clock())
