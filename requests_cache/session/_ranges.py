"""Answer a range request from a stored response: build the 206 the policy describes.

The decision (which bytes, which ``Content-Range``, or to serve the response whole) is
`requests_cache.policy.ranges.range_answer`; this module only builds the response object.
"""

from __future__ import annotations

import logging

from requests import PreparedRequest

from ..models import CachedResponse
from ..policy.ranges import range_answer

__all__ = ['answer_range']

logger = logging.getLogger(__name__)

#: Stored headers that describe the whole stored body, replaced for the slice.
_BODY_FRAMING = frozenset({'content-range', 'content-length'})


def answer_range(cached: CachedResponse, request: PreparedRequest) -> CachedResponse:
    """The stored response cut to the byte range the request asks for (a 206), or ``cached``
    itself when it is to be served as it is (no ``Range``, or one the policy ignores)."""
    if 'Range' not in request.headers:
        return cached
    body = cached.content or b''
    answer = range_answer(
        request.method or 'GET',
        request.headers,
        cached.status_code,
        cached.header_pairs(),
        len(body),
    )
    if answer is None:
        logger.debug('%s: serving the stored %s whole', cached.cache_key, cached.status_code)
        return cached
    headers = [(n, v) for n, v in cached.header_pairs() if n.lower() not in _BODY_FRAMING]
    headers += [
        ('Content-Range', answer.content_range),
        ('Content-Length', str(answer.stop - answer.start)),
    ]
    partial = CachedResponse.build(
        url=cached.url,
        status_code=206,
        reason='Partial Content',
        headers=headers,
        body=body[answer.start : answer.stop],
        encoding=cached.encoding,
        elapsed=cached.elapsed.total_seconds(),
        history=cached.history,  # type: ignore[arg-type]  # stored hops are CachedResponses
        created_at=cached.created_at,
        request_time=cached.request_time,
        expires=cached.expires,
        cache_key=cached.cache_key,
    )
    partial.revalidated = cached.revalidated
    logger.debug('%s: serving %s of the stored response', cached.cache_key, answer.content_range)
    return partial
