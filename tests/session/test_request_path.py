"""The request path as callers and subclasses see it: overrides, hooks, invalidation keys,
redirects answered the way requests answers them, and coalescing that never waits on itself."""

from __future__ import annotations

import threading
import time
from urllib.parse import urljoin

import pytest
import requests
from origin import Route

from requests_cache import CachedSession, CacheMixin


class BaseUrlSession(requests.Session):
    """A session that resolves relative URLs against a base URL in request(), as
    requests-toolbelt's BaseUrlSession does."""

    def __init__(self, base_url: str = '', **kwargs):
        """Keep the base URL."""
        self.base_url = base_url
        super().__init__(**kwargs)

    def request(self, method, url, *args, **kwargs):
        """Join the URL to the base URL, then send as usual."""
        return super().request(method, urljoin(self.base_url, url), *args, **kwargs)


class CachedBaseUrlSession(CacheMixin, BaseUrlSession):
    """Caching in front of a session class that customises request()."""


def test_a_request_override_after_the_mixin_is_called(origin):
    """Bug 1: CacheMixin.request() calls super().request(), so relative URLs of a base-URL
    session work on misses and hits alike."""
    session = CachedBaseUrlSession(backend='memory', base_url=origin.url('/api/'))
    first = session.get('items')
    second = session.get('items')
    assert first.url == second.url == origin.url('/api/items')
    assert (first.from_cache, second.from_cache) == (False, True)
    assert origin.count('/api/items') == 1


@pytest.mark.parametrize(
    'settings',
    [{'match_headers': True}, {'key_fn': lambda request, **kw: f'{request.method} {request.url}'}],
    ids=['match_headers', 'key_fn'],
)
def test_invalidation_uses_the_session_key_function(origin, settings):
    """Bug 2: a POST invalidates the stored GET with match_headers=True or a custom key_fn."""
    session = CachedSession(backend='memory', cache_control=True, **settings)
    url = origin.route('/thing', headers={'Cache-Control': 'max-age=600'})
    session.get(url)
    assert session.get(url).from_cache is True
    session.post(url, data={'a': '1'})
    assert session.get(url).from_cache is False
    assert origin.count('/thing') == 3


def test_hooks_get_what_requests_gives_them_on_every_path(origin):
    """Bug 3: response hooks receive the same keyword arguments on a miss, a fast hit and a
    prepared hit: those requests itself passes (timeout, proxies, cert, stream, verify)."""
    seen = []
    session = CachedSession(backend='memory')
    session.hooks['response'].append(
        lambda r, **kw: seen.append((getattr(r, 'from_cache', False), kw))
    )
    plain = requests.Session()
    plain.hooks['response'].append(lambda r, **kw: seen.append(('requests', kw)))
    url = origin.url('/hooked')
    plain.get(url, timeout=5)
    session.get(url, timeout=5)  # miss
    session.get(url, timeout=5)  # fast hit
    session.get(url, timeout=5, headers={'Cache-Control': 'max-age=60'})  # prepared hit
    expected = seen[0][1]
    assert set(expected) == {'timeout', 'proxies', 'cert', 'stream', 'verify'}
    assert [kw for _, kw in seen[1:]] == [expected] * 3
    assert [from_cache for from_cache, _ in seen[1:]] == [False, True, True]


class CountingSession(CachedSession):
    """A subclass that counts every request that goes through its send()."""

    def __init__(self, *args, **kwargs):
        """Start counting at zero."""
        super().__init__(*args, **kwargs)
        self.sent = []

    def send(self, request, **kwargs):
        """Count, then send as usual."""
        self.sent.append(request.url)
        return super().send(request, **kwargs)


def test_a_send_override_sees_hits(origin):
    """Bug 4: a subclass that overrides send() sees every request, hits included."""
    session = CountingSession(backend='memory')
    url = origin.url('/counted')
    assert [session.get(url).from_cache for _ in range(3)] == [False, True, True]
    assert session.sent == [url] * 3


