"""Behaviours requests-cache 1.x code relies on, each exercised the way 1.x code does it.

Gaps that belong to the request path of `CachedSession` are ``xfail(strict=True)`` with the reason,
so the marker must go once they are closed.
"""

from __future__ import annotations

import gzip
import logging
import pickle
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from origin import Origin

import requests_cache
from requests_cache import (
    DEFAULT_IGNORED_PARAMS,
    CachedResponse,
    CachedSession,
    FileCache,
    SerializerPipeline,
    SQLiteCache,
    Stage,
    create_key,
    json_serializer,
    pickle_serializer,
    utf8_encoder,
)
from requests_cache._session_1x import wrap_session
from requests_cache.policy.actions import allowed_method
from requests_cache.serializers.checksums import TRAILER


# --- constructor and backend arguments ---------------------------------------------------------
def test_backend_takes_the_session_arguments_1x_code_passes_it(origin: Origin) -> None:
    """1.x code gives a backend the session's arguments too: both accept them, the session uses
    them (the backend ignores settings, which are the session's)."""
    kwargs = {'expire_after': 60, 'allowable_methods': ['GET', 'POST'], 'serializer': 'json'}
    backend = SQLiteCache('c', use_temp=False, **kwargs)
    with CachedSession(backend=backend, **kwargs) as session:
        session.post(origin.url('/p'), data=b'x')
        response = session.post(origin.url('/p'), data=b'x')
    assert response.from_cache and response.expires - response.created_at == timedelta(seconds=60)
    assert backend.serializer.name == 'json'


def test_a_different_serializer_for_a_backend_instance_is_refused() -> None:
    """A serializer that differs from the backend instance's would be ignored: an error says so."""
    with pytest.raises(ValueError, match='configure the backend instance'):
        CachedSession(backend=SQLiteCache('c', serializer='json'), serializer='pickle')


def test_decode_content_fast_save_and_use_temp(tmp_path: Path, origin: Origin) -> None:
    """decode_content and fast_save (SQLite) are accepted; use_temp puts the file in /tmp."""
    with CachedSession('rc-temp-test', decode_content=False, fast_save=True, use_temp=True) as s:
        s.get(origin.url('/a'))
        assert s.get(origin.url('/a')).from_cache
        assert s.cache.connections.synchronous == 'OFF'
        assert str(s.cache.db_path).startswith(str(Path(__import__('tempfile').gettempdir())))
        assert s.cache.serializer.decode_content is False
        Path(s.cache.db_path).unlink()


def test_filecache_1x_size_arguments_bound_the_cache(tmp_path: Path, origin: Origin) -> None:
    """FileCache(max_cache_bytes=..., block_bytes=..., lock=...) bounds the files' total size."""
    origin.route('/big', body=b'x' * 2000)
    cache = FileCache(
        tmp_path / 'files', max_cache_bytes=9000, block_bytes=4096, lock=threading.RLock()
    )
    with CachedSession(backend=cache) as session:
        for i in range(10):
            session.get(origin.url(f'/big?i={i}'))
    assert sum(path.stat().st_size for path in cache.paths()) <= 9000
    assert 0 < len(cache.paths()) < 10


@pytest.mark.parametrize(
    ('serializer', 'suffix'), [('json', '.json'), ('yaml', '.yaml'), ('pickle', '.pkl')]
)
def test_filecache_file_extension_follows_the_serializer(
    tmp_path: Path, origin: Origin, serializer: str, suffix: str
) -> None:
    """As in 1.x, FileCache response files are named after their format (.json, .yaml, .pkl)."""
    with CachedSession(str(tmp_path / 'c'), backend='filesystem', serializer=serializer) as session:
        session.get(origin.url('/a'))
        assert session.get(origin.url('/a')).from_cache
        assert [path.suffix for path in session.cache.paths()] == [suffix]


