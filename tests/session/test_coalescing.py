"""Concurrent identical misses are coalesced: one origin request per key, the others served from
its result; different keys, unstorable answers and timeouts never lose a request."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from requests_cache import CachedSession
from requests_cache.errors import ConfigurationError
from requests_cache.session._coalesce import InFlight, in_flight_for


def _wait_until(condition, what: str, limit: float = 10.0) -> None:
    """Poll ``condition`` until it holds; fail the test (never pass it) when ``limit`` runs out."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f'timed out waiting until {what}')
        time.sleep(0.005)


def _gated_burst(session, origin, url: str, gate: threading.Event, followers: int):
    """Send one request, then ``followers`` identical ones while the first is held at the origin;
    open the gate once all followers wait. Returns every response, the first one first."""
    in_flight = in_flight_for(session.cache)
    with ThreadPoolExecutor(followers + 1) as pool:
        first = pool.submit(session.get, url)
        _wait_until(lambda: origin.count() == 1, 'the first request reached the origin')
        rest = [pool.submit(session.get, url) for _ in range(followers)]
        _wait_until(lambda: in_flight.waiting == followers, 'every follower waits')
        gate.set()
        return [first.result(timeout=30)] + [f.result(timeout=30) for f in rest]


def test_identical_misses_send_one_origin_request(session, origin):
    """Seven requests arriving while an identical one is in flight are served from its result."""
    gate = threading.Event()
    url = origin.route('/coalesced', body=b'one answer', gate=gate)
    responses = _gated_burst(session, origin, url, gate, followers=7)
    assert origin.count('/coalesced') == 1
    assert [r.content for r in responses] == [b'one answer'] * 8
    assert [r.from_cache for r in responses] == [False] + [True] * 7
    assert session.stats.as_dict()['misses'] == 1
    assert session.stats.as_dict()['hits'] == 7


def test_sessions_sharing_a_backend_coalesce_together(tmp_path, origin):
    """Two sessions on one backend object share the in-flight registry."""
    first = CachedSession(str(tmp_path / 'shared'))
    second = CachedSession(backend=first.cache)
    gate = threading.Event()
    url = origin.route('/shared', gate=gate)
    with ThreadPoolExecutor(2) as pool:
        leader = pool.submit(first.get, url)
        _wait_until(lambda: origin.count() == 1, 'the first request reached the origin')
        follower = pool.submit(second.get, url)
        _wait_until(lambda: in_flight_for(first.cache).waiting == 1, 'the follower waits')
        gate.set()
        assert leader.result(timeout=30).from_cache is False
        assert follower.result(timeout=30).from_cache is True
    assert origin.count('/shared') == 1


def test_different_keys_never_wait_for_each_other(session, origin):
    """A request for another URL goes to the origin while the first is still held there."""
    gate = threading.Event()
    slow = origin.route('/slow', gate=gate)
    fast = origin.route('/fast', body=b'fast')
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(session.get, slow)
        _wait_until(lambda: origin.count() == 1, 'the slow request reached the origin')
        assert session.get(fast, timeout=5).content == b'fast'
        assert in_flight_for(session.cache).waiting == 0
        gate.set()
        assert held.result(timeout=30).content == b'body of /slow'
    assert origin.count('/fast') == 1


def test_unstorable_answers_are_fetched_by_each_follower(session, origin):
    """When the leader's answer may not be stored, every follower sends its own request."""
    gate = threading.Event()
    url = origin.route('/error', status=500, gate=gate)
    responses = _gated_burst(session, origin, url, gate, followers=3)
    assert [r.status_code for r in responses] == [500] * 4
    assert not any(r.from_cache for r in responses)
    assert origin.count('/error') == 4


def test_a_failed_leader_does_not_fail_its_followers(session, origin, monkeypatch):
    """If the leader's request raises, followers send their own request and get its answer."""
    gate = threading.Event()
    url = origin.route('/flaky', body=b'recovered', gate=gate)
    real_send = requests.Session.send
    calls = []

    def send_failing_first(self, request, **kwargs):
        calls.append(request.url)
        if len(calls) == 1:
            origin.routes['/flaky'].gate.wait(30)  # hold the leader like the origin would
            raise requests.ConnectionError('origin unreachable')
        return real_send(self, request, **kwargs)

    monkeypatch.setattr(requests.Session, 'send', send_failing_first)
    in_flight = in_flight_for(session.cache)
    with ThreadPoolExecutor(3) as pool:
        leader = pool.submit(session.get, url)
        _wait_until(lambda: len(calls) == 1, 'the leader is sending')
        followers = [pool.submit(session.get, url) for _ in range(2)]
        _wait_until(lambda: in_flight.waiting == 2, 'both followers wait')
        gate.set()
        with pytest.raises(requests.ConnectionError):
            leader.result(timeout=30)
        bodies = [f.result(timeout=30).content for f in followers]
    assert bodies == [b'recovered', b'recovered']


