"""Cache-Status (RFC 9211): every response says how the cache handled it, as `response.cache_status`
and, when asked, as a `Cache-Status` header; the header parses as an RFC 8941 list."""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import http_sf
import pytest
import requests
import requests_mock
from hypothesis import given
from hypothesis import strategies as st

from requests_cache import CachedSession, CacheStatus, Forward
from requests_cache.session._coalesce import in_flight_for

CLOCK = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def clocked(tmp_path):
    """A SQLite session whose clock stands still, so ttl values are exact."""
    session = CachedSession(str(tmp_path / 'status'), expire_after=600)
    session.clock = lambda: CLOCK
    yield session
    session.close()


def parsed(value: str) -> list[tuple[str, dict]]:
    """A Cache-Status header value as (cache identifier, parameters) pairs, by a third-party
    RFC 8941 parser."""
    return [(str(item), params) for item, params in http_sf.parse(value.encode(), tltype='list')]


# --- what each kind of answer says --------------------------------------------------------------


def test_a_miss_then_a_hit(clocked, origin):
    """A miss says why it went to the origin, what the origin answered and that it was stored;
    the hit after it says hit, with the freshness left."""
    url = origin.url('/status')
    miss = clocked.get(url)
    assert miss.cache_status == CacheStatus(
        fwd=Forward.URI_MISS,
        fwd_status=200,
        ttl=600,
        stored=True,
        key=miss.cache_key,
        detail=miss.cache_status.detail,
    )
    assert miss.cache_status.detail.startswith('nothing stored for this key; storing: ')
    hit = clocked.get(url)
    assert hit.cache_status == CacheStatus(
        hit=True, ttl=600, key=miss.cache_key, detail=hit.cache_status.detail
    )
    assert hit.cache_status.detail.startswith('fresh until 2026-12-03T12:10:00')


def test_the_send_path_says_the_same_as_the_fast_path(clocked, origin):
    """A hit found by send() (a prepared request) has the same status as a hit answered
    before preparing."""
    url = origin.url('/both-paths')
    clocked.get(url)
    fast = clocked.get(url)
    full = clocked.send(clocked.prepare_request(requests.Request('GET', url)))
    assert full.from_cache and full.cache_status == fast.cache_status


def test_ttl_counts_down_and_goes_negative(clocked, origin):
    """ttl is measured when the response is handed over: less as time passes, negative once
    stale (rounded down)."""
    url = origin.url('/aging')
    clocked.get(url)
    clocked.clock = lambda: CLOCK + timedelta(seconds=90.5)
    assert clocked.get(url).cache_status.ttl == 509
    clocked.settings.stale_while_revalidate = True
    clocked.clock = lambda: CLOCK + timedelta(seconds=600.5)
    stale = clocked.get(url)
    clocked.wait_for_refreshes()
    assert stale.cache_status.hit and stale.cache_status.ttl == -1
    assert 'stale-while-revalidate' in stale.cache_status.detail


def test_not_storable_says_why(clocked, origin):
    """A response that is not stored has stored false and the store step's reason."""
    status = clocked.get(origin.route('/gone', status=404)).cache_status
    assert (status.fwd, status.fwd_status, status.stored, status.ttl) == (
        'uri-miss',
        404,
        False,
        None,
    )
    assert status.detail == 'nothing stored for this key; status 404 is not in allowable_codes'


def test_vary_miss(tmp_path, origin):
    """A stored response whose Vary headers select another variant is a vary-miss."""
    session = CachedSession(str(tmp_path / 'c'), cache_control=True)
    url = origin.route('/vary', headers={'Cache-Control': 'max-age=60', 'Vary': 'Accept'})
    session.get(url, headers={'Accept': 'text/plain'})
    other = session.get(url, headers={'Accept': 'text/html'})
    assert (other.cache_status.fwd, other.cache_status.stored) == (Forward.VARY_MISS, True)
    assert other.cache_status.detail.startswith(f'GET {url}: no stored variant for Vary: accept; ')
    assert session.get(url, headers={'Accept': 'text/html'}).cache_status.hit