def test_pickle_module_as_serializer(origin: Origin) -> None:
    """`serializer=pickle` (any object with dumps/loads, as 1.x accepted) stores and reads back."""
    with CachedSession(backend='memory', serializer=pickle) as session:
        session.get(origin.url('/a'))
        assert session.get(origin.url('/a')).content == session.get(origin.url('/a')).content
        assert session.get(origin.url('/a')).from_cache
        assert not session.cache.serializer.safe


def test_custom_pipeline_without_name(origin: Origin) -> None:
    """1.x's compression recipe: a pipeline of 1.x stages, without name=, works end to end."""
    compressed = SerializerPipeline(
        [json_serializer, utf8_encoder, Stage(dumps=gzip.compress, loads=gzip.decompress)],
        is_binary=True,
    )
    with CachedSession(backend='memory', serializer=compressed) as session:
        session.get(origin.url('/a'))
        cached = session.get(origin.url('/a'))
    assert cached.from_cache and cached.content == b'body of /a'
    blob = session.cache.responses[cached.cache_key]
    # The tag, the stages' output, then our checksum trailer.
    assert b'body of /a' in gzip.decompress(blob[len(compressed.tag) : -TRAILER.size])


def test_1x_stage_forms() -> None:
    """Stage(pickle), Stage(obj, dumps='name', loads='name') and pipelines of pipelines all work."""
    yaml = pytest.importorskip('yaml')
    pipeline = SerializerPipeline(
        [Stage(yaml, dumps='safe_dump', loads='safe_load')], name='my_yaml', is_binary=False
    )
    response = CachedResponse(status_code=200, url='https://example.com/', content=b'hi')
    assert pipeline.loads(pipeline.dumps(response)).content == b'hi'
    nested = SerializerPipeline(
        [pickle_serializer, Stage(dumps=gzip.compress, loads=gzip.decompress)]
    )
    assert nested.loads(nested.dumps(response)).url == 'https://example.com/' and not nested.safe


def test_allowable_methods_as_a_bare_string(origin: Origin) -> None:
    """allowable_methods='POST' (1.x accepted one method as a string) caches that method only."""
    with CachedSession(backend='memory', allowable_methods='POST') as session:
        assert session.settings.allowable_methods == ('POST',)
        session.post(origin.url('/p'), data=b'x')
        assert session.post(origin.url('/p'), data=b'x').from_cache
        session.get(origin.url('/g'))
        assert not session.get(origin.url('/g')).from_cache


# --- settings ----------------------------------------------------------------------------------
def test_settings_read_back_what_was_given() -> None:
    """settings.expire_after reads back the user's value, and the default reads as -1."""
    assert CachedSession(backend='memory', expire_after=60).settings.expire_after == 60
    assert CachedSession(backend='memory').settings.expire_after == -1
    session = CachedSession(backend='memory')
    session.settings.expire_after = 11
    assert session.settings.expire_after == 11 and 'expire_after=11' in repr(session.settings)


def test_settings_autoclose_is_settable() -> None:
    """1.x: session.settings.autoclose = False keeps the cache open when the session closes."""
    session = CachedSession(backend='memory')
    session.settings.autoclose = False
    session.close()
    assert session.settings.autoclose is False


def test_naive_datetimes_are_utc(origin: Origin) -> None:
    """Naive datetimes, which 1.x accepted, are UTC: for expire_after and for expires."""
    when = datetime.utcnow().replace(microsecond=0) + timedelta(hours=1)
    with CachedSession(backend='memory', expire_after=when) as session:
        assert session.get(origin.url('/a')).expires == when.replace(tzinfo=timezone.utc)
    response = CachedResponse(status_code=200, expires=when)
    assert response.expires == when.replace(tzinfo=timezone.utc) and not response.is_expired


