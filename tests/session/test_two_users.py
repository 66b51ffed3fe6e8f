"""Two users on one URL never get each other's response, and a user never gets an anonymous
one (or the reverse): every way a credential travels, with and without Vary and Cache-Control,
in both modes, sequentially and concurrently. ``isolate_credentials=False`` shares as 1.x did."""

from __future__ import annotations

import threading
from typing import Any, Callable

import pytest
from origin import Route

from requests_cache import CachedSession

#: How a user's credential goes with a request: (session setup, per-request kwargs, URL rewrite).
Carrier = Callable[[Any, str, str], tuple[str, dict[str, Any]]]


def _header(name: str) -> Carrier:
    def carry(session, url, user):
        return url, {'headers': {name: f'secret-{user}'}}

    return carry


def _auth(session, url, user):
    return url, {'auth': (user, 'pw')}


def _session_auth(session, url, user):
    session.auth = (user, 'pw')
    return url, {}


def _session_cookie(session, url, user):
    session.cookies.clear()
    session.cookies.set('sid', f'secret-{user}')
    return url, {}


def _request_cookie(session, url, user):
    return url, {'cookies': {'sid': f'secret-{user}'}}


def _query(name: str) -> Carrier:
    def carry(session, url, user):
        return url, {'params': {name: f'secret-{user}', 'page': '1'}}

    return carry


def _userinfo(session, url, user):
    return url.replace('http://', f'http://{user}:pw@'), {}


def _form(session, url, user):
    return url, {'method': 'POST', 'data': {'api_key': f'secret-{user}'}}


CARRIERS = {
    'authorization': _header('Authorization'),
    'proxy-authorization': _header('Proxy-Authorization'),
    'x-api-key': _header('X-API-Key'),
    'auth=': _auth,
    'session.auth': _session_auth,
    'session cookie': _session_cookie,
    'request cookie': _request_cookie,
    'api_key param': _query('api_key'),
    'access_token param': _query('access_token'),
    'custom ignored param': _query('auth_token'),
    'url userinfo': _userinfo,
    'form body': _form,
}
RESPONSES = {
    'plain': {},
    'vary authorization': {'Vary': 'Authorization'},
    'vary cookie': {'Vary': 'Cookie'},
    'private': {'Cache-Control': 'private, max-age=600'},
    'public': {'Cache-Control': 'public, max-age=600'},
}


def _identify(seen) -> bytes:
    """The origin's answer: everything that identifies who asked."""
    parts = [seen.path]
    for name in ('Authorization', 'Proxy-Authorization', 'Cookie', 'X-API-Key'):
        parts.append(f'{name}={seen.headers.get(name, "")}')
    parts.append(seen.body.decode())
    return '|'.join(parts).encode()


def _setup(origin, response_headers):
    def answer(seen):
        return Route(headers=dict(response_headers), body=_identify(seen))

    return origin.route('/whoami', respond=answer)


def _session(mode: str, **kwargs) -> CachedSession:
    return CachedSession(
        backend='memory',
        cache_control=mode == 'rfc',
        allowable_methods=('GET', 'HEAD', 'POST'),
        ignored_parameters=[
            'Authorization',
            'Proxy-Authorization',
            'X-API-Key',
            'Cookie',
            'api_key',
            'access_token',
            'auth_token',
        ],
        **kwargs,
    )


def _ask(session, carrier: Carrier, url: str, user: str):
    """One request as ``user`` (None: anonymous); returns the body served."""
    if user is None:
        session.auth = None
        session.cookies.clear()
        url, kwargs = url, {}
    else:
        url, kwargs = carrier(session, url, user)
    method = kwargs.pop('method', 'GET')
    return session.request(method, url, **kwargs).content


def _expected(origin, carrier, url, user) -> bytes:
    """What the origin answers this user, asked directly with a plain session."""
    import requests

    plain = requests.Session()
    plain.trust_env = False
    return _ask(plain, carrier, url, user)


@pytest.mark.parametrize('mode', ['default', 'rfc'])
@pytest.mark.parametrize('response_name', sorted(RESPONSES))
@pytest.mark.parametrize('carrier_name', sorted(CARRIERS))
def test_no_user_gets_another_users_response(origin, mode, response_name, carrier_name):
    """Alice, Bob and an anonymous caller, in every order, each get only their own answer."""
    url = _setup(origin, RESPONSES[response_name])
    carrier = CARRIERS[carrier_name]
    expected = {user: _expected(origin, carrier, url, user) for user in ('alice', 'bob', None)}
    assert len(set(expected.values())) == 3, 'the origin must tell the three callers apart'
    session = _session(mode)
    for user in ('alice', 'bob', None, 'alice', None, 'bob', 'alice'):
        assert _ask(session, carrier, url, user) == expected[user], user
    shared = _session(mode)
    other = CachedSession(backend=shared.cache, cache_control=mode == 'rfc')
    other.settings = shared.settings
    _ask(shared, carrier, url, 'alice')
    assert _ask(other, carrier, url, 'bob') == expected['bob']


@pytest.mark.parametrize('carrier_name', sorted(CARRIERS))
def test_concurrent_users_never_cross(origin, carrier_name):
    """Eight threads, four users and anonymous callers, one URL: every body is its caller's."""
    url = _setup(origin, {'Cache-Control': 'max-age=600'})
    carrier = CARRIERS[carrier_name]
    users = ['u0', 'u1', 'u2', 'u3', None]
    expected = {user: _expected(origin, carrier, url, user) for user in users}
    cache = _session('default').cache
    wrong: list[Any] = []

    def worker(index: int) -> None:
        session = _session('default')
        session.cache = cache
        session.cache.key_settings = session._settings
        for step in range(20):
            user = users[(index + step) % len(users)]
            if _ask(session, carrier, url, user) != expected[user]:
                wrong.append((index, step, user))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert wrong == []


@pytest.mark.parametrize('carrier_name', ['authorization', 'api_key param', 'session cookie'])
def test_shared_mode_keeps_one_entry_per_url(origin, carrier_name):
    """isolate_credentials=False serves one stored response to every credential, as 1.x did."""
    url = _setup(origin, {})
    carrier = CARRIERS[carrier_name]
    session = _session('default', isolate_credentials=False)
    first = _ask(session, carrier, url, 'alice')
    assert _ask(session, carrier, url, 'bob') == first
    assert origin.count() == 1
