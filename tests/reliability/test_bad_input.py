"""Bad input: invalid settings, odd URLs, unusual headers and hostile custom keys."""

from __future__ import annotations

import math
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import requests_cache
from requests_cache.errors import ConfigurationError
from requests_cache.policy.expiration import DO_NOT_CACHE

# --- expire_after --------------------------------------------------------------------------------
_invalid_expire_after = st.one_of(
    st.integers(max_value=-2),
    st.integers(min_value=10**12),  # valid only while it fits a timedelta: see the filter
    st.floats(max_value=-1e-9, allow_nan=False).filter(lambda v: v != -1.0),
    st.sampled_from([math.nan, math.inf, -math.inf]),
    st.timedeltas(max_value=timedelta(microseconds=-1)),
    st.booleans(),
    st.text(max_size=5),
    st.binary(max_size=5),
    st.lists(st.integers(), max_size=2),
    st.just(object()),
).filter(lambda v: not _valid_large_int(v))


def _valid_large_int(value: object) -> bool:
    """Large positive ints are valid while they fit in a timedelta."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return False
    if value == DO_NOT_CACHE:  # the 1.x sentinel integer is a valid value (Hypothesis found it)
        return True
    try:
        timedelta(seconds=value)
    except OverflowError:
        return False
    return True


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(value=_invalid_expire_after)
def test_invalid_expire_after_is_rejected_at_construction(value):
    """Any invalid expire_after raises ConfigurationError (a ValueError) in the constructor."""
    with pytest.raises(ConfigurationError):
        requests_cache.CachedSession('m', backend='memory', expire_after=value)


def test_invalid_expire_after_figures(figures):
    """The checked kinds of invalid expire_after are recorded, and valid edges still construct."""
    valid = [None, -1, 0, 1.5, 10**9, timedelta(0), datetime(2030, 1, 1, tzinfo=timezone.utc)]
    errors = 0
    for value in valid:
        try:
            requests_cache.CachedSession('m', backend='memory', expire_after=value).close()
        except Exception:
            errors += 1
    figures.record('bad_input_expire_after', hypothesis_examples=150, valid_edges_rejected=errors)
    assert errors == 0


# --- odd URLs: a differential test against plain requests ----------------------------------------
def _odd_urls(base: str) -> list[str]:
    host = base[len('http://') :]
    return [
        base + '/plain',
        base + '/with space',
        base + '/caf\u00e9/\u65e5\u672c',
        base + '/pct%2Fencoded%20path%zz',
        base + '/q?b=2&a=1&a=0',
        base + '/q?',
        base + '/q?&&=&x',
        base + '/frag#section',
        base + '//double//slashes',
        base + '/dots/../up/./here',
        base + '/long?' + 'k=' + 'v' * 6000,
        base.upper() + '/UPPER',
        f'http://{host}/q?emoji=\U0001f600',
        f'http://user:pw@{host}/userinfo',
        base + '/semi;param=1',
        'http://',
        'http:///nohost',
        'ftp://127.0.0.1/file',
        'not a url',
        '',
        'http://127.0.0.1:99999/badport',
        'http://127.0.0.1:1/refused',
        'http://[::1/unclosed',
        'http://127.0.0.1:abc/',
        base + '/\x00nul',
        base + '/crlf\r\nX-Injected: 1',
    ]


def _outcome(session: requests.Session, url: str) -> tuple:
    try:
        response = session.get(url, timeout=5)
    except Exception as exc:
        return ('exception', type(exc).__name__)
    return ('response', response.status_code, response.content)


@pytest.mark.parametrize('backend', ['memory', 'sqlite'])
def test_odd_urls_behave_as_with_plain_requests(backend, origin, make_session, figures):
    """Odd and invalid URLs give the same exception type or status and body as plain requests."""
    cached = make_session(backend)
    plain = requests.Session()
    mismatches, stray_rows, failed = [], 0, 0
    for url in _odd_urls(origin.base_url):
        expected = _outcome(plain, url)
        rows_before = len(cached.cache.responses)
        first = _outcome(cached, url)
        second = _outcome(cached, url)  # from the cache when the first was stored
        if first != expected or second != expected:
            mismatches.append((url[:60], expected[:2], first[:2], second[:2]))
        if expected[0] == 'exception':
            failed += 1
            stray_rows += len(cached.cache.responses) - rows_before
    plain.close()
    figures.record(
        f'bad_input_odd_urls_{backend}',
        urls=len(_odd_urls(origin.base_url)),
        failed_requests=failed,
        mismatches=len(mismatches),
        stray_rows=stray_rows,
        first_mismatch=repr(mismatches[0]) if mismatches else None,
    )
    assert mismatches == []
    assert stray_rows == 0


# --- unusual headers --------------------------------------------------------------------------
class _DuplicateHeaders(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = b'dup'
        self.send_response(200)
        for name, value in [
            ('Set-Cookie', 'a=1; Path=/'),
            ('Set-Cookie', 'b=2; Path=/'),
            ('X-Dup', 'one'),
            ('X-Dup', 'two'),
            ('X-Latin', 'na\xefve caf\xe9'),
            ('X-Dup', 'three'),
        ]:
            self.send_header(name, value)  # http.server encodes header values as latin-1
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def duplicate_header_server():
    """A tiny 127.0.0.1 server that repeats header names and sends latin-1 values."""
    server = ThreadingHTTPServer(('127.0.0.1', 0), _DuplicateHeaders)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{server.server_address[1]}'
    server.shutdown()
    server.server_close()


def _header_bytes(response: requests.Response) -> list[tuple[bytes, bytes]]:
    return [
        (name.encode('latin-1'), value.encode('latin-1'))
        for name, value in response.raw.headers.items()
        # Set-Cookie is never stored, by design (store_set_cookie=False): see test_secrets.
        if name.lower() not in ('date', 'server', 'age', 'set-cookie')
    ]


def test_latin1_and_duplicate_headers_round_trip_sqlite(
    origin, duplicate_header_server, make_session, figures
):
    """Latin-1 and repeated response headers come back byte-exact from SQLite after a reopen."""
    session = make_session('sqlite')
    latin_url = origin.route('/latin', headers={'X-Latin': 'caf\xe9'})
    dup_url = duplicate_header_server + '/dup'
    network = {url: session.get(url) for url in (latin_url, dup_url)}
    session.close()
    reopened = make_session('sqlite')
    differences = []
    for url, live in network.items():
        cached = reopened.get(url)
        if not cached.from_cache:
            differences.append(f'{url}: not served from the cache')
        if _header_bytes(cached) != _header_bytes(live):
            differences.append(f'{url}: {_header_bytes(live)} != {_header_bytes(cached)}')
        if cached.headers.get('X-Dup') != live.headers.get('X-Dup'):
            differences.append(f'{url}: joined X-Dup differs')
    latin_value = reopened.get(latin_url).headers['X-Latin'].encode('latin-1')
    figures.record(
        'bad_input_header_round_trip_sqlite',
        responses=len(network),
        differences=len(differences),
        first_difference=differences[0] if differences else None,
    )
    assert differences == []
    assert latin_value == b'caf\xe9'
    assert reopened.get(dup_url).raw.headers.getlist('X-Dup') == ['one', 'two', 'three']
    assert 'Set-Cookie' not in reopened.get(dup_url).headers


# --- hostile custom keys ----------------------------------------------------------------------
_MIB = 1024 * 1024
HOSTILE_KEYS = {
    'parent': '../..',
    'deep_parent': '../../../../../../etc/passwd',
    'absolute': '/tmp/owned',
    'backslashes': '..\\..\\windows',
    'quotes': '\'"; DROP TABLE responses; --',
    'nul_a': 'a\x00b',
    'nul_b': 'a\x00c',
    'empty': '',
    'spaces': '   ',
    'glob': 'rc-reliability:responses:*',
    'reserved': 'CON',
    'mib_a': 'k' * _MIB + 'a',
    'mib_b': 'k' * _MIB + 'b',
}


@pytest.mark.parametrize('backend', ['sqlite', 'filesystem', 'redis'])
def test_hostile_custom_keys(backend, origin, make_session, tmp_path, figures):
    """Hostile key_fn keys stay inside the cache and never serve another key's response."""

    def key_fn(request, **kwargs):
        return HOSTILE_KEYS[request.url.rsplit('/', 1)[1]]

    session = make_session(backend, key_fn=key_fn)
    # A traversal would land in tmp_path or its parent (the keys are relative to cache/x/y/).
    siblings_before = set(tmp_path.parent.iterdir())
    errors, cross_hits, misses = [], 0, 0
    for name in HOSTILE_KEYS:
        try:
            session.get(origin.url(f'/hostile/{name}'))
        except Exception as exc:
            errors.append(f'{name}: {exc!r}')
    for name in HOSTILE_KEYS:
        try:
            response = session.get(origin.url(f'/hostile/{name}'))
        except Exception as exc:
            errors.append(f'{name}: {exc!r}')
            continue
        cross_hits += response.content != f'body of /hostile/{name}'.encode()
        misses += not response.from_cache
    cache_dir = tmp_path / 'cache'
    outside = [
        p
        for p in tmp_path.rglob('*')
        if p.is_file() and cache_dir not in p.parents and not p.name.startswith('cache.sqlite')
    ]
    outside += sorted(set(tmp_path.parent.iterdir()) - siblings_before)
    figures.record(
        f'bad_input_hostile_keys_{backend}',
        keys=len(HOSTILE_KEYS),
        errors=len(errors),
        files_outside_cache=len(outside),
        cross_key_hits=cross_hits,
        misses_on_second_fetch=misses,
        first_error=errors[0][:200] if errors else None,
    )
    assert errors == []
    assert outside == []
    assert cross_hits == 0
    assert misses == 0
    assert Path('/tmp/owned').exists() is False


@pytest.mark.parametrize(
    'backend',
    [
        'sqlite',
        'filesystem',
        'redis',
    ],
)
def test_surrogate_custom_key(backend, origin, make_session, figures):
    """A key_fn key with a lone surrogate (e.g. from os.fsdecode) is stored and served back."""
    session = make_session(backend, key_fn=lambda request, **kwargs: 'lone \udcff surrogate')
    outcome = 'ok'
    try:
        first = session.get(origin.url('/surrogate'))
        second = session.get(origin.url('/surrogate'))
        outcome = 'ok' if (not first.from_cache and second.from_cache) else 'not cached'
    except Exception as exc:
        outcome = type(exc).__name__
    figures.record(f'bad_input_surrogate_key_{backend}', outcome=outcome)
    assert outcome == 'ok'
