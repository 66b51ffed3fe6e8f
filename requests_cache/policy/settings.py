"""Session settings and per-request options: validated once, then frozen.

A per-request override never mutates the session's settings; it makes a new value with
`CacheSettings.replace`. Two sessions sharing one backend never see each other's settings.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Optional, Union

from ..errors import ConfigurationError, UnknownSettingError
from .expiration import (
    ExpireAfter,
    Special,
    UrlPattern,
    parse_expire_after,
    parse_urls_expire_after,
)

__all__ = [
    'DEFAULT_ALLOWABLE_CODES',
    'DEFAULT_IGNORED_PARAMETERS',
    'DEPRECATED_SETTINGS',
    'KNOWN_METHODS',
    'NOT_GIVEN',
    'STANDARD_METHODS',
    'CacheSettings',
    'NotGiven',
    'RequestOptions',
    'closest_name',
    'split_kwargs',
    'unknown_keyword_message',
]

DEFAULT_ALLOWABLE_CODES = (200,)
DEFAULT_ALLOWABLE_METHODS = ('GET', 'HEAD')
#: Seconds a request waits for an identical one in flight; the origin rarely takes longer.
DEFAULT_COALESCE_TIMEOUT = 30.0
#: Credentials that never belong in a cache key or on disk. Narrow on purpose: a name like
#: ``token`` is often a pagination cursor, and ignoring it would serve the wrong page.
DEFAULT_IGNORED_PARAMETERS = (
    'Authorization',
    'Proxy-Authorization',
    'X-API-Key',
    'X-Auth-Token',
    'X-API-Token',
    'X-Access-Token',
    'Cookie',
    'access_token',
    'api_key',
    'apikey',
)
#: requests-cache 0.6 names, still accepted with a DeprecationWarning.
DEPRECATED_SETTINGS = {
    'old_data_on_error': 'stale_if_error',
    'include_get_headers': 'match_headers',
}

StaleSetting = Union[bool, ExpireAfter]
_STALE_ALLOWED = 'True (no limit), False (off), or the most staleness to allow: '

#: RFC 9110's methods, PATCH (RFC 5789) and QUERY.
STANDARD_METHODS = (
    'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY',
)  # fmt: skip
#: The methods of the IANA HTTP Method Registry. ``allowable_methods`` takes these in any case,
#: and other method names (RFC 9110 tokens: extension methods) unless they are one typo away
#: from a standard method: ``'GTE'`` is a mistake, ``'PURGE'`` an extension.
KNOWN_METHODS = (
    *STANDARD_METHODS,
    'ACL', 'BASELINE-CONTROL', 'BIND', 'CHECKIN', 'CHECKOUT', 'COPY', 'LABEL', 'LINK', 'LOCK',
    'MERGE', 'MKACTIVITY', 'MKCALENDAR', 'MKCOL', 'MKREDIRECTREF', 'MKWORKSPACE', 'MOVE',
    'ORDERPATCH', 'PRI', 'PROPFIND', 'PROPPATCH', 'REBIND', 'REPORT', 'SEARCH', 'UNBIND',
    'UNCHECKOUT', 'UNLINK', 'UNLOCK', 'UPDATE', 'UPDATEREDIRECTREF', 'VERSION-CONTROL',
)  # fmt: skip
_METHODS_ALLOWED = (
    'a method name or an iterable of them: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, TRACE, '
    'CONNECT, QUERY, another registered method (PROPFIND, REPORT...), or an extension method '
    '(an RFC 9110 token) that is not one typo away from a standard one'
)
#: RFC 9110 §5.6.2 ``token``: the characters a method name is made of.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


@dataclass(frozen=True)
class CacheSettings:
    """Everything that decides how a session caches. Build with `from_kwargs`; frozen after.

    Attributes:
        expire_after: Lifetime of responses without freshness headers (or of all responses when
            ``cache_control`` is off). Reads `NEVER_EXPIRE` when it was not given.
        urls_expire_after: Ordered ``(pattern, expire_after)`` rules; the first match wins.
        cache_control: Follow RFC 9111 response and request headers.
        allowable_codes: Status codes that may be stored; None means the default: ``(200,)``
            without ``cache_control``, any status with explicit freshness with it.
        allowable_methods: Methods whose responses may be stored.
        ignored_parameters: Header, query and body parameter names left out of cache keys and
            removed from stored requests.
        match_headers: True to vary keys on all request headers, or the names to vary on.
        filter_fn: A response predicate; False means "do not store".
        key_fn: Replaces the built-in key function.
        stale_if_error: Serve stale data when the origin fails; a value bounds the staleness.
        stale_while_revalidate: Serve stale data while refreshing; a value bounds the window.
        always_revalidate: Revalidate every stored response that has a validator, even if fresh.
        read_only: Read from the cache but never write to it.
        store_set_cookie: Keep ``Set-Cookie`` headers in stored responses (off by default: a
            stored cookie would be replayed to whoever gets the cached response).
        coalesce_timeout: Seconds a request waits for an identical request already in flight
            (same key, same process) before sending its own; 0 turns coalescing off.
        autoclose: Close the cache when the session is closed (requests-cache 1.x kept it among
            the settings too, where it may be changed).
        coalesce_across_processes: Coalesce identical misses across every process and machine
            sharing the store too (Redis, SQLite, filesystem), with a lease per key in the store;
            costs a write or two per miss.
        isolate_credentials: Keep responses to requests with different credentials (or with and
            without credentials) in separate entries; False shares one entry per URL whatever
            the credentials, as requests-cache 1.x did.
        cache_status_header: Also add each response's ``cache_status`` to its headers, as an
            RFC 9211 ``Cache-Status`` header (after any the origin sent).
        expire_after_given: Whether ``expire_after`` was given (by `from_kwargs`, `replace`, or
            a value other than the default): with ``cache_control=True``, an ``expire_after``
            left out lets RFC 9111 decide (see `requests_cache.policy.resolve_expire_after`).
            Not a keyword of its own.
    """

    expire_after: ExpireAfter = Special.NEVER_EXPIRE
    urls_expire_after: tuple[tuple[UrlPattern, ExpireAfter], ...] = ()
    cache_control: bool = False
    allowable_codes: Optional[tuple[int, ...]] = None
    allowable_methods: tuple[str, ...] = DEFAULT_ALLOWABLE_METHODS
    ignored_parameters: tuple[str, ...] = DEFAULT_IGNORED_PARAMETERS
    match_headers: Union[bool, tuple[str, ...]] = False
    filter_fn: Optional[Callable[[Any], bool]] = field(default=None, compare=False)
    key_fn: Optional[Callable[..., str]] = field(default=None, compare=False)
    stale_if_error: StaleSetting = False
    stale_while_revalidate: StaleSetting = False
    always_revalidate: bool = False
    read_only: bool = False
    store_set_cookie: bool = False
    coalesce_timeout: float = DEFAULT_COALESCE_TIMEOUT
    coalesce_across_processes: bool = False
    autoclose: bool = True
    isolate_credentials: bool = True
    cache_status_header: bool = False
    expire_after_given: bool = False

    def __post_init__(self) -> None:
        # Built directly with a non-default expire_after, that value was given all the same.
        if not self.expire_after_given and self.expire_after is not Special.NEVER_EXPIRE:
            object.__setattr__(self, 'expire_after_given', True)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The keyword names this class accepts."""
        return tuple(f.name for f in dataclasses.fields(cls) if f.name not in _NOT_KEYWORDS)

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> CacheSettings:
        """Validate keyword arguments as a user writes them into a `CacheSettings`.

        Raises:
            UnknownSettingError: A keyword is not a setting.
            ConfigurationError: A value is not allowed; the message says what is.
        """
        kwargs = rename_deprecated(kwargs)
        unknown = set(kwargs) - set(cls.names())
        if unknown:
            name = sorted(unknown)[0]
            raise UnknownSettingError(unknown_keyword_message(name, cls.names()))
        values = {name: _VALIDATORS[name](value, name) for name, value in kwargs.items()}
        return cls(**values, expire_after_given='expire_after' in kwargs)

    def replace(self, **changes: Any) -> CacheSettings:
        """Return a copy with some settings changed (validated like `from_kwargs`)."""
        changes = rename_deprecated(changes)
        validated = CacheSettings.from_kwargs(**changes)
        replaced = {k: getattr(validated, k) for k in changes}
        if 'expire_after' in changes:
            replaced['expire_after_given'] = True
        return dataclasses.replace(self, **replaced)

    def stores_code(self, status: int, has_explicit_freshness: bool = False) -> bool:
        """Whether a response with this status may be stored under these settings."""
        if self.allowable_codes is not None:
            return status in self.allowable_codes
        if self.cache_control and has_explicit_freshness:
            return True
        return status in DEFAULT_ALLOWABLE_CODES