def test_an_entry_stored_for_another_request_is_a_miss(tmp_path, origin):
    """A key_fn that gives two URLs one key finds the other URL's response: fwd=miss."""
    session = CachedSession(str(tmp_path / 'c'), key_fn=lambda *args, **kwargs: 'one-key')
    session.get(origin.url('/first'))
    second = session.get(origin.url('/second'))
    assert second.content == b'body of /second'
    assert (second.cache_status.fwd, second.cache_status.key) == (Forward.MISS, 'one-key')
    assert second.cache_status.detail.startswith('Entry one-key was stored for another request')


def test_revalidations(clocked, origin):
    """An expired response with a validator is revalidated: fwd=stale, and fwd-status says
    whether the origin confirmed it (304) or sent a new one (200)."""
    url = origin.route('/etag', headers={'ETag': '"v1"'})
    clocked.settings.expire_after = 0
    clocked.get(url)
    confirmed = clocked.get(url)
    assert confirmed.revalidated and confirmed.cache_status.fwd_status == 304
    assert (confirmed.cache_status.fwd, confirmed.cache_status.stored) == ('stale', True)
    assert '304 Not Modified' in confirmed.cache_status.detail
    origin.route('/etag', headers={'ETag': '"v2"'})
    replaced = clocked.get(url)
    assert (replaced.cache_status.fwd, replaced.cache_status.fwd_status) == ('stale', 200)
    assert clocked.stats.revalidations_by_outcome == {'not-modified': 1, 'modified': 1}


@pytest.mark.parametrize(
    ('kwargs', 'reason'),
    [
        ({'refresh': True}, 'refresh requested'),
        ({'force_refresh': True}, 'force_refresh'),
        ({'headers': {'Cache-Control': 'no-cache'}}, 'the request has no-cache'),
    ],
)
def test_a_request_that_asks_for_the_origin(tmp_path, origin, kwargs, reason):
    """A fresh stored response the request did not let the cache use: fwd=request."""
    session = CachedSession(str(tmp_path / 'c'), cache_control=True)
    url = origin.route('/fresh', headers={'Cache-Control': 'max-age=60', 'ETag': '"x"'})
    session.get(url)
    status = session.get(url, **kwargs).cache_status
    assert status.fwd == Forward.REQUEST and status.detail.startswith(reason)


@pytest.mark.parametrize(
    ('send', 'fwd', 'detail'),
    [
        (lambda s, url: s.post(url), 'method', 'method POST is not in allowable_methods'),
        (
            lambda s, url: s.put(url, data=io.BytesIO(b'streamed')),
            'method',
            'method PUT is not in allowable_methods',
        ),
        (
            lambda s, url: s.get(url, data=iter([b'streamed'])),
            'bypass',
            'the request body is a stream, which cannot be keyed',
        ),
    ],
)
def test_requests_the_cache_takes_no_part_in(session, origin, send, fwd, detail):
    """Methods not cached and bodies that cannot be keyed bypass the cache, and say so."""
    response = send(session, origin.url('/bypassed'))
    assert response.cache_status == CacheStatus(fwd=fwd, fwd_status=200, detail=detail)


def test_a_disabled_cache_is_a_bypass(session, origin):
    """Inside cache_disabled() every response says fwd=bypass."""
    url = origin.url('/disabled')
    session.get(url)
    with session.cache_disabled():
        status = session.get(url).cache_status
    assert (status.fwd, status.key, status.detail) == (
        Forward.BYPASS,
        None,
        'caching is disabled in this context',
    )


def test_only_if_cached_504_is_neither_hit_nor_forwarded(session, origin):
    """The 504 the cache makes under only-if-cached has no hit and no fwd, and says why."""
    response = session.get(origin.url('/never-fetched'), only_if_cached=True)
    assert response.status_code == 504 and origin.count() == 0
    assert response.cache_status == CacheStatus(
        key=response.cache_status.key, detail='only-if-cached, and nothing is stored'
    )
    assert str(response.cache_status).startswith('requests-cache; key="')


