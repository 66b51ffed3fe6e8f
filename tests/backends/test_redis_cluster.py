"""The Redis backend on a real three-master Redis Cluster: the contracts, one slot per entry,
namespace-wide operations on every master, bounded caches, leases and keys of the old layout."""

from __future__ import annotations

import pytest
from base_storage_test import BaseCacheTest, BaseStorageTest, make_response

from requests_cache import CachedSession
from requests_cache.backends.redis import RedisCache, RedisStorage
from requests_cache.backends.redis_keys import SlotPolicy

redis = pytest.importorskip('redis')

# Touches every key it is given: the server refuses it with CROSSSLOT unless they share a slot.
_TOUCH_ALL = "for i = 1, #KEYS do redis.call('EXISTS', KEYS[i]) end return #KEYS"


class TestClusterStorage(BaseStorageTest):
    """The storage contract on a cluster, keys spread over the masters."""

    @pytest.fixture
    def storage_factory(self, cluster_client):
        """A storage on the caller's cluster client."""
        return lambda: RedisStorage(cluster_client, 'rc-cluster', 'responses')


class TestClusterCache(BaseCacheTest):
    """The cache contract on a cluster client the cache makes from a URL."""

    @pytest.fixture
    def cache_factory(self, redis_cluster):
        """A cache made with cluster=True."""
        return lambda **kwargs: RedisCache(
            'rc-cluster-cache', url=redis_cluster.url, cluster=True, **kwargs
        )


class TestClonedClusterCache(BaseCacheTest):
    """The cache contract on a clone of a RedisCluster client the caller passes."""

    @pytest.fixture
    def cache_factory(self, cluster_client):
        """A cache given the caller's client."""
        return lambda **kwargs: RedisCache('rc-cluster-cloned', connection=cluster_client, **kwargs)


class TestBoundedClusterCache(BaseCacheTest):
    """The cache contract on a bounded cache: one slot for the namespace, eviction scripts work."""

    @pytest.fixture
    def cache_factory(self, cluster_client):
        """A cache with limits too high to evict in the contract tests."""
        return lambda **kwargs: RedisCache(
            'rc-cluster-bounded', connection=cluster_client, max_entries=10_000, **kwargs
        )


def keys_per_master(client, pattern):
    """How many keys matching ``pattern`` each master holds."""
    return {
        node.name: sum(1 for _ in client.get_redis_connection(node).scan_iter(match=pattern))
        for node in client.get_primaries()
    }


def test_entries_spread_over_every_master_and_namespace_operations_reach_them(cluster_client):
    """Entries land on all three masters; listing, counting and clear() cover every master."""
    cache = RedisCache('rc-spread', connection=cluster_client)
    cache.clear()
    assert cache.layout.policy is SlotPolicy.PER_ENTRY
    for i in range(60):
        cache.save_response(make_response(f'k{i}'), f'k{i}')
    per_master = keys_per_master(cluster_client, 'rc-spread:responses:*')
    assert len(per_master) == 3 and all(count > 5 for count in per_master.values())
    assert len(cache.responses) == 60
    assert sorted(cache.responses) == sorted(f'k{i}' for i in range(60))
    cache.delete('k0', 'k1', 'k2')
    assert len(cache.responses) == 57
    cache.clear()
    assert sum(keys_per_master(cluster_client, 'rc-spread:*').values()) == 0
    cache.close()


def test_the_keys_of_one_entry_share_a_slot(cluster_client):
    """An entry's response, its redirect alias and its lease are in one slot: one script can
    touch them all (the server refuses a script whose keys span slots)."""
    cache = RedisCache('rc-slots', connection=cluster_client)
    key = 'a8f3c0d1e2'
    cache.save_response(make_response(key), key)
    cache.save_redirect(key, 'another')
    assert cache.lease(key).try_acquire()
    keys = [cache.responses._key(key), cache.redirects._key(key), cache.layout.key('lease', key)]
    assert len({cluster_client.keyslot(k) for k in keys}) == 1
    # Straight to the master that owns them, so the server (not redis-py) judges the slots.
    node = cluster_client.get_node_from_key(keys[0]).redis_connection
    assert node.eval(_TOUCH_ALL, len(keys), *keys) == 3
    other = next(  # another entry on the same master, in another slot
        k
        for k in (cache.responses._key(f'k{i}') for i in range(1000))
        if cluster_client.keyslot(k) != cluster_client.keyslot(keys[0])
        and cluster_client.get_node_from_key(k).name
        == cluster_client.get_node_from_key(keys[0]).name
    )
    with pytest.raises(redis.ResponseError, match='same slot'):  # CROSSSLOT
        node.eval(_TOUCH_ALL, 2, keys[0], other)  # what the hash tag prevents
    cache.clear()
    cache.close()


def test_bounded_cache_evicts_on_a_cluster(cluster_client):
    """max_entries holds on a cluster: the namespace is one slot, so the eviction script runs."""
    cache = RedisCache('rc-cluster-lru', connection=cluster_client, max_entries=10)
    cache.clear()
    assert cache.layout.policy is SlotPolicy.NAMESPACE
    for i in range(30):
        cache.save_response(make_response(f'k{i}'), f'k{i}')
    assert 0 < len(cache.responses) <= 10
    assert cache.get_response('k29') is not None and cache.stats.evictions > 0
    cache.clear()
    cache.close()


def test_leases_on_a_cluster(cluster_client):
    """Leases work on a cluster: one holder, released only by its own token."""
    cache = RedisCache('rc-cluster-lease', connection=cluster_client)
    first, second = cache.lease('k'), cache.lease('k')
    assert first.try_acquire() and not second.try_acquire()
    assert first.release() and second.try_acquire() and second.release()
    cache.close()


def test_keys_of_the_earlier_layout_are_clean_misses(cluster_client):
    """Entries the previous release wrote on a cluster (keys without a hash tag) are misses,
    never errors; listing skips them and clear() deletes them."""
    cache = RedisCache('rc-cluster-old', connection=cluster_client)
    cache.clear()
    blob = cache.serializer.dumps(make_response('old'), 'old')
    cluster_client.set('rc-cluster-old:responses:old', blob)
    cluster_client.set('rc-cluster-old:redirects:alias', b'old')
    assert cache.get_response('old') is None and cache.get_response('alias') is None
    assert list(cache.responses) == [] and not cache.contains('old')
    cache.clear()
    assert cluster_client.exists('rc-cluster-old:responses:old') == 0
    cache.close()


def test_session_on_a_cluster(redis_cluster, origin):
    """End to end: a CachedSession on a cluster URL stores and serves, with redirects."""
    session = CachedSession(
        'rc-cluster-session', backend='redis', url=redis_cluster.url, cluster=True
    )
    session.cache.clear()
    target = origin.route('/target', headers={'Cache-Control': 'max-age=60'})
    url = origin.route('/start', status=302, headers={'Location': target})
    assert not session.get(url).from_cache
    second = session.get(url)
    assert second.from_cache and second.content == b'body of /target'
    assert origin.count('/target') == 1
    session.cache.clear()
    session.close()