# --- keys and the cache object -----------------------------------------------------------------
def test_unprepared_requests_and_verify(origin: Origin) -> None:
    """create_key, contains(request=...) and delete(requests=[...]) take requests.Request and
    verify=, as in 1.x."""
    with CachedSession(backend='memory') as session:
        response = session.get(origin.url('/a'), verify=False)
        request = requests.Request('GET', origin.url('/a'))
        assert create_key(request, verify=False) == response.cache_key
        assert session.cache.create_key(request, verify=False) == response.cache_key
        assert session.cache.contains(request=request, verify=False)
        assert not session.cache.contains(request=request)
        session.cache.delete(requests=[request], verify=False)
        assert not session.cache.contains(request=request, verify=False)


def test_count_bulk_commit_and_sorted(origin: Origin) -> None:
    """cache.count(), responses.count(), responses.bulk_commit() and cache.sorted() (1.x)."""
    with CachedSession(backend='sqlite', use_memory=True) as session:
        with session.cache.responses.bulk_commit():
            for path in ('/a', '/bb', '/ccc'):
                session.get(origin.url(path), expire_after=60 if path != '/a' else -1)
        assert session.cache.count() == session.cache.responses.count() == 3
        ordered = [r.url for r in session.cache.sorted(key='expires')]
        assert ordered[0] == origin.url('/a')  # never expires: first, as in 1.x


def test_recreate_keys_with_the_sessions_key_fn(origin: Origin) -> None:
    """1.x: after session.settings.key_fn changes, cache.recreate_keys() uses the new key_fn."""
    with CachedSession(backend='memory') as session:
        session.get(origin.url('/a?page=1'))
        session.settings.key_fn = lambda request, **_: request.url.split('?')[0]
        session.cache.recreate_keys()
        assert list(session.cache.responses) == [origin.url('/a')]


def test_wrap_session_keeps_the_original_sessions_state() -> None:
    """CachedSession.wrap(session, ...) (1.x) keeps auth, headers, cookies and verify."""
    original = requests.Session()
    original.auth = ('user', 'pass')
    original.headers['X-Token'] = 'abc'
    original.verify = False
    session = wrap_session(CachedSession, original, backend='memory', expire_after=60)
    assert isinstance(session, CachedSession) and session.settings.expire_after == 60
    assert (session.auth, session.headers['X-Token'], session.verify) == (
        ('user', 'pass'),
        'abc',
        False,
    )


def test_cached_session_wrap() -> None:
    """1.x: CachedSession.wrap exists."""
    assert CachedSession.wrap(requests.Session(), backend='memory').cache is not None


# --- responses ---------------------------------------------------------------------------------
def test_cached_response_keyword_construction() -> None:
    """CachedResponse(status_code=..., content=..., headers=..., expires=...) as in 1.x."""
    expires = datetime.now(timezone.utc) + timedelta(seconds=90)
    response = CachedResponse(
        status_code=200,
        url='https://example.com/x',
        headers={'Content-Type': 'text/plain'},
        content=b'hello',
        expires=expires,
        request=requests.Request('GET', 'https://example.com/x'),
    )
    assert (response.text, response.headers['Content-Type']) == ('hello', 'text/plain')
    assert 85 <= response.expires_delta <= 90
    assert response.expires_unix == round(expires.timestamp())
    assert response.raw.read() == b'hello' and response.request.method == 'GET'
    with pytest.raises(TypeError, match='unexpected keyword'):
        CachedResponse(status=200)


def test_reset_expiration() -> None:
    """response.reset_expiration(60) (1.x) gives a new expiry counted from now."""
    response = CachedResponse(status_code=200, expires=datetime.now(timezone.utc) - timedelta(1))
    assert response.is_expired
    assert response.reset_expiration(60) is False
    assert 55 <= response.expires_delta <= 60


def test_cached_redirect_has_next(origin: Origin) -> None:
    """A cached redirect fetched with allow_redirects=False has .next, as a live one does."""
    origin.route('/r', status=302, headers={'Location': '/target'})
    with CachedSession(backend='memory', allowable_codes=[200, 302]) as session:
        live = session.get(origin.url('/r'), allow_redirects=False)
        cached = session.get(origin.url('/r'), allow_redirects=False)
    assert cached.from_cache
    assert cached.next.url == live.next.url == origin.url('/target')


