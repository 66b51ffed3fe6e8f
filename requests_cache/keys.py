"""Cache keys: turn a request into a stable, versioned key, and redact what must not be stored.

Key format, version 1 (``KEY_VERSION``): the hex BLAKE2b-128 digest of these parts joined by NUL
bytes, each UTF-8 encoded:

1. ``rc-key/1``
2. the method, upper-cased
3. the normalized URL: url-normalize (lower-case scheme and host, default port removed, escapes
   normalized), fragment dropped, ignored query parameters removed, query parameters sorted
4. the normalized body: JSON objects with keys sorted and ignored keys removed, form bodies with
   fields sorted and ignored fields removed, multipart bodies with their random boundary replaced
   by a fixed one, anything else byte for byte
5. ``verify=True`` or ``verify=False`` (TLS verification on or off)
6. with ``match_headers``, one ``name:value`` part per matched header, names lower-cased, sorted
   (a multipart ``Content-Type`` without its boundary)

A change to any rule above gets a new version, so keys written by one release keep matching in the
next one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any, Optional, Union
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

from requests import Request, Session
from url_normalize import url_normalize

from .policy.settings import DEFAULT_IGNORED_PARAMETERS

__all__ = [
    'KEY_VERSION',
    'MULTIPART_BOUNDARY',
    'already_normal',
    'build_key',
    'create_key',
    'frozen_names',
    'matched_headers',
    'normalize_body',
    'normalize_url',
    'redact_body',
    'redact_headers',
    'redact_url',
]

logger = logging.getLogger(__name__)

KEY_VERSION = 'rc-key/1'
Body = Union[bytes, str, None]


def build_key(
    method: str,
    url: str,
    body: Body = None,
    headers: Optional[Mapping[str, str]] = None,
    ignored_parameters: Iterable[str] = (),
    match_headers: Union[bool, Iterable[str]] = False,
    verify: object = True,
) -> str:
    """Build the cache key from a request's parts (see the module docstring for the format).

    Args:
        method: HTTP method.
        url: Full request URL.
        body: Request body, if any.
        headers: Request headers (their Content-Type selects body normalization).
        ignored_parameters: Names to leave out of the URL, body and matched headers.
        match_headers: True to match all headers, or the names of the headers to match.
        verify: The request's ``verify`` argument; only its truth value counts.
    """
    headers = headers or {}
    ignored = frozen_names(ignored_parameters)
    parts = [
        KEY_VERSION.encode(),
        method.upper().encode(),
        normalize_url(url, ignored).encode(),
        normalize_body(body, _content_type(headers) if body else '', ignored),
        b'verify=True' if verify else b'verify=False',
    ]
    parts += [f'{k}:{v}'.encode() for k, v in matched_headers(headers, match_headers, ignored)]
    return hashlib.blake2b(b'\0'.join(parts), digest_size=16).hexdigest()


def create_key(
    request: Any,
    ignored_parameters: Optional[Iterable[str]] = DEFAULT_IGNORED_PARAMETERS,
    match_headers: Union[bool, Iterable[str]] = False,
    verify: object = True,
    serializer: Any = None,
    content_root_key: Optional[str] = None,
    **request_kwargs: Any,
) -> str:
    """The cache key a session with these key settings uses for ``request``.

    The requests-cache 1.x signature. Defaults match a default `CachedSession`.

    Args:
        request: A `requests.PreparedRequest`, a `requests.Request` (prepared here, as a session
            would), or anything with ``method``, ``url``, ``body`` and ``headers``.
        ignored_parameters: Names left out of the key.
        match_headers: True to match all headers, or the names of the headers to match.
        verify: The request's ``verify`` argument; only its truth value counts.
        serializer: Accepted for 1.x callers; not part of the key, since every stored blob names
            its format and a blob of another format is a miss anyway.
        content_root_key: Apply ``ignored_parameters`` inside this member of a JSON object body
            instead of at its top level (1.x option).
        request_kwargs: Other `requests.request` arguments (1.x); only ``verify`` matters.
    """
    if isinstance(request, Request):
        with Session() as session:  # as a session prepares it: default headers, None dropped
            request = session.prepare_request(request)
    ignored = ignored_parameters or ()
    body = request.body
    if content_root_key:
        body = _ignored_under(body, content_root_key, frozenset(ignored))
    return build_key(
        request.method or 'GET',
        request.url or '',
        body,
        request.headers,
        ignored,
        match_headers,
        request_kwargs.get('verify', verify),
    )


def _ignored_under(body: Body, root_key: str, ignored: frozenset[str]) -> Body:
    """A JSON object body with ``ignored`` names removed from its ``root_key`` member."""
    try:
        data = json.loads(body or b'')
    except (ValueError, RecursionError):
        return body
    if not isinstance(data, dict) or not isinstance(data.get(root_key), dict):
        return body
    data[root_key] = {k: v for k, v in data[root_key].items() if k not in ignored}
    return json.dumps(data, sort_keys=True).encode()


def frozen_names(names: Iterable[str]) -> frozenset[str]:
    """``names`` as a frozenset, the same object each time for the same tuple.

    `normalize_url` is memoized with the ignored names in its key: sharing one frozenset keeps
    each memo entry from holding its own copy (about 600 bytes for the default names).
    """
    return _frozen_tuple(names) if isinstance(names, tuple) else frozenset(names)


@lru_cache(maxsize=64)
def _frozen_tuple(names: tuple[str, ...]) -> frozenset[str]:
    return frozenset(names)


_SEGMENT_CHARS = r"[A-Za-z0-9._~!$&'()*+,;=:@-]"
_LABEL = r'[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?'
#: URLs that url-normalize returns unchanged: lower-case http(s) scheme and host (no trailing dot),
#: an explicit path, no percent escapes, no fragment. `already_normal` adds the checks a regex
#: says badly (default ports, empty and dot segments); a Hypothesis test holds it to url-normalize.
_PLAIN_URL = re.compile(
    rf'(https?)://{_LABEL}(?:\.{_LABEL})*(?::([1-9][0-9]{{0,4}}))?'
    rf'(/(?:{_SEGMENT_CHARS}|/)*)(?:\?((?:{_SEGMENT_CHARS}|[/?])+))?'
)
_DEFAULT_PORTS = {'http': '80', 'https': '443'}


def already_normal(url: str) -> bool:
    """True for a URL that url-normalize would return unchanged (most prepared URLs are).

    Normalizing costs about 50 us, more than a whole cache hit; a URL in this plain shape skips it.
    """
    match = _PLAIN_URL.fullmatch(url)
    if match is None:
        return False
    scheme, port, path, query = match.groups()
    if port is not None and (port == _DEFAULT_PORTS[scheme] or int(port) > 65535):
        return False
    if query is not None and any(not p or p.count('=') > 1 for p in query.split('&')):
        return False  # url-normalize drops empty parameters and escapes a second '='
    segments = path.split('/')[1:]
    return not any(s in ('.', '..') for s in segments) and '' not in segments[:-1]


@lru_cache(maxsize=4096)
def normalize_url(url: str, ignored_parameters: frozenset[str] = frozenset()) -> str:
    """Normalize a URL for keying: see the module docstring. Memoized: keys repeat."""
    normalized = url if already_normal(url) else (url_normalize(url) or url)
    scheme, netloc, path, query, _fragment = urlsplit(normalized)
    pairs = [p for p in query.split('&') if p and _param_name(p) not in ignored_parameters]
    result = urlunsplit((scheme, netloc, path, '&'.join(sorted(pairs)), ''))
    # The same string object when nothing changed: the memo then holds one copy, not two.
    return url if result == url else result


def redact_url(url: str, ignored_parameters: Iterable[str]) -> str:
    """Remove ignored query parameters and userinfo from a URL, keeping everything else as is."""
    ignored = frozenset(ignored_parameters)
    scheme, netloc, path, query, fragment = urlsplit(url)
    netloc = netloc.rpartition('@')[2]
    kept = [p for p in query.split('&') if p and _param_name(p) not in ignored]
    return urlunsplit((scheme, netloc, path, '&'.join(kept), fragment))


def _param_name(pair: str) -> str:
    return unquote_plus(pair.split('=', 1)[0])


def normalize_body(body: Body, content_type: str, ignored_parameters: frozenset[str]) -> bytes:
    """Normalize a request body for keying: see the module docstring."""
    if not body:
        return b''
    raw = body.encode('utf-8') if isinstance(body, str) else body
    if 'json' in content_type:
        # RecursionError: a deeply nested body ('[' * 100_000) is keyed as raw bytes, not a crash.
        try:
            data = json.loads(raw)
            if isinstance(data, dict):
                data = {k: v for k, v in data.items() if k not in ignored_parameters}
            return json.dumps(data, sort_keys=True, separators=(',', ':')).encode()
        except (ValueError, RecursionError):
            return raw
    if content_type.startswith('multipart/'):
        return _fixed_boundary(raw, content_type)
    if 'x-www-form-urlencoded' in content_type:
        # surrogateescape: an escape that is not UTF-8 (%FF) must not decode to U+FFFD, or
        # 'a=%FF' and 'a=%FE' would share a key; valid UTF-8 normalizes exactly as before.
        pairs = parse_qsl(raw.decode('latin-1'), keep_blank_values=True, errors='surrogateescape')
        kept = sorted((k, v) for k, v in pairs if k not in ignored_parameters)
        return urlencode(kept, errors='surrogateescape').encode('latin-1')
    return raw


#: Replaces a multipart body's boundary in keys: requests draws a random one for every request.
MULTIPART_BOUNDARY = b'requests-cache-boundary'
_BOUNDARY = re.compile(r'boundary="?([^";,]+)"?')


def _fixed_boundary(raw: bytes, content_type: str) -> bytes:
    """A multipart body with its random boundary replaced by `MULTIPART_BOUNDARY`, so identical
    ``files=`` uploads share a key. The boundary cannot occur in the parts (RFC 2046 §5.1.1)."""
    match = _BOUNDARY.search(content_type)
    if not match:
        return raw
    delimiter = re.escape(b'--' + match.group(1).encode('latin-1'))
    # Case-insensitive: the Content-Type reaching here is lower-cased; the body is not.
    return re.sub(delimiter, b'--' + MULTIPART_BOUNDARY, raw, flags=re.IGNORECASE)


def redact_body(body: Body, content_type: str, ignored_parameters: Iterable[str]) -> Body:
    """Remove ignored fields from a JSON or form body; other bodies are returned unchanged."""
    ignored = frozenset(ignored_parameters)
    if not body or not ignored:
        return body
    raw = body.encode('utf-8') if isinstance(body, str) else body
    if 'json' in content_type:
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            return body
        if isinstance(data, dict) and ignored & set(data):
            return json.dumps({k: v for k, v in data.items() if k not in ignored}).encode()
        return body
    if 'x-www-form-urlencoded' in content_type:
        # Drop whole fields and keep the others byte for byte: re-encoding would change the
        # stored body (escapes, non-ASCII bytes) even when nothing was ignored.
        text = body if isinstance(body, str) else body.decode('latin-1')
        pairs = text.split('&')
        kept = [p for p in pairs if _param_name(p) not in ignored]
        if len(kept) == len(pairs):
            return body
        redacted = '&'.join(kept)
        return redacted if isinstance(body, str) else redacted.encode('latin-1')
    return body


def redact_headers(headers: Mapping[str, str], ignored_parameters: Iterable[str]) -> dict[str, str]:
    """A copy of ``headers`` without the ignored ones (names compared case-insensitively)."""
    ignored = _lowered(frozen_names(ignored_parameters))
    return {k: v for k, v in headers.items() if k.lower() not in ignored}


@lru_cache(maxsize=64)
def _lowered(names: frozenset[str]) -> frozenset[str]:
    return frozenset(name.lower() for name in names)


def matched_headers(
    headers: Mapping[str, Any],
    match_headers: Union[bool, Iterable[str]],
    ignored_parameters: Iterable[str] = (),
) -> list[tuple[str, str]]:
    """The sorted ``(lower-case name, stripped value)`` pairs that a key matches on."""
    if not match_headers:
        return []
    ignored = {name.lower() for name in ignored_parameters}
    lowered = {str(k).lower(): str(v).strip() for k, v in headers.items()}
    if lowered.get('content-type', '').lower().startswith('multipart/'):
        # The random boundary would make every upload a different key (see _fixed_boundary).
        lowered['content-type'] = _BOUNDARY.sub('boundary=', lowered['content-type'])
    names = lowered if match_headers is True else [str(n).lower() for n in match_headers]
    return sorted((n, lowered.get(n, '')) for n in set(names) if n not in ignored)


def _content_type(headers: Mapping[str, Any]) -> str:
    for name, value in headers.items():
        if name.lower() == 'content-type':
            return str(value).lower()
    return ''