@pytest.mark.parametrize(
    ('failure', 'fwd_status', 'error'),
    [
        ({'status_code': 503}, 503, 'status 503'),
        ({'exc': requests.ConnectionError}, None, 'ConnectionError'),
    ],
)
def test_stale_if_error(tmp_path, failure, fwd_status, error):
    """A stale response served because the origin failed went forward (fwd=stale), carries
    what the origin answered, if anything, and is not a hit."""
    session = CachedSession(str(tmp_path / 'c'), expire_after=0, stale_if_error=True)
    session.clock = lambda: CLOCK
    adapter = requests_mock.Adapter()
    session.mount('mock://', adapter)
    adapter.register_uri('GET', 'mock://api/x', content=b'saved')
    session.get('mock://api/x')
    adapter.register_uri('GET', 'mock://api/x', **failure)
    response = session.get('mock://api/x')
    assert response.content == b'saved'
    assert response.cache_status == CacheStatus(
        fwd=Forward.STALE,
        fwd_status=fwd_status,
        ttl=0,
        key=response.cache_key,
        detail=f'the origin failed; stale-if-error allows the stored response ({error})',
    )


def test_response_hooks_see_the_status_of_a_response_from_the_cache(session, origin):
    """A response hook reads cache_status on a hit; on a response from the origin requests runs
    the hooks before the cache decides, and the returned response has it."""
    seen = []
    session.hooks['response'].append(
        lambda r, **kwargs: seen.append(getattr(r, 'cache_status', None))
    )
    url = origin.url('/hooked')
    miss, hit = session.get(url), session.get(url)
    assert seen == [None, hit.cache_status] and hit.cache_status.hit
    assert miss.cache_status.fwd == 'uri-miss'


def test_the_callers_own_validators(session, origin):
    """A stored response answering the caller's If-None-Match is a hit, handed over as a 304."""
    session.settings.cache_control = True
    url = origin.route('/mine', headers={'ETag': '"m"', 'Cache-Control': 'max-age=60'})
    session.get(url)
    response = session.get(url, headers={'If-None-Match': '"m"'})
    assert origin.count() == 1
    assert (response.status_code, response.cache_status.hit) == (304, True)


def test_redirects_each_hop_and_the_final_response(clocked, origin):
    """Every hop of a redirect chain has its status and so has the final response, fetched or
    served from the stored chain."""
    target = origin.url('/target')
    start = origin.route('/start', status=302, headers={'Location': target})
    fetched = clocked.get(start)
    (hop,) = fetched.history
    assert (hop.cache_status.fwd, hop.cache_status.fwd_status) == ('uri-miss', 302)
    assert hop.cache_status.stored and 'stored with its redirect chain' in hop.cache_status.detail
    assert (fetched.cache_status.fwd, fetched.cache_status.key) == ('uri-miss', fetched.cache_key)
    served = clocked.get(start)
    assert served.from_cache and served.cache_status.hit and served.history[0].cache_status.hit
    assert clocked.get(start, allow_redirects=False).cache_status.hit


def test_coalesced_requests(session, origin):
    """A request that waited for an identical one says collapsed; True when it was served what
    that one stored, False when it then had to go itself."""
    for path, status, expected in (('/shared', 200, True), ('/unstorable', 500, False)):
        gate = threading.Event()
        url = origin.route(path, status=status, gate=gate)
        with ThreadPoolExecutor(2) as pool:
            leader = pool.submit(session.get, url)
            _wait_until(lambda p=path: origin.count(p) == 1)
            follower = pool.submit(session.get, url)
            _wait_until(lambda: in_flight_for(session.cache).waiting == 1)
            gate.set()
            assert leader.result(timeout=30).cache_status.collapsed is None
            status_of_follower = follower.result(timeout=30).cache_status
        assert (status_of_follower.fwd, status_of_follower.collapsed) == ('uri-miss', expected)
        assert status_of_follower.hit is False


def _wait_until(condition, limit: float = 10.0) -> None:
    """Wait on another thread's progress; fail the test (never pass it) when it does not come."""
    done = threading.Event()
    for _ in range(int(limit / 0.005)):
        if condition():
            return
        done.wait(0.005)
    raise AssertionError('timed out')


# --- the header ----------------------------------------------------------------------------------


def test_no_header_unless_asked(session, origin):
    """By default the headers are the origin's: cache_status is an attribute only."""
    url = origin.url('/quiet')
    assert 'Cache-Status' not in session.get(url).headers
    assert 'Cache-Status' not in session.get(url).headers


