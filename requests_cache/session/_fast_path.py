"""The fast path: answer a fresh hit in ``request()``, before requests prepares the request,
when that provably gives what the full path gives.

Preparing a request (merging headers, cookies, auth and hooks, encoding the URL and body) and
merging environment settings cost more than a whole cache lookup. For most calls none of it
changes the answer. A call takes the fast path only when everything the answer could depend on
is known without preparing:

* the session's class (and the instance) override none of `_OVERRIDABLE`: an override may do
  anything, so only requests' own behaviour is known;
* the call has no body, no auth (session or request), no cookies (session jar or request), no
  request hooks, no userinfo in the URL, and no netrc file that could add credentials;
* no header the key or a decision reads is set, on the session or the call
  (`HEADERS_THAT_MATTER`: credentials, Cache-Control, Pragma, conditionals, Range; and every
  name in ``ignored_parameters``); the settings have no ``key_fn`` and no ``match_headers``;
* requests has prepared this URL with these merged query parameters before: `PREPARED_URLS`
  remembers what it produced, so the prepared URL is reused, never computed on the side;
* the stored response is fresh, has no ``Vary``, and is not a redirect.

The answer then goes through the same lookup, decision, statistics, logging and serving as every
other hit (`FastExchange` only supplies the request lazily): the served response's ``request`` is
prepared the usual way (then redacted) the first time it is read, and response hooks get the
keyword arguments requests would give them, environment included (merged only when there are
hooks to call). Anything else calls ``super().request()``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, Optional

from requests import PreparedRequest, Request, Response, Session
from requests.exceptions import InvalidHeader
from requests.models import REDIRECT_STATI
from requests.utils import check_header_validity

from ..models.snapshot import redacted_request
from ..policy import CacheSettings, RequestOptions, Serve
from ..policy.expiration import Special
from ._context import Exchange, is_disabled
from ._lookup import look_up_quietly, report_decision
from ._serve import serve_stored

__all__ = [
    'HEADERS_THAT_MATTER',
    'PREPARED_URLS',
    'FastExchange',
    'ParamItems',
    'PreparedUrls',
    'fast_hit',
    'merged_params',
    'remember',
    'steps_aside',
]

#: Session methods whose override turns the fast path off.
_OVERRIDABLE = frozenset({'request', 'prepare_request', 'send', 'merge_environment_settings'})

#: Request headers (lower case) that the key or a cache decision may read: credentials (keys and
#: Vary), request directives, conditionals and ranges. A call that sets any takes the full path.
HEADERS_THAT_MATTER = frozenset(
    {
        'authorization',
        'proxy-authorization',
        'cookie',
        'cache-control',
        'pragma',
        'if-none-match',
        'if-modified-since',
        'if-match',
        'if-unmodified-since',
        'if-range',
        'range',
        'x-http-method-override',
    }
)

#: Query parameters as hashable ``(name, value)`` pairs, in the order requests encodes them.
ParamItems = tuple[tuple[Any, Any], ...]

_SCALARS = (str, bytes, int, float)


class FastExchange(Exchange):
    """An exchange answered before preparing: the request is prepared only if it is read."""

    user_request: Callable[[], Request]
    environment: Callable[[], dict[str, Any]]

    def attach_request(self, response: Any) -> None:
        """Prepare ``response.request`` the first time it is read, as requests would have, then
        redact it like every hit's request."""
        session, user_request = self.session, self.user_request
        ignored = self.settings.ignored_parameters

        def prepare() -> Any:
            return redacted_request(session.prepare_request(user_request()), ignored)

        response.set_request_loader(prepare)

    def response_hooks(self) -> list[Callable[..., Any]]:
        """With no request hooks, requests' merged hooks are the session's own."""
        return list(self.session.hooks.get('response') or ())

    def hook_kwargs(self) -> dict[str, Any]:
        """What requests' ``request()`` passes on: the timeout and the merged environment."""
        return self.environment()


def fast_hit(
    session: Any, method: str, url: Any, call: Mapping[str, Any], options: RequestOptions
) -> Optional[Response]:
    """A fresh stored response for this call, served, if the fast path applies; else None.

    Args:
        session: The session whose ``request()`` was called.
        method: The method as given.
        url: The URL as given.
        call: The other keyword arguments of ``request()``.
        options: The per-request options.
    """
    settings: CacheSettings = session._settings
    method = method.upper()
    if options.expire_after is Special.DO_NOT_CACHE:
        return None  # never served from the cache (see policy.request_directives)
    inputs = _fast_inputs(session, settings, method, url, call, options)
    if inputs is None:
        return None
    prepared_url = PREPARED_URLS.get(*inputs)
    if prepared_url is None:
        return None
    verify = _effective_verify(session, call.get('verify'))
    probe = PreparedRequest()
    probe.method, probe.url, probe.headers = method, prepared_url, {}  # type: ignore[assignment]
    exchange = FastExchange(
        session=session,
        request=probe,
        settings=settings,
        options=options,
        send_kwargs={'verify': verify, 'allow_redirects': call.get('allow_redirects', True)},
        clock=session.clock,
        session_stats=session.stats,
        network_send=session.send,
        metrics=session._metrics,
    )
    lookup = look_up_quietly(exchange)
    decision, cached = lookup.decision, lookup.cached
    if (
        not isinstance(decision, Serve)
        or decision.refresh
        or cached is None
        or lookup.varies
        or cached.status_code in REDIRECT_STATI
    ):
        return None
    report_decision(exchange, lookup)
    exchange.user_request = lambda: _user_request(method, url, call)
    exchange.environment = lambda: _environment(session, prepared_url, call)
    return serve_stored(exchange, cached, decision, lookup.now)


