"""requests-cache 1.x's key helpers, kept at their 1.x path for code written for 1.x.

`create_key` is the one key function (from `requests_cache.keys`): it gives the key a session
uses. The ``normalize_*`` and ``filter_*`` helpers return what 1.x returned, for custom
``key_fn`` functions and other code built on them: an ignored parameter keeps its name with the
value ``REDACTED``, so a request with it and one without do not look alike. Our own keys are built
by `requests_cache.keys`, whose rules are listed there.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any, Optional, Union
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from requests import PreparedRequest, Request, Response, Session
from requests.structures import CaseInsensitiveDict
from url_normalize import url_normalize

from .keys import create_key
from .keys import normalize_body as _key_body

__all__ = [
    'create_key',
    'normalize_body',
    'normalize_headers',
    'normalize_params',
    'normalize_request',
    'normalize_url',
]

logger = logging.getLogger(__name__)

#: JSON bodies larger than this many bytes are left as they are.
MAX_NORM_BODY_SIZE = 10 * 1024 * 1024
#: The value an ignored parameter keeps.
REDACTED = 'REDACTED'

KVList = list[tuple[str, str]]
ParamList = Optional[Iterable[str]]
RequestContent = Union[Mapping[str, Any], str, bytes]


def normalize_request(
    request: Any, ignored_parameters: ParamList = None, content_root_key: Optional[str] = None
) -> PreparedRequest:
    """A normalized copy of a request: upper-case method, normalized URL, headers and body.

    Args:
        request: A `requests.Request` (prepared here) or a prepared request.
        ignored_parameters: Query, header and JSON or form body names whose values are replaced
            by ``REDACTED``.
        content_root_key: For a JSON object body, apply ``ignored_parameters`` inside this member.
    """
    if isinstance(request, Request):
        with Session() as session:  # as a session prepares it: default headers, None dropped
            prepared: PreparedRequest = session.prepare_request(request)
    else:
        prepared = request.copy()
    prepared.method = (prepared.method or '').upper()
    prepared.url = normalize_url(prepared.url or '', ignored_parameters)
    prepared.headers = normalize_headers(prepared.headers, ignored_parameters)
    prepared.body = normalize_body(prepared, ignored_parameters, content_root_key)
    return prepared


def normalize_headers(
    headers: Mapping[str, Any], ignored_parameters: ParamList = None
) -> CaseInsensitiveDict[str]:
    """Headers sorted by name, ignored ones ``REDACTED``, and comma-separated lists of values
    lower-cased and sorted."""
    decoded = {k: _text(v) for k, v in headers.items()}
    if ignored_parameters:
        decoded = filter_sort_dict(decoded, ignored_parameters)
    for name, value in decoded.items():
        if ',' in value:
            decoded[name] = ', '.join(
                sorted(v.strip() for v in value.lower().split(',') if v.strip())
            )
    return CaseInsensitiveDict(decoded)


def normalize_url(url: str, ignored_parameters: ParamList) -> str:
    """``url`` with sorted query parameters (ignored ones ``REDACTED``), normalized by
    url-normalize (scheme and host case, default port, escapes)."""
    return url_normalize(filter_url(url, ignored_parameters)) or ''


def normalize_body(
    request: Any, ignored_parameters: ParamList, content_root_key: Optional[str] = None
) -> bytes:
    """A request body normalized by its Content-Type: JSON and form fields sorted, ignored ones
    ``REDACTED``; a multipart body with a fixed boundary; anything else as it is.

    A file-like body is read and rewound.
    """
    body = request.body
    if not body:
        return b''
    if hasattr(body, 'read'):
        data = body.read() or b''
        try:
            body.seek(0)
        except (AttributeError, OSError) as exc:
            logger.warning('Could not rewind the request body: %s', exc)
        body = data
    content_type = str(request.headers.get('Content-Type') or '').lower()
    media_type = content_type.split(';')[0].strip()
    if media_type.startswith('multipart/'):
        return _key_body(_bytes(body), content_type, frozenset())
    if media_type == 'application/json' or media_type.endswith('+json'):
        return _bytes(normalize_json_body(body, ignored_parameters, content_root_key))
    if media_type == 'application/x-www-form-urlencoded':
        return _bytes(normalize_params(body, ignored_parameters))
    return _bytes(body)


def normalize_json_body(
    original_body: Union[str, bytes],
    ignored_parameters: ParamList,
    content_root_key: Optional[str] = None,
) -> Union[str, bytes]:
    """A JSON body with object keys sorted and ignored ones ``REDACTED`` (inside
    ``content_root_key`` if given); bodies that are not JSON, tiny or huge are returned as is."""
    if len(original_body) <= 2 or len(original_body) > MAX_NORM_BODY_SIZE:
        return original_body
    try:
        data = json.loads(original_body)
    except (ValueError, RecursionError):
        logger.debug('Not normalizing a request body that is not JSON')
        return original_body
    if content_root_key and isinstance(data, dict) and content_root_key in data:
        data[content_root_key] = filter_sort_json(data[content_root_key], ignored_parameters)
    else:
        data = filter_sort_json(data, ignored_parameters)
    return json.dumps(data)


def normalize_params(value: Union[str, bytes], ignored_parameters: ParamList = None) -> str:
    """URL-encoded parameters (a query string or form body), sorted, ignored ones ``REDACTED``;
    parameters without ``=`` are kept, after the others."""
    text = _text(value)
    pairs = filter_sort_multidict(parse_qsl(text), ignored_parameters)
    encoded = urlencode(pairs)
    names_only = sorted(p for p in text.split('&') if p and '=' not in p)
    return '&'.join([encoded, *names_only] if encoded else names_only)


def redact_response(response: Response, ignored_parameters: ParamList) -> Any:
    """A stored copy of ``response`` without the ignored parameters (see
    `requests_cache.models.CachedResponse.from_response`)."""
    from .models import CachedResponse

    return CachedResponse.from_response(
        response, ignored_parameters=tuple(ignored_parameters or ())
    )


def filter_sort_json(data: Any, ignored_parameters: ParamList) -> Any:
    """`filter_sort_dict` for a JSON object, `filter_sort_list` for a list."""
    if isinstance(data, Mapping):
        return filter_sort_dict(data, ignored_parameters)
    if isinstance(data, list):
        return filter_sort_list(data, ignored_parameters)
    return data


def filter_sort_dict(
    data: Mapping[str, Any], ignored_parameters: ParamList = None
) -> dict[str, Any]:
    """``data`` sorted by key, with the values of ignored keys replaced by ``REDACTED``."""
    ignored = set(ignored_parameters or ())
    return {k: (REDACTED if k in ignored else v) for k, v in sorted(data.items())}


def filter_sort_multidict(data: KVList, ignored_parameters: ParamList = None) -> KVList:
    """Sorted ``(name, value)`` pairs, with the values of ignored names replaced by ``REDACTED``."""
    ignored = set(ignored_parameters or ())
    return [(k, REDACTED if k in ignored else v) for k, v in sorted(data)]


def filter_sort_list(data: list[Any], ignored_parameters: ParamList = None) -> list[Any]:
    """A sorted list without the ignored values."""
    ignored = set(ignored_parameters or ())
    return sorted(item for item in data if not (isinstance(item, str) and item in ignored))


def filter_url(url: str, ignored_parameters: ParamList) -> str:
    """``url`` with its query normalized by `normalize_params`."""
    scheme, netloc, path, query, fragment = urlsplit(url)
    return urlunsplit((scheme, netloc, path, normalize_params(query, ignored_parameters), fragment))


def get_matched_headers(
    headers: MutableMapping[str, str], match_headers: Union[ParamList, bool]
) -> list[str]:
    """``'name=value'`` strings (names lower-cased, sorted) for the headers a key matches on."""
    if not match_headers:
        return []
    names = headers if match_headers is True else match_headers
    return [f'{n.lower()}={headers[n]}' for n in sorted(names, key=str.lower) if n in headers]


def _text(value: Any) -> str:
    return value.decode('utf-8') if isinstance(value, bytes) else str(value or '')


def _bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode('utf-8')