def test_a_redirect_to_the_same_url_does_not_wait_on_itself(origin):
    """Bug 5: GET /same -> 302 to /same with Set-Cookie -> 200 completes at once: coalescing
    never waits on the request it is part of."""

    def answer(seen):
        if 'visited=1' in seen.headers.get('Cookie', ''):
            return Route(body=b'welcome back')
        return Route(status=302, headers={'Location': '/same', 'Set-Cookie': 'visited=1'})

    url = origin.route('/same', respond=answer)
    session = CachedSession(backend='memory', coalesce_timeout=30)
    done = threading.Event()
    result = {}

    def fetch():
        result['response'] = session.get(url)
        done.set()

    threading.Thread(target=fetch, daemon=True).start()
    assert done.wait(5), 'the redirect waited on its own in-flight request'
    assert result['response'].content == b'welcome back'
    assert origin.count('/same') == 2


def test_allow_redirects_false_gets_the_redirect_after_it_was_followed(origin):
    """After a followed redirect is cached, allow_redirects=False gets the 302 (with .next), as
    requests would answer, and the followed request still gets the final response."""
    final = origin.url('/final')
    start = origin.route('/start', status=302, headers={'Location': final})
    session = CachedSession(backend='memory')
    session.get(start)
    hop = session.get(start, allow_redirects=False)
    assert (hop.status_code, hop.from_cache, hop.history) == (302, True, [])
    assert hop.next is not None and hop.next.url == final
    followed = session.get(start)
    assert (followed.status_code, followed.url, followed.from_cache) == (200, final, True)
    assert origin.count('/start') == 1


def test_a_two_hop_chain_keeps_both_hops(origin):
    """A cached two-hop chain answers each URL with the history requests would give it."""
    final = origin.url('/c')
    middle = origin.route('/b', status=301, headers={'Location': final})
    start = origin.route('/a', status=302, headers={'Location': middle})
    session = CachedSession(backend='memory')
    live = session.get(start)
    assert [h.status_code for h in live.history] == [302, 301]
    from_start, from_middle, direct = session.get(start), session.get(middle), session.get(final)
    assert [h.url for h in from_start.history] == [start, middle]
    assert [h.status_code for h in from_start.history] == [302, 301]
    assert [h.url for h in from_middle.history] == [middle]
    assert direct.history == []
    assert all(r.from_cache for r in (from_start, from_middle, direct))
    assert [s.path for s in origin.seen] == ['/a', '/b', '/c']


def test_a_stored_redirect_is_followed_like_a_live_one(origin):
    """A redirect stored as a response of its own (allowable_codes) is followed on a hit."""
    final = origin.url('/target')
    start = origin.route('/moved', status=301, headers={'Location': final})
    session = CachedSession(backend='memory', allowable_codes=(200, 301))
    first = session.get(start, allow_redirects=False)
    assert (first.status_code, first.from_cache) == (301, False)
    followed = session.get(start)
    assert (followed.status_code, followed.url) == (200, final)
    assert [h.status_code for h in followed.history] == [301]
    assert followed.history[0].from_cache is True


def test_a_follower_never_waits_longer_than_its_timeout(origin):
    """A request waiting for an identical one in flight gives up after its own timeout."""
    gate = threading.Event()
    url = origin.route('/slow', gate=gate)
    session = CachedSession(backend='memory', coalesce_timeout=30)
    leader = threading.Thread(target=session.get, args=(url,), daemon=True)
    leader.start()
    while origin.count('/slow') == 0:  # poll until the leader is in flight
        time.sleep(0.005)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.Timeout):
        session.get(url, timeout=0.3)  # waits 0.3 s for the leader, then times out itself
    assert time.monotonic() - started < 2, 'waited for coalesce_timeout, not for timeout='
    gate.set()
    leader.join(5)
