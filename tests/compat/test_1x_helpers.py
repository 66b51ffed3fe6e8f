"""The requests-cache 1.x helpers kept at their 1.x paths do what 1.x code expects of them."""

from __future__ import annotations

import logging
import pickle
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

import requests_cache
from requests_cache import (
    BACKEND_CLASSES,
    CachedResponse,
    CachedSession,
    MemoryCache,
    OriginalResponse,
    SQLiteDict,
    get_expiration_datetime,
    get_expiration_seconds,
    get_url_expiration,
    set_request_headers,
)
from requests_cache._utils import get_placeholder_class
from requests_cache.backends.filesystem import FileDict, LRUFileDict
from requests_cache.cache_keys import (
    filter_sort_json,
    get_matched_headers,
    normalize_body,
    normalize_headers,
    normalize_params,
    normalize_request,
)
from requests_cache.models.base import RichMixin
from requests_cache.models.response import BaseResponse, format_file_size
from requests_cache.policy.actions import CacheActions
from requests_cache.policy.settings import CacheSettings
from requests_cache.serializers.cattrs import CattrStage, init_converter
from requests_cache.serializers.preconf import (
    bson_serializer,
    dict_serializer,
    make_stage,
    orjson_serializer,
    safe_pickle_serializer,
    ujson_serializer,
    yaml_preconf_stage,
)

NOW = datetime(2030, 1, 1, 12, tzinfo=timezone.utc)


# --- policy helpers ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ('value', 'expected'),
    [
        (60, NOW + timedelta(seconds=60)),
        (timedelta(hours=1), NOW + timedelta(hours=1)),
        (-1, None),
        (None, None),
        (0, NOW),
        ('0', NOW),  # an Expires header holding a number: already expired
        ('Fri, 16 Apr 2021 21:13:00 GMT', datetime(2021, 4, 16, 21, 13, tzinfo=timezone.utc)),
        (datetime(2031, 1, 1), datetime(2031, 1, 1, tzinfo=timezone.utc)),
    ],
)
def test_get_expiration_datetime(value: object, expected: object) -> None:
    """1.x's get_expiration_datetime turns every expiration form into an absolute UTC time."""
    assert get_expiration_datetime(value, start_time=NOW) == expected


def test_get_expiration_seconds_and_url_expiration() -> None:
    """Seconds until expiry (-1 for never), and the first matching urls_expire_after pattern."""
    assert get_expiration_seconds(-1) == -1
    assert 59 <= get_expiration_seconds(60) <= 60
    rules = {'example.com/static': 3600, '*': 60}
    assert get_url_expiration('https://example.com/static/a.png', rules) == 3600
    assert get_url_expiration('https://other.org/', rules) == 60
    with pytest.raises(ValueError, match='HTTP date'):
        get_expiration_datetime('tomorrow')


def test_set_request_headers_in_standard_terms() -> None:
    """Per-request options become standard Cache-Control directives; existing ones are kept."""
    headers = set_request_headers({'Cache-Control': 'private'}, 60, True, False, False)
    assert headers == {'Cache-Control': 'max-age=60, only-if-cached, private'}
    assert set_request_headers(None, None, False, True, False) == {'Cache-Control': 'no-cache'}
    from requests_cache import DO_NOT_CACHE

    assert set_request_headers({}, DO_NOT_CACHE, False, False, False) == {
        'Cache-Control': 'no-store'
    }


def test_cache_actions_answers_with_the_policy() -> None:
    """CacheActions (1.x) turns our decisions into its flags: fetch, serve, revalidate, 504."""
    request = requests.Request('GET', 'https://example.com/a').prepare()
    actions = CacheActions.from_request('k', request, CacheSettings())
    actions.update_from_cached_response(None)
    assert actions.send_request and not actions.error_504
    stale = CachedResponse(
        status_code=200,
        headers={'ETag': '"v1"'},
        expires=datetime.now(timezone.utc) - timedelta(1),
        url='https://example.com/a',
    )
    actions = CacheActions.from_request('k', request, CacheSettings())
    actions.update_from_cached_response(stale)
    assert actions.resend_request
    assert actions.update_request(request.copy()).headers['If-None-Match'] == '"v1"'
    only_cached = requests.Request('GET', request.url, headers={'Cache-Control': 'only-if-cached'})
    settings = CacheSettings.from_kwargs(cache_control=True)
    actions = CacheActions.from_request('k', only_cached.prepare(), settings)
    actions.update_from_cached_response(None)
    assert actions.error_504


