"""The early hit (answered before requests prepares the request) gives what the full path gives:
the same key, the same answer, the same hooks and the same ``response.request``."""

from __future__ import annotations

import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from requests_cache import CachedSession
from requests_cache import keys as keys_module
from requests_cache.keys import create_key
from requests_cache.session._fast_path import merged_params


class FullPathSession(CachedSession):
    """A session that always prepares first: overriding prepare_request turns the early path off,
    since the early path cannot know what an override would do."""

    def prepare_request(self, request):
        """Prepare exactly as requests does."""
        return super().prepare_request(request)


def _pair(tmp_path):
    """An early-path session and a full-path session on one shared memory backend."""
    early = CachedSession(backend='memory')
    full = FullPathSession(backend=early.cache)
    return early, full


def _same_hit(early_response, full_response):
    """Assert two hits are interchangeable for a caller."""
    assert early_response.from_cache and full_response.from_cache
    assert early_response.cache_key == full_response.cache_key
    assert early_response.content == full_response.content
    assert dict(early_response.headers) == dict(full_response.headers)
    assert early_response.request.method == full_response.request.method
    assert early_response.request.url == full_response.request.url
    assert dict(early_response.request.headers) == dict(full_response.request.headers)
    assert early_response.request.body == full_response.request.body


def test_hits_match_with_session_headers_and_cookies(tmp_path, origin):
    """Session headers, session cookies and per-request headers/cookies: same hit both ways,
    and the stored request shows the cookie only as REDACTED."""
    early, full = _pair(tmp_path)
    for session in (early, full):
        session.headers['X-Team'] = 'cache'
        session.cookies.set('sid', 'abc')
    url = origin.url('/early/headers')
    kwargs = {'headers': {'Accept': 'text/plain'}, 'cookies': {'theme': 'dark'}}
    early.get(url, **kwargs)
    assert origin.seen[-1].headers['Cookie'] == 'sid=abc; theme=dark'
    _same_hit(early.get(url, **kwargs), full.get(url, **kwargs))
    assert early.get(url, **kwargs).request.headers['Cookie'] == 'REDACTED'
    assert origin.count() == 1


def test_hits_match_with_session_and_request_params(tmp_path, origin):
    """Session params merge under request params (None drops one): same URL, key and hit."""
    early, full = _pair(tmp_path)
    for session in (early, full):
        session.params = {'page': '2', 'lang': 'en'}
    url = origin.url('/early/params')
    params = {'q': ['a', 'b'], 'lang': None, 'n': 3}
    early.get(url, params=params)
    assert origin.seen[-1].path == '/early/params?page=2&q=a&q=b&n=3'
    _same_hit(early.get(url, params=params), full.get(url, params=params))
    assert origin.count() == 1


def test_auth_takes_the_full_path_and_still_hits(tmp_path, origin):
    """Auth (which may rewrite anything in the request) is left to the full path: same hit."""
    early, full = _pair(tmp_path)
    url = origin.url('/early/auth')
    early.get(url, auth=('user', 'pass'))
    assert origin.seen[-1].headers['Authorization'].startswith('Basic ')
    _same_hit(early.get(url, auth=('user', 'pass')), full.get(url, auth=('user', 'pass')))
    early.auth = ('user', 'pass')
    assert early.get(url).request.headers['Authorization'] == 'REDACTED'
    assert origin.count() == 1


def test_session_hooks_run_once_per_hit_on_both_paths(tmp_path, origin):
    """Session response hooks run once on every hit, early or not, and see the request."""
    early, full = _pair(tmp_path)
    seen = []
    for session in (early, full):
        session.hooks['response'].append(
            lambda r, **kw: seen.append((getattr(r, 'from_cache', False), r.request.url))
        )
    url = origin.url('/early/hooks')
    early.get(url)
    early.get(url)
    full.get(url)
    assert seen == [(False, url), (True, url), (True, url)]


def test_env_proxies_never_matter_for_a_hit(tmp_path, origin, monkeypatch):
    """A proxy in the environment is not consulted for hits on either path."""
    early, full = _pair(tmp_path)
    url = origin.url('/early/proxy')
    early.get(url)
    monkeypatch.delenv('NO_PROXY')
    monkeypatch.setenv('HTTP_PROXY', 'http://127.0.0.1:9')  # nothing listens there
    _same_hit(early.get(url), full.get(url))


def test_redirect_aliases_hit_early(tmp_path, origin):
    """A URL that redirected is answered early from its alias, like the full path does."""
    early, full = _pair(tmp_path)
    target = origin.url('/early/target')
    start = origin.route('/early/start', status=302, headers={'Location': target})
    early.get(start)
    _same_hit(early.get(start), full.get(start))
    assert origin.count() == 2


def test_send_looks_a_miss_up_once(tmp_path, origin, monkeypatch):
    """send() reads the store once for a miss; only the fast path's own probe adds one read."""
    session = CachedSession(backend='memory')
    reads = []
    real_get = session.cache.get_response
    monkeypatch.setattr(session.cache, 'get_response', lambda *a: reads.append(a) or real_get(*a))
    url = origin.url('/early/miss')
    session.send(session.prepare_request(requests.Request('GET', url)))
    assert len(reads) == 1
    session.cache.clear()
    reads.clear()
    session.get(url)  # a known URL: the fast path probes, then send() looks up once
    assert len(reads) == 2


