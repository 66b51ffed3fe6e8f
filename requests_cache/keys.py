"""Cache keys: turn a request into a stable, versioned key, and redact what must not be stored.

Key format, version 2 (``KEY_VERSION``): the hex BLAKE2b-128 digest of these parts joined by NUL
bytes, each UTF-8 encoded:

1. ``rc-key/2``
2. the method, upper-cased
3. the normalized URL: url-normalize (lower-case scheme and host, default port removed, escapes
   normalized), userinfo and fragment dropped, the values of ignored query parameters replaced by
   ``REDACTED`` (so their presence still counts), query parameters sorted
4. the normalized body: JSON objects with keys sorted, form bodies with fields sorted, the values
   of ignored keys or fields replaced by ``REDACTED``, multipart bodies with their random boundary
   replaced by a fixed one; anything else byte for byte
5. ``verify=True`` or ``verify=False`` (TLS verification on or off)
6. with ``match_headers``, one ``name:value`` part per matched header, names lower-cased, sorted
   (a multipart ``Content-Type`` without its boundary)
7. with credential isolation (the default), ``credentials=`` and a keyed hash of the request's
   credentials (see `credential_digest`), when it carries any

A change to any rule above gets a new version, so keys written by one release keep matching in the
next one.

Redaction writes ``REDACTED`` in place of the value of every ignored parameter, in stored URLs,
headers and bodies, as requests-cache 1.x did.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any, Callable, Optional, Union
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

from requests import Request, Session
from url_normalize import url_normalize

from .policy.settings import DEFAULT_IGNORED_PARAMETERS, CacheSettings

__all__ = [
    'KEY_VERSION',
    'MULTIPART_BOUNDARY',
    'already_normal',
    'build_key',
    'checked_key',
    'create_key',
    'frozen_names',
    'is_credential_name',
    'key_for',
    'matched_headers',
    'normalize_body',
    'normalize_url',
    'redact_body',
    'redact_headers',
    'redact_url',
]

logger = logging.getLogger(__name__)

KEY_VERSION = 'rc-key/2'
Body = Union[bytes, str, None]
#: What redaction writes in place of an ignored parameter's value.
REDACTED = 'REDACTED'
#: Request headers that carry credentials whatever ``ignored_parameters`` says (lower case).
CREDENTIAL_HEADERS = ('authorization', 'proxy-authorization', 'cookie')
#: What makes an ignored parameter's name a credential's: the defaults (``api_key``,
#: ``access_token``, ``X-API-Key``...) and names like them. Other ignored names (``ts``, ``_``,
#: ``nocache``) are cache busters and other noise: their values are shared, as in 1.x.
_CREDENTIAL_NAME = re.compile(
    r'auth|token|key|secret|passw|pwd|session|sid|sig|cred|bearer|jwt|cookie|login', re.IGNORECASE
)
#: A salt, or a function that returns one when it is first needed.
Salt = Union[bytes, Callable[[], bytes]]


def build_key(
    method: str,
    url: str,
    body: Body = None,
    headers: Optional[Mapping[str, str]] = None,
    ignored_parameters: Iterable[str] = (),
    match_headers: Union[bool, Iterable[str]] = False,
    verify: object = True,
    credentials: Optional[str] = None,
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
        credentials: The request's `credential_digest`, if it carries credentials.
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
    if credentials:
        parts.append(f'credentials={credentials}'.encode())
    return hashlib.blake2b(b'\0'.join(parts), digest_size=16).hexdigest()


def key_for(request: Any, settings: CacheSettings, verify: object = True, salt: Salt = b'') -> str:
    """The cache key of ``request`` under ``settings``: the one key function of a session.

    Every place that needs a key calls this: lookup, storing, redirect aliases, invalidation,
    ``contains``, ``delete``, ``recreate_keys`` and the CLI's ``explain``. It honours a custom
    ``key_fn``, ``match_headers`` and ``ignored_parameters``.

    Args:
        request: A `requests.PreparedRequest` (or anything with ``method``, ``url``, ``body``
            and ``headers``).
        settings: The session's settings.
        verify: The request's ``verify`` argument; only its truth value counts.
        salt: The cache's secret salt for `credential_digest` (or a function returning it, so
            it is loaded only for requests that carry credentials).

    Raises:
        TypeError: A custom ``key_fn`` returned something other than a string.
    """
    key_fn = settings.key_fn
    if key_fn is not None:
        key = key_fn(
            request=request,
            ignored_parameters=settings.ignored_parameters,
            match_headers=settings.match_headers,
            verify=verify,
        )
        return checked_key(key, key_fn)
    credentials = None
    if settings.isolate_credentials:
        credentials = credential_digest(request, settings.ignored_parameters, salt)
    return build_key(
        request.method or 'GET',
        request.url or '',
        request.body,
        request.headers,
        settings.ignored_parameters,
        settings.match_headers,
        verify,
        credentials,
    )


def credential_digest(request: Any, ignored_parameters: Iterable[str], salt: Salt) -> Optional[str]:
    """A keyed hash of every credential a request carries, or None if it carries none.

    Credentials are the ``Authorization``, ``Proxy-Authorization`` and ``Cookie`` headers
    (``auth=``, cookies and URL userinfo end up there once requests prepares a request), userinfo in
    the URL, and the values of the ``ignored_parameters`` that name credentials
    (`is_credential_name`) in the headers, the query and a JSON or form body. Two requests share
    a key only if they carry the same credentials; the credentials themselves never reach a key,
    a log or storage: only HMAC-SHA256(salt, credentials), with a secret salt of the cache's
    (see ``docs/security.md``).
    """
    material = _credential_material(request, frozen_names(ignored_parameters))
    if not material:
        return None
    key = salt() if callable(salt) else salt
    return hmac.new(key, b'\0'.join(sorted(material)), hashlib.sha256).hexdigest()


def is_credential_name(name: str) -> bool:
    """True if an ignored parameter of this name is treated as a credential (see
    `credential_digest`): a default ignored name, or one that reads like a credential."""
    return _CREDENTIAL_NAME.search(name) is not None


@lru_cache(maxsize=64)
def _credential_names(ignored: frozenset[str]) -> frozenset[str]:
    return frozenset(name for name in ignored if is_credential_name(name))


def _credential_material(request: Any, all_ignored: frozenset[str]) -> list[bytes]:
    ignored = _credential_names(all_ignored)
    material = []
    headers = request.headers or {}
    for name, value in headers.items():
        lower = str(name).lower()
        if lower in CREDENTIAL_HEADERS or lower in _lowered(ignored):
            material.append(f'header:{lower}:{value}'.encode())
    url = request.url or ''
    _, netloc, _, query, _ = urlsplit(url)
    if '@' in netloc:
        material.append(f'userinfo:{netloc.rpartition("@")[0]}'.encode())
    if query and ignored:
        for name, value in parse_qsl(query, keep_blank_values=True):
            if name in ignored:
                material.append(f'query:{name}={value}'.encode())
    body = request.body
    if body and ignored:
        content_type = _content_type(headers)
        material += [
            f'body:{n}={v}'.encode() for n, v in _ignored_fields(body, content_type, ignored)
        ]
    return material


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


def checked_key(value: object, key_fn: object) -> str:
    """``value`` if it is a usable cache key (a ``str``), as returned by a custom ``key_fn``.

    Every backend needs a text key; a key function that returns bytes, an int or None used to
    fail differently on each backend, or not at all on some (issue 15, item 5).

    Args:
        value: What ``key_fn`` returned.
        key_fn: The key function, named in the error.

    Raises:
        TypeError: ``value`` is not a ``str``.
    """
    if isinstance(value, str):
        return value
    name = getattr(key_fn, '__qualname__', None) or repr(key_fn)
    raise TypeError(
        f'key_fn {name} returned {type(value).__name__} {value!r:.60}; a cache key must be a str '
        '(for example a hex digest: hashlib.sha256(...).hexdigest())'
    )


def _ignored_under(body: Body, root_key: str, ignored: frozenset[str]) -> Body:
    """A JSON object body with ``ignored`` names of its ``root_key`` member REDACTED."""
    try:
        data = json.loads(body or b'')
    except (ValueError, RecursionError):
        return body
    if not isinstance(data, dict) or not isinstance(data.get(root_key), dict):
        return body
    data[root_key] = {k: REDACTED if k in ignored else v for k, v in data[root_key].items()}
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
    netloc = netloc.rpartition('@')[2]  # userinfo is a credential: see credential_digest
    pairs = [_redacted_pair(p, ignored_parameters) for p in query.split('&') if p]
    result = urlunsplit((scheme, netloc, path, '&'.join(sorted(pairs)), ''))
    # The same string object when nothing changed: the memo then holds one copy, not two.
    return url if result == url else result


def redact_url(url: str, ignored_parameters: Iterable[str]) -> str:
    """Drop userinfo and write ``REDACTED`` for the values of ignored query parameters, keeping
    everything else as it is."""
    ignored = frozenset(ignored_parameters)
    scheme, netloc, path, query, fragment = urlsplit(url)
    netloc = netloc.rpartition('@')[2]
    kept = [_redacted_pair(p, ignored) for p in query.split('&') if p]
    return urlunsplit((scheme, netloc, path, '&'.join(kept), fragment))


def _redacted_pair(pair: str, ignored: frozenset[str]) -> str:
    if not ignored:
        return pair
    name = pair.split('=', 1)[0]
    return f'{name}={REDACTED}' if unquote_plus(name) in ignored else pair


def normalize_body(body: Body, content_type: str, ignored_parameters: frozenset[str]) -> bytes:
    """Normalize a request body for keying: see the module docstring."""
    if not body:
        return b''
    raw = body.encode('utf-8') if isinstance(body, str) else body
    if 'json' in content_type:
        # RecursionError: a deeply nested body ('[' * 100_000) is keyed as raw bytes, not a crash.
        try:
            data = _redacted_json(json.loads(raw), ignored_parameters)
            return json.dumps(data, sort_keys=True, separators=(',', ':')).encode()
        except (ValueError, RecursionError):
            return raw
    if content_type.startswith('multipart/'):
        return _fixed_boundary(raw, content_type)
    if 'x-www-form-urlencoded' in content_type:
        # surrogateescape: an escape that is not UTF-8 (%FF) must not decode to U+FFFD, or
        # 'a=%FF' and 'a=%FE' would share a key; valid UTF-8 normalizes exactly as before.
        pairs = parse_qsl(raw.decode('latin-1'), keep_blank_values=True, errors='surrogateescape')
        kept = sorted((k, REDACTED if k in ignored_parameters else v) for k, v in pairs)
        return urlencode(kept, errors='surrogateescape').encode('latin-1')
    return raw


def _redacted_json(data: Any, ignored: frozenset[str]) -> Any:
    if isinstance(data, dict) and ignored:
        return {k: REDACTED if k in ignored else v for k, v in data.items()}
    return data


def _ignored_fields(
    body: Body, content_type: str, ignored: frozenset[str]
) -> list[tuple[str, str]]:
    """The ``(name, value)`` of every ignored field in a JSON or form body."""
    raw = body.encode('utf-8') if isinstance(body, str) else (body or b'')
    if 'json' in content_type:
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            return []
        if isinstance(data, dict):
            return [(k, json.dumps(v, sort_keys=True)) for k, v in data.items() if k in ignored]
        return []
    if 'x-www-form-urlencoded' in content_type:
        pairs = parse_qsl(raw.decode('latin-1'), keep_blank_values=True, errors='surrogateescape')
        return [(k, v) for k, v in pairs if k in ignored]
    return []


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
    """Write ``REDACTED`` for ignored fields of a JSON or form body; other bodies are returned
    unchanged."""
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
            return json.dumps(_redacted_json(data, ignored)).encode()
        return body
    if 'x-www-form-urlencoded' in content_type:
        # Replace whole values and keep the other fields byte for byte: re-encoding would change
        # the stored body (escapes, non-ASCII bytes) even when nothing was ignored.
        text = body if isinstance(body, str) else body.decode('latin-1')
        pairs = text.split('&')
        redacted = '&'.join(_redacted_pair(p, ignored) for p in pairs)
        if redacted == text:
            return body
        return redacted if isinstance(body, str) else redacted.encode('latin-1')
    return body


def redact_headers(headers: Mapping[str, str], ignored_parameters: Iterable[str]) -> dict[str, str]:
    """A copy of ``headers`` with ``REDACTED`` for the values of ignored ones (names compared
    case-insensitively) and of the credential headers; the input is not changed."""
    ignored = _lowered(frozen_names(ignored_parameters))
    return {
        k: REDACTED if k.lower() in ignored or k.lower() in CREDENTIAL_HEADERS else v
        for k, v in headers.items()
    }


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
