"""Thread safety of disabling, and the global install_cache() patching."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

import requests_cache
from requests_cache import CachedSession


def _in_thread(fn):
    result = {}
    thread = threading.Thread(target=lambda: result.update(value=fn()))
    thread.start()
    thread.join(10)
    return result['value']


def test_cache_disabled_in_one_thread_does_not_disable_another(session, origin):
    """A cache_disabled() block in one thread leaves caching on for other threads."""
    url = origin.url('/threads')
    session.get(url)
    inside, other_done = threading.Event(), threading.Event()

    def disabled_worker():
        with session.cache_disabled():
            inside.set()
            other_done.wait(10)
            return session.get(url).from_cache

    worker = ThreadPoolExecutor(1).submit(disabled_worker)
    inside.wait(10)
    other = _in_thread(lambda: session.get(url).from_cache)
    other_done.set()
    assert other is True
    assert worker.result(10) is False


def test_module_disabled_is_local_to_the_current_thread(session, origin):
    """requests_cache.disabled() turns caching off here, and not in a thread started meanwhile."""
    url = origin.url('/module-disabled')
    session.get(url)
    with requests_cache.disabled():
        assert session.get(url).from_cache is False
        assert _in_thread(lambda: session.get(url).from_cache) is True
    assert session.get(url).from_cache is True


def test_concurrent_threads_share_one_session_without_errors(session, origin):
    """Eight threads fetching the same and different URLs all get correct bodies."""
    paths = [f'/t{i % 5}' for i in range(80)]
    with ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(lambda p: session.get(origin.url(p)).content, paths))
    assert bodies == [f'body of {p}'.encode() for p in paths]
    assert origin.count() <= 5 * 8


def test_install_cache_caches_plain_requests_calls(tmp_path, origin):
    """After install_cache(), requests.get() is cached; uninstall_cache() restores requests."""
    requests_cache.install_cache(str(tmp_path / 'installed'))
    url = origin.url('/global')
    assert requests_cache.is_installed() is True
    assert requests.get(url).from_cache is False
    assert requests.get(url).from_cache is True
    assert isinstance(requests_cache.get_cache(), requests_cache.SQLiteCache)
    requests_cache.uninstall_cache()
    assert requests_cache.is_installed() is False and requests_cache.get_cache() is None
    assert not hasattr(requests.get(url), 'from_cache')
    assert origin.count('/global') == 2


def test_installed_cache_survives_requests_closing_its_sessions(tmp_path, origin):
    """requests.get() closes its session each call; the shared backend stays usable."""
    requests_cache.install_cache(str(tmp_path / 'installed'), expire_after=60)
    for _ in range(3):
        requests.get(origin.url('/reuse'))
    assert origin.count('/reuse') == 1


def test_clear_and_delete_act_on_the_installed_cache(tmp_path, origin):
    """requests_cache.clear() empties the installed cache; delete() removes by key."""
    requests_cache.install_cache(str(tmp_path / 'installed'))
    key = requests.get(origin.url('/a')).cache_key
    requests.get(origin.url('/b'))
    requests_cache.delete(key)
    assert len(requests_cache.get_cache().responses) == 1
    requests_cache.clear()
    assert len(requests_cache.get_cache().responses) == 0


def test_enabled_installs_for_a_block_and_restores(tmp_path, origin):
    """enabled() caches inside its block and leaves requests as it found it."""
    with requests_cache.enabled(str(tmp_path / 'block')):
        requests.get(origin.url('/block'))
        assert requests.get(origin.url('/block')).from_cache is True
    assert requests_cache.is_installed() is False


def test_install_cache_rejects_bad_settings_immediately(tmp_path):
    """install_cache() validates its settings instead of failing on the first request."""
    with pytest.raises(TypeError, match='expire_after'):
        requests_cache.install_cache(str(tmp_path / 'x'), expire_afterr=5)
    assert requests_cache.is_installed() is False


def test_install_cache_with_custom_session_factory(tmp_path, origin):
    """session_factory lets a CachedSession subclass be installed."""

    class Tagged(CachedSession):
        tagged = True

    requests_cache.install_cache(str(tmp_path / 'f'), session_factory=Tagged)
    assert requests.Session().tagged is True


def test_an_installed_session_pickles_like_a_requests_session(tmp_path, origin):
    """A session made while the cache is installed pickles and unpickles (requests' own test
    suite does this), and the copy keeps its headers and caches through the installed cache."""
    import pickle

    requests_cache.install_cache(str(tmp_path / 'pickled'), backend='memory')
    session = requests.Session()
    session.headers['X-Kept'] = '1'
    session.get(origin.url('/pickled'))
    copy = pickle.loads(pickle.dumps(session))
    assert copy.headers['X-Kept'] == '1'
    assert copy.get(origin.url('/pickled')).from_cache is True