def test_request_is_prepared_only_when_read(tmp_path, origin, monkeypatch):
    """A fast hit does not prepare its request unless the caller reads ``response.request``."""
    session = CachedSession(backend='memory')
    url = origin.url('/early/lazy')
    session.get(url)
    prepared = []
    real_prepare = requests.Session.prepare_request
    monkeypatch.setattr(
        requests.Session,
        'prepare_request',
        lambda self, request: prepared.append(request.url) or real_prepare(self, request),
    )
    response = session.get(url)
    assert response.from_cache and prepared == []
    assert response.request.url == url
    assert prepared == [url]


_names = st.text(st.characters(codec='utf-8', exclude_characters='\x00'), min_size=1, max_size=8)
_scalars = st.one_of(_names, st.integers(-5, 5), st.floats(-2, 2), st.booleans(), st.none())
_values = st.one_of(_scalars, st.lists(st.one_of(_names, st.integers(0, 3)), max_size=3))
_param_dicts = st.dictionaries(_names, _values, max_size=4)
_paths = st.text(st.characters(codec='utf-8', exclude_characters='\x00#'), max_size=12)
_hosts = st.sampled_from(['127.0.0.1', 'example.com', 'bücher.example', 'EXAMPLE.com:8080'])


@settings(max_examples=300, deadline=None)
@given(host=_hosts, path=_paths, query=_param_dicts, session_params=_param_dicts)
def test_the_remembered_inputs_decide_the_prepared_url(host, path, query, session_params):
    """Any two calls with the same URL and merged parameters get the same prepared URL from
    requests, so remembering it under those inputs is exact."""
    session = requests.Session()
    session.params = session_params
    url = f'http://{host}/{path}'
    inputs = merged_params(session_params, query)
    assert inputs is not None
    other = requests.Session()  # the same merged parameters, arrived at another way
    try:
        prepared = session.prepare_request(requests.Request('GET', url, params=query)).url
    except (requests.exceptions.InvalidURL, UnicodeError):
        return
    assert merged_params({}, dict(inputs)) == inputs
    assert other.prepare_request(requests.Request('GET', url, params=dict(inputs))).url == prepared


def test_equal_but_different_values_are_remembered_apart(origin):
    """1, 1.0 and True are equal as dict keys but encode differently: each gets its own URL."""
    session = CachedSession(backend='memory')
    url = origin.url('/early/typed')
    for value, query in ((1, 'n=1'), (1.0, 'n=1.0'), (True, 'n=True')):
        session.get(url, params={'n': value})
        response = session.get(url, params={'n': value})
        assert response.from_cache and response.request.url.endswith(query)
    assert [seen.path for seen in origin.seen] == [
        '/early/typed?n=1',
        '/early/typed?n=1.0',
        '/early/typed?n=True',
    ]


def test_early_keys_equal_the_prepared_ones(origin):
    """An early hit carries the same cache key as the response the full path stored."""
    session = CachedSession(backend='memory')
    url = origin.url('/early/key')
    stored = session.get(url, params={'b': '2', 'a': '1'})
    early = session.get(url, params={'b': '2', 'a': '1'})
    prepared = session.prepare_request(requests.Request('GET', url, params={'b': '2', 'a': '1'}))
    assert early.from_cache and early.cache_key == stored.cache_key == create_key(prepared)


def test_a_miss_builds_its_key_once(origin, monkeypatch):
    """send() reuses the key request() built for the same unchanged prepared request."""
    session = CachedSession(backend='memory')
    built = []
    real_build = keys_module.build_key
    monkeypatch.setattr(keys_module, 'build_key', lambda *a: built.append(a[1]) or real_build(*a))
    session.get(origin.url('/early/one-key'))
    assert len(built) == 1


class RedirectingSession(CachedSession):
    """A session whose send() points every request somewhere else before sending it."""

    def send(self, request, **kwargs):
        """Change the URL, then send as usual."""
        request.url = request.url.replace('/before', '/after')
        return super().send(request, **kwargs)


def test_a_request_changed_after_its_lookup_is_looked_up_again(origin):
    """A send() override that changes the request gets the lookup and key of what it sends."""
    plain = CachedSession(backend='memory')
    plain.get(origin.url('/after'))  # stored under the URL actually sent
    session = RedirectingSession(backend=plain.cache)
    response = session.get(origin.url('/before'))
    assert response.from_cache and response.cache_key == plain.get(origin.url('/after')).cache_key
    assert origin.count() == 1


def test_session_credentials_set_after_a_fast_hit_are_looked_up_with(origin):
    """The fast path remembers that the session's headers and cookies were fine; a credential
    added to either afterwards still keeps the next request off the anonymous entry, and
    removing it makes that entry a hit again."""
    url = origin.url('/remembered-session')
    session = CachedSession(backend='memory')
    session.get(url)
    assert session.get(url).from_cache  # the fast path answered, and remembered the session
    for add, remove in (
        (
            lambda: session.headers.update({'Authorization': 'Bearer x'}),
            lambda: session.headers.pop('Authorization'),
        ),
        (lambda: session.cookies.set('sid', 'abc'), session.cookies.clear),
    ):
        add()
        assert not session.get(url).from_cache  # another user: not served the anonymous entry
        assert session.get(url).from_cache  # ... but its own entry from now on
        remove()
        assert session.get(url).from_cache
    assert origin.count('/remembered-session') == 3