#: Fields of `CacheSettings` that are state, not keywords a user passes.
_NOT_KEYWORDS = frozenset({'expire_after_given'})


class NotGiven(Enum):
    """The default of a keyword argument, told apart from every value a caller can pass."""

    NOT_GIVEN = 'NOT_GIVEN'

    def __repr__(self) -> str:
        return self.value


#: ``CachedSession(expire_after=...)`` left out (see `CacheSettings.expire_after_given`).
NOT_GIVEN = NotGiven.NOT_GIVEN


@dataclass(frozen=True)
class RequestOptions:
    """Options for one request, passed to any verb method or to ``send()``.

    Attributes:
        expire_after: Overrides every other expiration rule for this response.
        only_if_cached: Never touch the network; a miss is a 504 with an empty body.
        refresh: Revalidate the stored response with the origin before using it.
        force_refresh: Ignore the stored response; fetch and overwrite it.
    """

    expire_after: Optional[ExpireAfter] = None
    only_if_cached: bool = False
    refresh: bool = False
    force_refresh: bool = False

    @classmethod
    def from_kwargs(
        cls,
        expire_after: object = None,
        only_if_cached: object = False,
        refresh: object = False,
        force_refresh: object = False,
    ) -> RequestOptions:
        """Validate per-request options.

        Raises:
            ConfigurationError: ``expire_after`` is invalid or a flag is not a bool.
        """
        flags = {
            'only_if_cached': only_if_cached,
            'refresh': refresh,
            'force_refresh': force_refresh,
        }
        for name, value in flags.items():
            _bool(value, name)
        parsed = None if expire_after is None else parse_expire_after(expire_after)
        return cls(parsed, bool(only_if_cached), bool(refresh), bool(force_refresh))


