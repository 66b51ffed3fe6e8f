"""Fresh hits are served from request() before requests merges environment settings; these
tests pin that the early answer is the one the full send() path would give."""

from __future__ import annotations

import requests

from requests_cache import CachedSession


def test_session_and_request_hooks_run_on_hits(session, origin):
    """Session hooks, and request hooks (which replace them, as in requests), run on hits too."""
    calls = []
    session.hooks['response'].append(lambda r, **kw: calls.append('session'))
    hook = {'response': lambda r, **kw: calls.append('request')}
    url = origin.url('/hooks')
    session.get(url)
    session.get(url)
    session.get(url, hooks=hook)
    assert calls == ['session', 'session', 'request']
    assert origin.count('/hooks') == 1


def test_session_params_are_part_of_the_key(session, origin):
    """Session-level params change the prepared URL, and so the key, on the early path too."""
    url = origin.url('/params')
    session.get(url)
    session.params = {'page': '2'}
    assert session.get(url).from_cache is False
    assert origin.seen[-1].path == '/params?page=2'


def test_session_headers_are_matched_when_asked(tmp_path, origin):
    """With match_headers, a session header change is a different entry."""
    session = CachedSession(str(tmp_path / 'c'), match_headers=['Accept-Language'])
    url = origin.url('/lang')
    session.headers['Accept-Language'] = 'en'
    session.get(url)
    session.headers['Accept-Language'] = 'fr'
    assert session.get(url).from_cache is False
    session.headers['Accept-Language'] = 'en'
    assert session.get(url).from_cache is True


def test_auth_and_cookies_reach_the_origin_on_misses(session, origin):
    """Auth and cookies set on the session are sent on a miss; the same credentials hit."""
    session.auth = ('user', 'pass')
    session.cookies.set('sid', 'abc')
    url = origin.url('/auth')
    session.get(url)
    assert origin.seen[-1].headers['Authorization'].startswith('Basic ')
    assert origin.seen[-1].headers['Cookie'] == 'sid=abc'
    assert session.get(url).from_cache is True
    session.cookies.set('sid', 'other')
    assert session.get(url).from_cache is False


def test_environment_proxies_do_not_change_hits(session, origin, monkeypatch):
    """A proxy from the environment (unused for 127.0.0.1 via NO_PROXY) does not affect hits."""
    url = origin.url('/proxy')
    session.get(url)
    monkeypatch.setenv('HTTP_PROXY', 'http://127.0.0.1:9')
    assert session.get(url).from_cache is True


def test_verify_false_is_a_different_entry(session, origin):
    """verify=False requests are keyed apart from verified ones, early path included."""
    url = origin.url('/verify')
    session.get(url)
    assert session.get(url, verify=False).from_cache is False
    assert session.get(url, verify=False).from_cache is True


def test_early_and_full_paths_return_equal_responses(session, origin):
    """A hit via request() equals a hit via send() of the same prepared request."""
    url = origin.route('/same', headers={'X-Thing': '1'})
    session.get(url)
    early = session.get(url)
    full = session.send(session.prepare_request(requests.Request('GET', url)))
    assert (early.from_cache, full.from_cache) == (True, True)
    assert early.content == full.content and dict(early.headers) == dict(full.headers)
    assert early.cache_key == full.cache_key