def test_cache_actions_skip_write_follows_may_store() -> None:
    """update_from_response sets skip_write for what may not be stored (status, method)."""
    response = requests.Response()
    response.status_code, response.url = 404, 'https://example.com/a'
    response.request = requests.Request('GET', response.url).prepare()
    actions = CacheActions.from_request('k', response.request, CacheSettings())
    actions.update_from_response(response)
    assert actions.skip_write
    response.status_code = 200
    actions = CacheActions.from_request('k', response.request, CacheSettings())
    actions.update_from_response(response)
    assert not actions.skip_write


# --- keys --------------------------------------------------------------------------------------
def test_1x_normalizers_redact_ignored_values() -> None:
    """1.x's normalize_* helpers sort, and replace ignored values with REDACTED (not remove)."""
    request = requests.Request(
        'POST',
        'HTTPS://Example.com/a?b=2&api_key=s&a=1',
        json={'z': 1, 'api_key': 'x'},
        headers={'Accept': 'B, a', 'X-API-Key': 'k'},
    )
    normalized = normalize_request(request, ['api_key', 'X-API-Key'])
    assert normalized.url == 'https://example.com/a?a=1&api_key=REDACTED&b=2'
    assert normalized.body == b'{"api_key": "REDACTED", "z": 1}'
    assert normalized.headers['Accept'] == 'a, b' and normalized.headers['X-API-Key'] == 'REDACTED'
    assert normalize_params('b=1&a&c=2') == 'b=1&c=2&a'
    assert normalize_headers({'X': b'1'}) == {'X': '1'}
    assert filter_sort_json(['b', 'a', 'drop'], ['drop']) == ['a', 'b']
    assert get_matched_headers({'Accept': 'x', 'Other': 'y'}, ['accept', 'Accept']) == ['accept=x']


def test_normalize_body_fixes_the_multipart_boundary() -> None:
    """Two identical multipart requests normalize to the same body."""
    files = {'f': ('a.txt', b'data')}
    one = requests.Request('POST', 'https://example.com/u', files=files).prepare()
    two = requests.Request('POST', 'https://example.com/u', files=files).prepare()
    assert one.body != two.body
    assert normalize_body(one, None) == normalize_body(two, None)


# --- models ------------------------------------------------------------------------------------
def test_original_response_is_any_fetched_response(tmp_path: Path) -> None:
    """isinstance(r, OriginalResponse) holds for responses from the network, not from the cache."""
    live = requests.Response()
    OriginalResponse.wrap_response(live)
    assert isinstance(live, OriginalResponse) and isinstance(live, BaseResponse)
    cached = CachedResponse(status_code=200)
    assert not isinstance(cached, OriginalResponse) and isinstance(cached, BaseResponse)
    assert not isinstance(requests.Response(), BaseResponse)  # no cache attributes
    assert OriginalResponse().from_cache is False


@pytest.mark.parametrize(
    ('size', 'text'),
    [(0, '0 bytes'), (512, '512 bytes'), (1536, '1.50 KiB'), (5 * 1024**3, '5.00 GiB')],
)
def test_format_file_size(size: int, text: str) -> None:
    """format_file_size (1.x) prints sizes for people."""
    assert format_file_size(size) == text


def test_rich_mixin_leaves_defaults_out() -> None:
    """A dataclass mixing in RichMixin prints only the fields that differ from their defaults."""

    @dataclass(repr=False)
    class Point(RichMixin):
        x: int = 0
        when: datetime = NOW

    assert repr(Point(x=3)) == 'Point(x=3)'
    assert ('when', str(NOW), str(NOW)) in list(Point().__rich_repr__())


# --- backends ----------------------------------------------------------------------------------
def test_register_a_custom_backend_by_name() -> None:
    """As with 1.x's dict, a custom backend class can be registered under a name and used."""

    class MyCache(MemoryCache):
        """A backend of the user's."""

    BACKEND_CLASSES['mine'] = MyCache
    try:
        assert isinstance(CachedSession(backend='mine').cache, MyCache)
    finally:
        del BACKEND_CLASSES['mine']
    assert BACKEND_CLASSES['sqlite'].__name__ == 'SQLiteCache'