def test_save_response_keeps_edited_headers(origin: Origin) -> None:
    """Headers edited before save_response() are the ones stored (live and cached responses)."""
    with CachedSession(backend='memory') as session:
        live = requests.get(origin.url('/a'))
        live.headers = {'X-Edited': 'yes'}
        session.cache.save_response(live)
        stored = session.cache.get_response(create_key(live.request))
        assert dict(stored.headers) == {'X-Edited': 'yes'}
        stored.headers['X-Again'] = '1'
        session.cache.save_response(stored)
        assert session.cache.get_response(stored.cache_key).headers['X-Again'] == '1'


def test_identical_multipart_uploads_share_a_key(origin: Origin) -> None:
    """Two identical files= POSTs hit: the random multipart boundary is not part of the key."""
    with CachedSession(backend='memory', allowable_methods=['POST']) as session:
        files = {'file': ('a.txt', b'content')}
        session.post(origin.url('/upload'), files=files)
        assert session.post(origin.url('/upload'), files=files).from_cache
        assert not session.post(
            origin.url('/upload'), files={'file': ('a.txt', b'other')}
        ).from_cache
    assert origin.count('/upload') == 2


def test_method_override_headers_decide_as_in_1x() -> None:
    """A POST whose X-HTTP-Method-Override names an allowed method is cacheable (1.x rule)."""
    allowed = ('GET', 'HEAD')
    assert allowed_method('POST', {'X-HTTP-Method-Override': 'GET'}, allowed)
    assert allowed_method('POST', {'x-method-override': 'head'}, allowed)
    assert not allowed_method('POST', {'X-HTTP-Method-Override': 'DELETE'}, allowed)
    assert not allowed_method('POST', {}, allowed)


def test_method_override_post_is_cached(origin: Origin) -> None:
    """1.x: POST with X-HTTP-Method-Override: GET is cached under the default allowable_methods."""
    with CachedSession(backend='memory') as session:
        headers = {'X-HTTP-Method-Override': 'GET'}
        session.post(origin.url('/q'), data=b'{}', headers=headers)
        assert session.post(origin.url('/q'), data=b'{}', headers=headers).from_cache


def test_default_ignored_params_are_the_session_default() -> None:
    """DEFAULT_IGNORED_PARAMS (1.x name) is what a session ignores by default, Cookie included."""
    assert CachedSession(backend='memory').settings.ignored_parameters == DEFAULT_IGNORED_PARAMS
    assert 'Cookie' in DEFAULT_IGNORED_PARAMS
    assert requests_cache.AUTH_HEADERS + requests_cache.AUTH_PARAMS == DEFAULT_IGNORED_PARAMS


def test_first_failed_write_is_an_error_with_the_fix(
    tmp_path: Path, origin: Origin, caplog: pytest.LogCaptureFixture
) -> None:
    """A store whose writes fail says so once at ERROR, with the reason and the fix; stats count
    every failure, and strict=True raises."""
    cache = SQLiteCache(tmp_path / 'c')
    with cache.connections.write() as connection:  # a database that refuses every insert
        connection.execute(
            'CREATE TRIGGER refuse BEFORE INSERT ON responses '
            "BEGIN SELECT RAISE(ABORT, 'disk is full'); END"
        )
    with caplog.at_level(logging.WARNING), CachedSession(backend=cache) as session:
        for _ in range(3):
            assert session.get(origin.url('/a')).status_code == 200
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and 'free some disk space' in errors[0].getMessage()
    assert cache.stats.write_errors == 3
    strict = SQLiteCache(tmp_path / 'c', strict=True)
    with pytest.raises(requests_cache.StorageError, match='disk is full'):
        strict.save_response(CachedResponse(status_code=200, url=origin.url('/a')), 'k')
