"""End-to-end behaviour of CachedSession against the local origin."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta, timezone

import pytest
import requests

import requests_cache
from requests_cache import CachedResponse, CachedSession


def test_second_request_is_served_from_cache(session, origin):
    """The second identical GET is answered from the cache and never reaches the origin."""
    url = origin.url('/page')
    first, second = session.get(url), session.get(url)
    assert (first.from_cache, second.from_cache) == (False, True)
    assert second.content == first.content == b'body of /page'
    assert second.status_code == 200 and second.headers['Content-Length'] == '13'
    assert origin.count('/page') == 1


def test_cached_response_is_a_requests_response_with_cache_attributes(session, origin):
    """Hits are real requests.Response objects carrying key, timestamps and expiry."""
    url = origin.url('/attrs')
    live = session.get(url)
    hit = session.get(url)
    assert isinstance(hit, CachedResponse) and isinstance(hit, requests.Response)
    assert hit.cache_key == live.cache_key and len(hit.cache_key) == 32
    assert hit.expires is None and live.expires is None
    assert abs((hit.created_at - live.created_at).total_seconds()) < 1
    assert hit.is_expired is False and hit.revalidated is False
    assert hit.text == 'body of /attrs'


def test_sqlite_cache_file_is_named_after_cache_name(tmp_path, origin):
    """CachedSession('name') writes name.sqlite, creating missing parent directories."""
    session = CachedSession(str(tmp_path / 'a' / 'b' / 'demo_cache'))
    session.get(origin.url('/file'))
    session.close()
    assert (tmp_path / 'a' / 'b' / 'demo_cache.sqlite').is_file()


def test_second_process_sees_first_process_entries(tmp_path, origin):
    """A new Python process reads what another process stored in the same SQLite file."""
    cache_name = str(tmp_path / 'shared')
    url = origin.url('/shared')
    with CachedSession(cache_name) as session:
        session.get(url)
    code = (
        'import sys, requests_cache\n'
        f'r = requests_cache.CachedSession({cache_name!r}).get({url!r}, only_if_cached=True)\n'
        'print(r.status_code, r.from_cache, r.text)\n'
    )
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ['200', 'True', 'body', 'of', '/shared']
    assert origin.count('/shared') == 1


def test_cache_disabled_goes_to_network_and_stores_nothing(session, origin):
    """Inside cache_disabled(), every request reaches the origin and nothing is written."""
    url = origin.url('/disabled')
    with session.cache_disabled():
        responses = [session.get(url), session.get(url)]
    assert [r.from_cache for r in responses] == [False, False]
    assert origin.count('/disabled') == 2
    assert session.get(url).from_cache is False
    assert session.get(url).from_cache is True


def test_status_codes_outside_allowable_codes_are_not_stored(session, origin):
    """A 404 is not stored with the default allowable_codes."""
    url = origin.route('/missing', status=404)
    session.get(url)
    assert session.get(url).from_cache is False
    assert origin.count('/missing') == 2


def test_allowable_methods_controls_post_caching(tmp_path, origin):
    """POST is cached only when listed, and keyed on its body."""
    session = CachedSession(str(tmp_path / 'c'), allowable_methods=('GET', 'POST'))
    url = origin.url('/post')
    assert session.post(url, data={'a': '1'}).from_cache is False
    assert session.post(url, data={'a': '1'}).from_cache is True
    assert session.post(url, data={'a': '2'}).from_cache is False
    assert origin.count('/post') == 2
    plain = CachedSession(str(tmp_path / 'd'))
    plain.post(url, data={'a': '1'})
    assert plain.post(url, data={'a': '1'}).from_cache is False


def test_filter_fn_false_means_not_stored(tmp_path, origin):
    """A response rejected by filter_fn is returned but never stored."""
    session = CachedSession(str(tmp_path / 'c'), filter_fn=lambda r: b'secret' not in r.content)
    url = origin.route('/filtered', body=b'a secret body')
    session.get(url)
    assert session.get(url).from_cache is False
    assert origin.count('/filtered') == 2


def test_read_only_session_reads_but_never_writes(tmp_path, origin):
    """read_only=True serves existing entries and stores nothing new."""
    name = str(tmp_path / 'c')
    url = origin.url('/ro')
    CachedSession(name).get(url)
    reader = CachedSession(name, read_only=True)
    assert reader.get(url).from_cache is True
    other = origin.url('/ro-new')
    reader.get(other)
    assert reader.get(other).from_cache is False


def test_redirect_chain_is_cached_under_every_hop(session, origin):
    """A redirected request is served from cache, with history, for the first and final URL."""
    final = origin.url('/final')
    start = origin.route('/start', status=301, headers={'Location': final})
    first = session.get(start)
    again = session.get(start)
    assert first.url == final and again.from_cache is True and again.url == final
    assert [h.status_code for h in again.history] == [301]
    assert session.get(final).from_cache is True
    assert origin.count('/start') == 1 and origin.count('/final') == 1


def test_stream_true_hit_supports_iter_content_and_raw_read(session, origin):
    """A cached response read with stream=True gives its body through iter_content and raw."""
    url = origin.route('/stream', body=b'x' * 10000)
    assert session.get(url, stream=True).content == b'x' * 10000
    hit = session.get(url, stream=True)
    assert hit.from_cache is True
    assert b''.join(hit.iter_content(1000)) == b'x' * 10000
    assert session.get(url, stream=True).raw.read() == b'x' * 10000


def test_stream_true_miss_still_gives_the_body_to_the_caller(session, origin):
    """On a miss with stream=True the caller can still read the whole body from raw."""
    url = origin.route('/stream-miss', body=b'y' * 5000)
    miss = session.get(url, stream=True)
    assert miss.raw.read() == b'y' * 5000 or miss.content == b'y' * 5000
    assert session.get(url).content == b'y' * 5000


def test_head_and_get_are_cached_separately(session, origin):
    """HEAD and GET of one URL have different keys; HEAD responses have no body."""
    url = origin.url('/head')
    assert session.head(url).content == b''
    assert session.get(url).from_cache is False
    assert session.head(url).from_cache is True
    assert session.get(url).content == b'body of /head'


def test_unreadable_entry_is_a_logged_miss(session, origin, caplog):
    """A corrupt stored blob is logged, dropped, and replaced from the origin."""
    url = origin.url('/corrupt')
    key = session.get(url).cache_key
    session.cache.responses[key] = b'\x00garbage'
    response = session.get(url)
    assert response.from_cache is False and response.content == b'body of /corrupt'
    assert 'Dropping unreadable cache entry' in caplog.text
    assert session.get(url).from_cache is True


def test_unknown_keyword_argument_names_the_closest_setting(tmp_path):
    """A misspelled setting is a TypeError that suggests the right name."""
    with pytest.raises(TypeError, match="did you mean 'expire_after'"):
        CachedSession(str(tmp_path / 'c'), expire_afer=60)
    with pytest.raises(requests_cache.UnknownSettingError, match='use_tmp'):
        CachedSession(str(tmp_path / 'c'), use_tmp=True)


@pytest.mark.parametrize('value', [-5, float('nan'), True, 'soon', timedelta(-1), object()])
def test_invalid_expire_after_is_rejected_at_construction(tmp_path, value):
    """Bad expire_after values raise ValueError naming the parameter."""
    with pytest.raises(ValueError, match='expire_after'):
        CachedSession(str(tmp_path / 'c'), expire_after=value)


def test_backend_instance_is_used_as_is(origin):
    """A backend instance passed to the session is the session's cache."""
    backend = requests_cache.MemoryCache()
    session = CachedSession(backend=backend)
    session.get(origin.url('/inst'))
    assert session.cache is backend and len(backend.responses) == 1