def remember(session: Any, request: Request, prepared: PreparedRequest) -> None:
    """Record the URL requests prepared for ``request``'s URL and merged query parameters.

    Not with auth: an auth handler runs after the URL is prepared and may change it.
    """
    if request.auth is not None or session.auth is not None or not isinstance(request.url, str):
        return
    params = merged_params(session.params, request.params)
    if params is not None:
        PREPARED_URLS.remember(request.url, params, prepared.url)


def steps_aside(session: Any) -> bool:
    """True if the session's class or the instance overrides a method the fast path assumes
    is requests' own (or ours)."""
    if _class_overrides(type(session)):  # type: ignore[arg-type]
        return True
    instance = getattr(session, '__dict__', None)
    # dict_keys.isdisjoint looks each of the four names up in the dict, iterating nothing else.
    return instance is not None and not instance.keys().isdisjoint(_OVERRIDABLE)


@lru_cache(maxsize=256)
def _class_overrides(cls: type) -> bool:
    from ._mixin import CacheMixin  # the mixin imports this module

    known = {CacheMixin, *Session.__mro__}
    for klass in cls.__mro__:
        if klass in known:
            continue
        if any(name in vars(klass) for name in _OVERRIDABLE):
            return True
    return False


def _fast_inputs(
    session: Any,
    settings: CacheSettings,
    method: str,
    url: Any,
    call: Mapping[str, Any],
    options: Optional[RequestOptions],
) -> Optional[tuple[str, ParamItems]]:
    """The URL and merged query parameters that alone decide this call's lookup, or None if
    anything else could (see the module docstring)."""
    if (
        (options is not None and options.force_refresh)
        or not isinstance(url, str)
        or '@' in url
        or method not in settings.allowable_methods
        or settings.key_fn is not None
        or settings.match_headers
        or call.get('data')
        or call.get('files')
        or call.get('json') is not None
        or call.get('auth') is not None
        or session.auth is not None
        or call.get('cookies')
        or _has_cookies(session.cookies)
        or _has_hooks(call.get('hooks'))
        or not _call_headers_ok(call.get('headers'), settings.ignored_parameters)
        or not _session_headers_ok(session, settings.ignored_parameters)
        or (session.trust_env and _netrc_exists())
        or is_disabled(session._disable_token)
        or steps_aside(session)
    ):
        return None
    params = merged_params(session.params, call.get('params'))
    return None if params is None else (url, params)


def _has_cookies(jar: Any) -> bool:
    # RequestsCookieJar._cookies is {domain: {path: {name: cookie}}}: empty means no cookie,
    # without len() walking the jar. Anything else is asked the long way.
    domains = getattr(jar, '_cookies', None)
    if type(domains) is dict and not domains:
        return False
    return bool(len(jar))


def _has_hooks(hooks: Any) -> bool:
    return bool(hooks) and any(hooks.values())


def _call_headers_ok(headers: Any, ignored: tuple[str, ...]) -> bool:
    """True if the call's own headers matter to nothing and are valid, as requests checks them
    when preparing (an invalid one raises `InvalidHeader` on both paths)."""
    if not headers:
        return True
    matter = _headers_that_matter(ignored)
    if any(str(name).lower() in matter for name in headers):
        return False
    for name, value in headers.items():
        if value is not None:  # None removes a session header; requests never checks it
            check_header_validity((name, value))
    return True


def _session_headers_ok(session: Any, ignored: tuple[str, ...]) -> bool:
    """Like `_call_headers_ok` for the session's headers, remembered while they stay the same:
    they change rarely and are checked on every call."""
    headers = session.headers
    # requests' CaseInsensitiveDict keeps {lower name: (name, value)} in _store, an OrderedDict
    # (order matters to nothing checked here): comparing it with the remembered copy costs a
    # tenth of building the items.
    store = getattr(headers, '_store', None)
    current = store if isinstance(store, dict) else tuple(headers.items())
    checked = session.__dict__.get('_requests_cache_checked_headers')
    if checked is not None and checked[0] is ignored and checked[1] == current:
        return True
    items = tuple(headers.items())
    matter = _headers_that_matter(ignored)
    if any(str(name).lower() in matter for name, _ in items):
        return False
    for item in items:
        try:
            check_header_validity(item)
        except InvalidHeader:
            return False  # the full path raises it, as requests does
    snapshot = dict(current) if isinstance(current, dict) else current
    session.__dict__['_requests_cache_checked_headers'] = (ignored, snapshot)
    return True