def test_followers_stop_waiting_after_the_timeout(tmp_path, origin):
    """A follower waits at most coalesce_timeout, then sends its own request."""
    session = CachedSession(str(tmp_path / 'c'), coalesce_timeout=0.2)
    gate = threading.Event()
    held = origin.route('/held', gate=gate)
    with ThreadPoolExecutor(1) as pool:
        leader = pool.submit(session.get, held)
        _wait_until(lambda: origin.count() == 1, 'the leader reached the origin')
        origin.routes['/held'].gate = None  # the follower's own request is answered at once
        started = time.monotonic()
        follower = session.get(held)
        waited = time.monotonic() - started
        gate.set()
        leader.result(timeout=30)
    assert follower.from_cache is False
    assert 0.2 <= waited < 5
    assert origin.count('/held') == 2


def test_a_request_timeout_shortens_the_wait(tmp_path, origin):
    """A follower sent with timeout=0.1 waits no longer than that for the leader."""
    session = CachedSession(str(tmp_path / 'c'))  # default coalesce_timeout: 30 s
    gate = threading.Event()
    held = origin.route('/held-short', gate=gate)
    with ThreadPoolExecutor(1) as pool:
        leader = pool.submit(session.get, held)
        _wait_until(lambda: origin.count() == 1, 'the leader reached the origin')
        origin.routes['/held-short'].gate = None
        started = time.monotonic()
        session.get(held, timeout=(0.05, 0.05))
        waited = time.monotonic() - started
        gate.set()
        leader.result(timeout=30)
    assert waited < 5


def test_coalescing_can_be_turned_off(tmp_path, origin):
    """With coalesce_timeout=0, identical requests in flight each reach the origin."""
    session = CachedSession(str(tmp_path / 'c'), coalesce_timeout=0)
    gate = threading.Event()
    url = origin.route('/independent', gate=gate)
    with ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(session.get, url) for _ in range(3)]
        _wait_until(lambda: origin.count() == 3, 'all three requests reached the origin')
        gate.set()
        assert all(f.result(timeout=30).status_code == 200 for f in futures)


def test_forced_refreshes_are_not_coalesced(session, origin):
    """force_refresh always reaches the origin, even with an identical request in flight."""
    gate = threading.Event()
    url = origin.route('/forced', gate=gate)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(session.get, url)
        _wait_until(lambda: origin.count() == 1, 'the first request reached the origin')
        second = pool.submit(session.get, url, force_refresh=True)
        _wait_until(lambda: origin.count() == 2, 'the forced refresh reached the origin')
        gate.set()
        assert first.result(timeout=30).from_cache is False
        assert second.result(timeout=30).from_cache is False


@pytest.mark.parametrize('value', [-1, 'soon', True, float('nan'), None])
def test_invalid_coalesce_timeout_is_rejected(value):
    """coalesce_timeout must be a number of seconds >= 0; anything else names what is allowed."""
    with pytest.raises(ConfigurationError, match=r'coalesce_timeout.*seconds >= 0'):
        CachedSession(backend='memory', coalesce_timeout=value)


def test_a_miss_older_than_a_finished_fetch_looks_again():
    """A request whose lookup predates a finished fetch of its key does not fetch it again."""
    in_flight = InFlight()
    looked_up_at = in_flight.sequence
    with in_flight.lead_or_wait('key', 1.0, since=looked_up_at) as leading:
        assert leading
    with in_flight.lead_or_wait('key', 1.0, since=looked_up_at) as leading:
        assert not leading  # the caller looks the key up again instead
    with in_flight.lead_or_wait('key', 1.0, since=in_flight.sequence) as leading:
        assert leading  # a lookup after that fetch that still missed fetches again
    with in_flight.lead_or_wait('other', 1.0, since=looked_up_at) as leading:
        assert leading  # other keys are unaffected


@pytest.mark.parametrize('backend', ['sqlite', 'filesystem'])
def test_a_miss_that_another_process_filled_before_its_lease_is_served(tmp_path, origin, backend):
    """Across processes: when another process fetches, stores and lets the lease go between a
    request's lookup and its taking the lease, the request is served what was stored."""
    url = origin.route('/filled-meanwhile', headers={'Cache-Control': 'max-age=600'})
    path = str(tmp_path / 'shared')
    ours, theirs = (
        CachedSession(path, backend=backend, coalesce_across_processes=True) for _ in range(2)
    )
    take_lease = ours.cache.lease

    def other_process_first(key, ttl):
        theirs.get(url)  # its own backend object: only the store is shared, as across processes
        return take_lease(key, ttl)

    ours.cache.lease = other_process_first
    response = ours.get(url)
    assert response.content == b'body of /filled-meanwhile'
    assert response.from_cache
    assert origin.count('/filled-meanwhile') == 1