def test_the_header_follows_the_origins_and_parses(tmp_path, origin):
    """With cache_status_header, our member is appended to the origin's Cache-Status, parses as
    an RFC 8941 list, says what cache_status says, and is never stored."""
    session = CachedSession(str(tmp_path / 'c'), cache_status_header=True)
    url = origin.route('/upstream', headers={'Cache-Status': 'CDN; fwd=uri-miss'})
    for stream in (False, True):
        session.cache.clear()
        for expected in ({'fwd': http_sf.Token('uri-miss'), 'fwd-status': 200}, {'hit': True}):
            response = session.get(url, stream=stream)
            response.content  # noqa: B018 - a streamed body is stored once read
            (cdn, _), (ours, params) = parsed(response.headers['Cache-Status'])
            assert (cdn, ours) == ('CDN', 'requests-cache')
            assert params.items() >= expected.items()
            assert params['key'] == response.cache_status.key
            assert params['detail'] == response.cache_status.detail
        stored = session.cache.get_response(response.cache_key)
        assert stored.headers['Cache-Status'] == 'CDN; fwd=uri-miss'


def test_the_header_is_never_stored_with_a_redirect_chain(tmp_path, origin):
    """A stored redirect chain keeps each hop's headers as the origin sent them, streamed or not:
    the Cache-Status members added for one answer are not replayed on the next."""
    session = CachedSession(str(tmp_path / 'c'), cache_status_header=True)
    target = origin.route('/chain-end', headers={'Cache-Status': 'CDN; hit'})
    start = origin.route('/chain-start', status=302, headers={'Location': target})
    for stream in (False, True):
        session.cache.clear()
        fetched = session.get(start, stream=stream)
        fetched.content  # noqa: B018 - a streamed body is stored once read
        stored = session.cache.get_response(fetched.cache_key)
        assert stored.headers['Cache-Status'] == 'CDN; hit'
        assert 'Cache-Status' not in stored.history[0].headers
        served = session.get(start)
        assert served.history[0].headers['Cache-Status'] == str(served.cache_status)
        assert [name for name, _ in parsed(served.headers['Cache-Status'])] == [
            'CDN',
            'requests-cache',
        ]


def test_the_setting_can_be_changed_on_a_session(session, origin):
    """session.settings.cache_status_header = True applies from the next request on."""
    session.settings.cache_status_header = True
    response = session.get(origin.url('/later'))
    assert response.headers['Cache-Status'] == str(response.cache_status)


# --- the value itself ----------------------------------------------------------------------------


def test_serialization_follows_rfc_9211():
    """Booleans are bare when true and ?0 when false, integers plain, key and detail
    sf-strings; hit and fwd parameters come in RFC order."""
    status = CacheStatus(
        fwd=Forward.STALE, fwd_status=304, ttl=-3, stored=True, collapsed=False, key='k', detail='d'
    )
    assert str(status) == (
        'requests-cache; fwd=stale; fwd-status=304; stored; collapsed=?0; ttl=-3; key="k"; '
        'detail="d"'
    )
    assert str(CacheStatus(hit=True)) == 'requests-cache; hit'
    assert status.fwd == 'stale'  # a str enum: plain strings compare equal


@given(st.text(max_size=40), st.text(max_size=40))
def test_any_key_and_detail_serialize_to_a_valid_field(key, detail):
    """Quotes, backslashes, control and non-ASCII characters in key or detail never make the
    header invalid; printable ASCII comes back unchanged."""
    ((_, params),) = parsed(str(CacheStatus(hit=True, key=key, detail=detail)))
    for name, text in (('key', key), ('detail', detail)):
        readable = ''.join(c if c.isascii() and c.isprintable() else ascii(c)[1:-1] for c in text)
        assert params[name] == readable


def test_forward_reasons_are_rfc_9211_tokens():
    """Every fwd value is one RFC 9211 §2.2 defines."""
    assert {f.value for f in Forward} == {
        'bypass', 'method', 'uri-miss', 'vary-miss', 'miss', 'request', 'stale', 'partial',
    }  # fmt: skip
