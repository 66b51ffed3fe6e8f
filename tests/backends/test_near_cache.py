"""The near-cache on its own: fills, invalidations that race with them, bounds, expiry, silence.

No Redis here: a test plays the tracker. The Redis-backed behaviour is in test_redis_near.py.
"""

from __future__ import annotations

import pytest

from requests_cache.backends.near_cache import ENTRY_OVERHEAD, Near, NearCache


class Clock:
    """A settable monotonic clock."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    """A clock the test moves by hand."""
    return Clock()


@pytest.fixture
def near(clock):
    """An enabled near-cache of 10 kB on the test clock."""
    cache = NearCache(10_000, silence_limit=1.0, clock=clock)
    cache.enable()
    return cache


def fill(near, key, value, ttl=None):
    """Read ``key`` through the near-cache as a storage does, the store answering ``value``."""
    ticket = near.begin(key)
    assert ticket is not None
    near.complete(ticket, value, ttl)


def test_a_fill_is_served_until_invalidated(near):
    """A value read through is served from memory until its key is invalidated."""
    assert near.get(b'k') is Near.UNKNOWN
    fill(near, b'k', b'v1')
    assert near.get(b'k') == b'v1' and near.hits == 1
    near.invalidate([b'k'])
    assert near.get(b'k') is Near.UNKNOWN


def test_absence_is_kept_too(near):
    """A key the store does not have is remembered as absent, until it is invalidated."""
    fill(near, b'k', None)
    assert near.get(b'k') is Near.ABSENT
    near.invalidate([b'k'])
    assert near.get(b'k') is Near.UNKNOWN


def test_invalidation_during_a_fill_drops_its_answer(near):
    """An invalidation that arrives between the read and its answer keeps the old answer out."""
    ticket = near.begin(b'k')
    near.invalidate([b'k'])  # someone wrote k after our GET was answered, before we kept it
    near.complete(ticket, b'old', None)
    assert near.get(b'k') is Near.UNKNOWN


def test_invalidation_of_another_key_does_not_drop_a_fill(near):
    """Only an invalidation of the key being read drops its answer."""
    ticket = near.begin(b'k')
    near.invalidate([b'other'])
    near.complete(ticket, b'v', None)
    assert near.get(b'k') == b'v'


def test_disable_empties_and_drops_fills_in_flight(near):
    """Losing tracking empties the near-cache, refuses new fills, and drops answers in flight."""
    fill(near, b'a', b'1')
    ticket = near.begin(b'b')
    near.disable('connection lost')
    assert near.get(b'a') is Near.UNKNOWN and len(near) == 0 and near.size == 0
    assert near.begin(b'c') is None
    near.complete(ticket, b'2', None)
    near.enable()  # tracking back: the answer read while it was down must still not be kept
    assert near.get(b'b') is Near.UNKNOWN


def test_flush_empties_but_stays_enabled(near):
    """A flushed database empties the near-cache, which then fills again."""
    fill(near, b'a', b'1')
    near.flush()
    assert near.get(b'a') is Near.UNKNOWN
    fill(near, b'a', b'2')
    assert near.get(b'a') == b'2'


def test_entries_expire_at_the_store_deadline(near, clock):
    """An entry read with a time to live is not served once it has run out."""
    ticket = near.begin(b'k')
    clock.now += 0.5  # the read took half a second: the deadline counts from its start
    near.complete(ticket, b'v', 2.0)
    clock.now += 1.4
    near.heard()  # tracking is alive all along
    assert near.get(b'k') == b'v'
    clock.now += 0.2
    assert near.get(b'k') is Near.UNKNOWN and len(near) == 0


def test_silence_stops_serving(near, clock):
    """Without a message or heartbeat for longer than silence_limit, nothing is served."""
    fill(near, b'k', b'v')
    clock.now += 1.5
    assert near.get(b'k') is Near.UNKNOWN and not near.enabled
    assert near.begin(b'x') is None
    near.heard()
    assert near.get(b'k') == b'v'


def test_size_bound_evicts_least_recently_used(clock):
    """The byte bound holds; the least recently read entries go first."""
    value = b'x' * 1000
    entry = len(b'k0') + len(value) + ENTRY_OVERHEAD
    near = NearCache(entry * 5, clock=clock)
    near.enable()
    for i in range(5):
        fill(near, f'k{i}'.encode(), value)
    assert near.get(b'k0') == value  # k0 is now the most recently used
    fill(near, b'k5', value)
    assert near.size <= entry * 5 and len(near) == 5
    assert near.get(b'k1') is Near.UNKNOWN and near.get(b'k0') == value


def test_values_larger_than_a_quarter_are_not_kept(clock):
    """A value that would take over a quarter of the near-cache is read but not kept."""
    near = NearCache(4000, clock=clock)
    near.enable()
    fill(near, b'big', b'x' * 1000)
    assert near.get(b'big') is Near.UNKNOWN
    fill(near, b'small', b'x' * 100)
    assert near.get(b'small') == b'x' * 100


def test_abandoned_fill_leaves_nothing_pending(near):
    """A read that failed is forgotten: a later fill of the same key is kept as usual."""
    near.abandon(near.begin(b'k'))
    fill(near, b'k', b'v')
    assert near.get(b'k') == b'v' and near._pending == {}


def test_begin_while_disabled_revives_the_tracker(clock):
    """A read while disabled asks the tracker to start (after fork() it is not running)."""
    near = NearCache(1000, clock=clock)
    calls = []
    near.revive = lambda: calls.append(1)
    assert near.begin(b'k') is None and calls == [1]