def test_unknown_backend_name_lists_the_known_ones():
    """An unknown backend name is a ValueError that lists the valid names."""
    with pytest.raises(ValueError, match="'sqlite'"):
        CachedSession(backend='sqlit')


def test_settings_are_per_session_even_with_a_shared_backend(origin):
    """Two sessions on one backend keep their own settings."""
    backend = requests_cache.MemoryCache()
    short = CachedSession(backend=backend, expire_after=1)
    forever = CachedSession(backend=backend)
    assert short.settings.expire_after == timedelta(seconds=1)
    assert forever.settings.expire_after is requests_cache.NEVER_EXPIRE
    short.get(origin.url('/one'))
    assert short.get(origin.url('/one')).expires is not None


def test_settings_assignment_replaces_the_frozen_value(tmp_path):
    """session.settings.x = y validates and swaps in a new settings object."""
    session = CachedSession(str(tmp_path / 'c'))
    before = session._settings
    session.settings.expire_after = 360
    assert session.settings.expire_after == timedelta(seconds=360)
    assert before.expire_after is requests_cache.NEVER_EXPIRE
    with pytest.raises(ValueError):
        session.settings.expire_after = -7


def test_session_close_closes_the_cache_only_with_autoclose(tmp_path, origin):
    """close() closes the backend when autoclose is on, and leaves it open otherwise."""
    backend = requests_cache.SQLiteCache(str(tmp_path / 'c'))
    CachedSession(backend=backend, autoclose=False).close()
    with CachedSession(backend=backend) as session:
        session.get(origin.url('/still-open'))
    assert len(backend.responses) == 1


def test_created_at_is_timezone_aware_utc(session, origin):
    """created_at and expires are aware UTC datetimes."""
    session.settings.expire_after = 60
    response = session.get(origin.url('/tz'))
    assert response.created_at.tzinfo == timezone.utc
    assert response.expires - response.created_at == timedelta(seconds=60)


def test_repr_is_informative(session, origin):
    """repr() of a hit names the status, URL and expiry."""
    url = origin.url('/repr')
    session.get(url)
    text = repr(session.get(url))
    assert '<CachedResponse [200]' in text and url in text and 'expires=never' in text