def rename_deprecated(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Map requests-cache 0.6 setting names to their new names, warning once per call."""
    renamed = dict(kwargs)
    for old, new in DEPRECATED_SETTINGS.items():
        if old in renamed:
            warnings.warn(
                f'{old!r} is deprecated; use {new!r} instead', DeprecationWarning, stacklevel=4
            )
            renamed.setdefault(new, renamed.pop(old))
            renamed.pop(old, None)
    return renamed


def split_kwargs(kwargs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split keyword arguments into (settings, everything else)."""
    setting_names = set(CacheSettings.names()) | set(DEPRECATED_SETTINGS)
    settings = {k: v for k, v in kwargs.items() if k in setting_names}
    others = {k: v for k, v in kwargs.items() if k not in setting_names}
    return settings, others


def closest_name(name: str, valid: Iterable[str]) -> Optional[str]:
    """The valid name most like ``name``, if any is close."""
    matches = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.6)
    return matches[0] if matches else None


def unknown_keyword_message(name: str, valid: Iterable[str]) -> str:
    """'unexpected keyword argument ...', with the closest valid name when one is close."""
    suggestion = closest_name(name, valid)
    hint = f'; did you mean {suggestion!r}?' if suggestion else ''
    return f'unexpected keyword argument {name!r}{hint}'


def _bool(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigurationError(f'{name}={value!r} is not valid; allowed: True or False')
    return value


def _codes(value: object, name: str) -> Optional[tuple[int, ...]]:
    if value is None:
        return None
    items = _sequence(value, name, 'an iterable of HTTP status codes (ints 100-599)')
    if not all(isinstance(c, int) and not isinstance(c, bool) and 100 <= c <= 599 for c in items):
        raise ConfigurationError(
            f'{name}={value!r} is not valid; allowed: an iterable of HTTP status codes (100-599)'
        )
    return tuple(items)


def _methods(value: object, name: str) -> tuple[str, ...]:
    # requests-cache 1.x took allowable_methods='GET' (a bare string) as that one method.
    items = (value,) if isinstance(value, str) else _sequence(value, name, _METHODS_ALLOWED)
    methods = []
    for item in items:
        method = item.upper() if isinstance(item, str) else None
        if method is None or not _TOKEN.fullmatch(method):
            raise ConfigurationError(
                f'{name}={value!r} is not valid: {item!r} is not a method name; '
                f'allowed: {_METHODS_ALLOWED}'
            )
        suggestion = None if method in KNOWN_METHODS else _misspelt_method(method)
        if suggestion is not None:
            raise ConfigurationError(
                f'{name}={value!r} is not valid: {item!r} is not an HTTP method; did you mean '
                f'{suggestion!r}? allowed: {_METHODS_ALLOWED}'
            )
        methods.append(method)
    return tuple(methods)


def _misspelt_method(method: str) -> Optional[str]:
    """The standard method ``method`` is one typo away from (a letter added, dropped, changed,
    or two swapped), if any."""
    for known in STANDARD_METHODS:
        if len(method) == len(known):
            diffs = [i for i, (a, b) in enumerate(zip(method, known)) if a != b]
            swapped = (
                len(diffs) == 2
                and diffs[1] == diffs[0] + 1
                and method[diffs[0]] == known[diffs[1]]
                and method[diffs[1]] == known[diffs[0]]
            )
            if len(diffs) == 1 or swapped:
                return known
        elif abs(len(method) - len(known)) == 1:
            longer, shorter = (method, known) if len(method) > len(known) else (known, method)
            if any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer))):
                return known
    return None