def test_placeholder_class_raises_its_import_error() -> None:
    """1.x's placeholder for a missing dependency raises the ImportError when used."""
    placeholder = get_placeholder_class(ImportError('no driver'))
    with pytest.raises(ImportError, match='no driver'):
        placeholder()


@dataclass
class Thing:
    """A value 1.x storages pickled."""

    name: str


def test_sqlite_dict_stores_as_1x_did(tmp_path: Path) -> None:
    """SQLiteDict (1.x): text as is, responses serialized (with their key), other objects only
    with serializer='pickle'."""
    table = SQLiteDict(tmp_path / 'db', 'table_1')
    table['text'] = 'value'
    table['response'] = CachedResponse(status_code=200, url='https://example.com/')
    assert table['text'] == 'value' and table['response'].cache_key == 'response'
    assert sorted(table) == ['response', 'text'] and len(table) == 2
    with pytest.raises(Exception):  # noqa: B017 - SQLite refuses a plain object: no silent pickle
        table['thing'] = Thing('a')
    pickled = SQLiteDict(tmp_path / 'db', 'table_2', serializer='pickle')
    pickled['thing'] = Thing('a')
    assert pickled['thing'] == Thing('a')
    assert table.db_path == tmp_path / 'db.sqlite' and table.size() > 0
    table.vacuum()


def test_file_dicts(tmp_path: Path) -> None:
    """FileDict and LRUFileDict (1.x) store values as files; the LRU one stays within its bytes."""
    files = FileDict(tmp_path / 'f')
    files['k'] = 'v'
    assert files['k'] == 'v' and files.paths()
    bounded = LRUFileDict(tmp_path / 'lru', max_cache_bytes=3000, block_bytes=1)
    for i in range(10):
        bounded[f'k{i}'] = 'x' * 500
    assert bounded.size() <= 3000 and 0 < len(bounded) < 10


# --- serializers -------------------------------------------------------------------------------
def test_preconf_serializers_round_trip() -> None:
    """1.x's preconfigured serializers store and read back a response."""
    response = CachedResponse(status_code=200, url='https://example.com/', content=b'\xff\x00hi')
    for pipeline in (dict_serializer, ujson_serializer, orjson_serializer, bson_serializer):
        assert pipeline.loads(pipeline.dumps(response)).content == b'\xff\x00hi', pipeline.name
    signed = safe_pickle_serializer(secret_key='k')
    assert signed.loads(signed.dumps(response, 'key'), 'key').content == b'\xff\x00hi'
    assert make_stage('cattr.preconf.json') is yaml_preconf_stage


def test_cattr_stage_converts_on_its_own() -> None:
    """CattrStage used alone turns a response into a dict of plain values and back."""
    stage = CattrStage()
    response = CachedResponse(status_code=200, url='https://example.com/', content=b'x')
    data = stage.dumps(response)
    assert isinstance(data, dict) and stage.loads(data).content == b'x'
    converter = init_converter()
    assert converter.structure(converter.unstructure(response), CachedResponse).url == response.url


def test_1x_values_view_skips_undecodable_entries(caplog: pytest.LogCaptureFixture) -> None:
    """responses.values() decodes each entry; one that cannot be decoded is skipped and logged."""
    cache = MemoryCache()
    cache.save_response(CachedResponse(status_code=200, url='https://example.com/'), 'good')
    cache.responses['bad'] = b'garbage'
    with caplog.at_level(logging.INFO):
        assert [r.cache_key for r in cache.responses.values()] == ['good']
        assert [k for k, _ in cache.responses.items()] == ['good']
    assert 'bad' in caplog.text
    assert cache.responses['good'] == cache.responses.get('good')  # item access: the blob
    assert pickle.loads(pickle.dumps(cache.serializer.tag)) == cache.serializer.tag


@pytest.mark.parametrize('serializer', ['bson_document', 'dynamodb_document', 'json_document'])
def test_document_formats_on_filecache(tmp_path: Path, serializer: str) -> None:
    """Document formats, which hold bytes and Decimals, round-trip through FileCache files
    (writing them raised TypeError before, failing the request)."""
    cache = requests_cache.FileCache(tmp_path / 'files', serializer=serializer)
    response = CachedResponse(status_code=200, url='https://example.com/', content=b'\xff\x00')
    assert cache.save_response(response, 'k')
    assert cache.get_response('k').content == b'\xff\x00'