@lru_cache(maxsize=64)
def _headers_that_matter(ignored: tuple[str, ...]) -> frozenset[str]:
    # An ignored header may be a credential (X-API-Key): part of the key's credential hash.
    return HEADERS_THAT_MATTER | {name.lower() for name in ignored}


def _netrc_exists() -> bool:
    # requests reads these on every prepare when the call has no auth (utils.get_netrc_auth).
    if os.environ.get('NETRC'):
        return True
    return any(os.path.exists(os.path.expanduser(f'~/{name}')) for name in ('.netrc', '_netrc'))


def _effective_verify(session: Any, verify: Any) -> Any:
    """What ``verify`` is after requests merges the environment, up to its truth value."""
    merged = session.verify if verify is None else verify
    from_env = os.environ.get('REQUESTS_CA_BUNDLE') or os.environ.get('CURL_CA_BUNDLE')
    if session.trust_env and (merged is True or merged is None) and from_env:
        return True
    return merged


def _user_request(method: str, url: str, call: Mapping[str, Any]) -> Request:
    """The request as requests' ``request()`` builds it from the call's arguments."""
    return Request(
        method=method,
        url=url,
        headers=call.get('headers'),
        files=call.get('files'),
        data=call.get('data') or {},
        json=call.get('json'),
        params=call.get('params') or {},
        auth=call.get('auth'),
        cookies=call.get('cookies'),
        hooks=call.get('hooks'),
    )


def _environment(session: Any, url: str, call: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments requests' ``request()`` passes to ``send()``, less
    ``allow_redirects``: what response hooks receive."""
    kwargs: dict[str, Any] = {'timeout': call.get('timeout')}
    kwargs.update(
        session.merge_environment_settings(
            url,
            call.get('proxies') or {},
            call.get('stream'),
            call.get('verify'),
            call.get('cert'),
        )
    )
    return kwargs


def merged_params(session_params: Any, params: Any) -> Optional[ParamItems]:
    """The session's and the request's query parameters, merged as requests merges them.

    Returns None for anything but plain mappings of scalars (or lists of scalars): those take
    the full path.
    """
    if params is None and type(session_params) is dict and not session_params:
        return ()  # the common case, answered as the loop below would
    if not isinstance(session_params, Mapping):
        return None
    if params is None:
        params = {}
    elif not isinstance(params, Mapping):
        return None  # a list of pairs or a string: requests ignores the session's params then
    merged = dict(session_params)
    merged.update(params)
    items = []
    for name, value in merged.items():
        if value is None:
            continue  # requests drops parameters set to None
        if isinstance(value, (list, tuple)):
            if not all(isinstance(v, _SCALARS) or v is None for v in value):
                return None
            value = tuple(_as_encoded(v) for v in value)  # encoded exactly like the list
        elif isinstance(value, _SCALARS):
            value = _as_encoded(value)
        else:
            return None
        if not isinstance(name, (str, bytes)):
            return None
        items.append((name, value))
    return tuple(items)


def _as_encoded(value: Any) -> Any:
    # requests encodes numbers with str(); doing it here keeps 1, 1.0 and True, which are equal
    # as dict keys, from sharing one remembered URL.
    return value if value is None or isinstance(value, (str, bytes)) else str(value)


class PreparedUrls:
    """The URL requests prepared for each (URL, merged query parameters) an eligible call used.

    Filled from real prepared requests, never computed on the side: the fast path only ever
    reuses what requests itself produced for the same inputs.

    Args:
        size: Most URLs remembered; the oldest are forgotten first.
    """

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._urls: dict[tuple[str, ParamItems], str] = {}
        self._lock = threading.Lock()

    def get(self, url: str, params: ParamItems) -> Optional[str]:
        """The prepared URL remembered for these inputs, or None."""
        return self._urls.get((url, params))

    def remember(self, url: str, params: ParamItems, prepared: Optional[str]) -> None:
        """Record what requests prepared for these inputs."""
        if not prepared:
            return
        if prepared == url:
            prepared = url  # one string object for both, not two equal copies
        with self._lock:
            self._urls[(url, params)] = prepared
            if len(self._urls) > self.size:
                del self._urls[next(iter(self._urls))]

    def clear(self) -> None:
        """Forget every URL."""
        with self._lock:
            self._urls.clear()


#: Shared by every session: a prepared URL depends only on the inputs it is keyed by.
PREPARED_URLS = PreparedUrls()
