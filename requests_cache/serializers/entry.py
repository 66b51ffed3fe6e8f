"""The stored shape of a response: `CachedResponse` <-> a dict of plain values.

Every format starts from this dict, so a JSON, YAML, BSON or binary blob holds the same fields:

=================  ==========================================================================
``url``            final URL (str)
``status``         status code (int)
``reason``         reason phrase (str or None)
``headers``        list of ``[name, value]`` pairs, repeats kept apart, in received order
``body``           body bytes, already decoded from any Content-Encoding
``encoding``       text encoding from Content-Type (str or None)
``elapsed``        seconds the origin took (float)
``version``        HTTP version as urllib3 reports it (int, 11 for HTTP/1.1)
``created_at``     when the response was received (float, Unix time)
``request_time``   when the request was sent (float, Unix time)
``expires``        absolute expiry (float, Unix time) or None for never
``request``        ``{'method', 'url', 'headers', 'body'}`` of the (redacted) request
``history``        redirect responses, each in this same shape without ``history``
=================  ==========================================================================
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional, cast

from requests.structures import CaseInsensitiveDict

from ..models import CachedRequest, CachedResponse
from .chunks import ChunkedBlob, attached_body

__all__ = ['DecodeError', 'entry_to_response', 'response_to_chunked_entry', 'response_to_entry']


class DecodeError(ValueError):
    """A stored blob could not be turned back into a response (corrupt, foreign or old)."""


def response_to_entry(response: CachedResponse, with_history: bool = True) -> dict[str, Any]:
    """Flatten a `CachedResponse` into the stored dict shape (see the module docstring).

    A body attached in a file (`requests_cache.serializers.chunks.attach_body`) is read into
    memory here; `response_to_chunked_entry` keeps it in its file.
    """
    attached = attached_body(response)
    body = attached.read_all() if attached is not None else response._content or b''
    return _entry(response, body, with_history)


def response_to_chunked_entry(response: CachedResponse, body: ChunkedBlob) -> dict[str, Any]:
    """The stored dict shape with ``body`` as a `ChunkedBlob`, for stages that stream it.

    Args:
        response: The response to store.
        body: Its decoded body, kept out of memory.

    Returns:
        The same dict as `response_to_entry`, key order included, except for ``body``.
    """
    return _entry(response, body, with_history=True)


def _entry(response: CachedResponse, body: Any, with_history: bool) -> dict[str, Any]:
    request = response.request
    entry = {
        'url': response.url,
        'status': response.status_code,
        'reason': response.reason,
        'headers': [[k, v] for k, v in response.header_pairs()],
        'body': body,
        'encoding': response.encoding,
        'elapsed': response.elapsed.total_seconds(),
        'version': getattr(response.raw, 'version', 11),
        'created_at': response.created_at.timestamp(),
        'request_time': response.request_time.timestamp(),
        'expires': response.expires.timestamp() if response.expires else None,
        'request': {
            'method': request.method,
            'url': request.url,
            'headers': [[k, v] for k, v in request.headers.items()],
            'body': request.body,
        },
    }
    if with_history:
        # Redirect hops from the network are plain Responses carrying the same cache attributes.
        hops = [cast(CachedResponse, r) for r in response.history]
        entry['history'] = [response_to_entry(r, with_history=False) for r in hops]
    return entry


def entry_to_response(entry: Any, cache_key: str = '') -> CachedResponse:
    """Rebuild a `CachedResponse` from the stored dict shape.

    Raises:
        DecodeError: The value does not have the stored shape.
    """
    try:
        return _build(entry, cache_key, entry.get('history', ()))
    # OSError: fromtimestamp() raises it for out-of-range values on some platforms.
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError, OSError) as exc:
        raise DecodeError(f'stored entry has the wrong shape: {exc!r}') from exc


def _build(entry: dict[str, Any], cache_key: str, history: Any) -> CachedResponse:
    body = entry['body']  # bytes, or a body still in storage (a large hit)
    status = entry['status']
    if not isinstance(body, (bytes, ChunkedBlob)) or not isinstance(status, int):
        raise TypeError('body must be bytes and status an int')
    stored_request = entry['request']
    method = _str(stored_request['method'])
    request_url = _str(stored_request['url'])
    request_headers = _pairs(stored_request['headers'])
    request_body = _optional(stored_request['body'], (bytes, str))

    def request() -> CachedRequest:
        # Validated above, built only if read: a session serving a hit sets the live request.
        return CachedRequest(
            method, request_url, CaseInsensitiveDict(request_headers), request_body
        )

    return CachedResponse.build(
        url=_str(entry['url']),
        status_code=status,
        reason=_optional(entry['reason'], (str,)),
        headers=_pairs(entry['headers']),
        body=body,
        encoding=_optional(entry['encoding'], (str,)),
        elapsed=float(entry['elapsed']),
        version=int(entry['version']),
        request=request,
        history=[_build(hop, '', ()) for hop in history],
        created_at=_time(entry['created_at']),
        request_time=_time(entry['request_time']),
        expires=_optional_time(entry['expires']),
        cache_key=cache_key,
        request_identity=(method, request_url, request_headers),
    )


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f'expected a string, got {type(value).__name__}')
    return value


def _optional(value: Any, types: tuple[type, ...]) -> Any:
    # A type checked here fails as a miss now, not as a confusing error when the body is read.
    if value is not None and not isinstance(value, types):
        raise TypeError(f'unexpected stored type {type(value).__name__}')
    return value


def _pairs(value: Any) -> list[tuple[str, str]]:
    # Checked inline rather than with _str per item: every hit decodes ~20 of these.
    pairs = [(k, v) for k, v in value if isinstance(k, str) and isinstance(v, str)]
    if len(pairs) != len(value):
        raise TypeError('header names and values must be strings')
    return pairs


def _time(value: Any) -> datetime:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TypeError('timestamps must be numbers')
    return datetime.fromtimestamp(value, timezone.utc)


def _optional_time(value: Optional[float]) -> Optional[datetime]:
    return None if value is None else _time(value)