def _names(value: object, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = _sequence(value, name, 'an iterable of parameter or header names')
    if not all(isinstance(n, str) for n in items):
        raise ConfigurationError(f'{name}={value!r} is not valid; allowed: names as strings')
    return tuple(items)


def _match_headers(value: object, name: str) -> Union[bool, tuple[str, ...]]:
    if isinstance(value, bool):
        return value
    return _names(value, name)


def _callable(value: object, name: str) -> Optional[Callable[..., Any]]:
    if value is not None and not callable(value):
        raise ConfigurationError(f'{name}={value!r} is not valid; allowed: a callable or None')
    return value


def _stale(value: object, name: str) -> StaleSetting:
    if isinstance(value, bool):
        return value
    try:
        return parse_expire_after(value, name)
    except ConfigurationError as exc:
        # The expiration message lists every value but the booleans this setting also takes.
        message = str(exc).replace('allowed: ', f'allowed: {_STALE_ALLOWED}', 1)
        raise ConfigurationError(message) from None


def _seconds(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ConfigurationError(
            f'{name}={value!r} is not valid; allowed: a number of seconds >= 0 (0 turns it off)'
        )
    return float(value)


def _sequence(value: object, name: str, allowed: str) -> tuple[Any, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ConfigurationError(f'{name}={value!r} is not valid; allowed: {allowed}')
    return tuple(value)


_VALIDATORS: dict[str, Callable[[Any, str], Any]] = {
    'expire_after': parse_expire_after,
    'urls_expire_after': lambda value, _: parse_urls_expire_after(value),
    'cache_control': _bool,
    'allowable_codes': _codes,
    'allowable_methods': _methods,
    'ignored_parameters': _names,
    'match_headers': _match_headers,
    'filter_fn': _callable,
    'key_fn': _callable,
    'stale_if_error': _stale,
    'stale_while_revalidate': _stale,
    'always_revalidate': _bool,
    'read_only': _bool,
    'store_set_cookie': _bool,
    'coalesce_timeout': _seconds,
    'coalesce_across_processes': _bool,
    'autoclose': _bool,
    'isolate_credentials': _bool,
    'cache_status_header': _bool,
}


# --- requests-cache 1.x names, kept for code written for it ---------------------------------------
#: Every method requests-cache 1.x could cache (1.x name), for ``allowable_methods=ALL_METHODS``.
ALL_METHODS = ('GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE')
#: The default cache name (1.x name).
DEFAULT_CACHE_NAME = 'http_cache'
#: The default ``allowable_methods`` (1.x name).
DEFAULT_METHODS = DEFAULT_ALLOWABLE_METHODS
#: The default ``allowable_codes`` (1.x name).
DEFAULT_STATUS_CODES = DEFAULT_ALLOWABLE_CODES
#: Credential query and body parameters in the default ``ignored_parameters`` (1.x name).
AUTH_PARAMS = ('access_token', 'api_key', 'apikey')
#: Credential headers in the default ``ignored_parameters`` (1.x name); unlike 1.x, with ``Cookie``.
AUTH_HEADERS = tuple(name for name in DEFAULT_IGNORED_PARAMETERS if name not in AUTH_PARAMS)
#: The default ``ignored_parameters`` (1.x name): ``AUTH_HEADERS + AUTH_PARAMS``.
DEFAULT_IGNORED_PARAMS = AUTH_HEADERS + AUTH_PARAMS
