"""Differential test: the fast path of request() is invisible to callers.

Hypothesis builds random sessions and random sequences of calls, and runs each sequence through
two sessions with the same settings: a plain `CachedSession` (which answers fresh hits before
preparing when it can) and one whose ``prepare_request`` override turns the fast path off. Every
answer must be the same for everything a caller can observe: status, body, headers, cache
attributes, ``cache_status`` (of the response and of each hop), history, ``response.request``,
the arguments response hooks receive, statistics, the DEBUG log, and the requests the origin
saw.
"""

from __future__ import annotations

import itertools
import logging
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from requests_cache import CachedSession
from requests_cache.session import _mixin
from requests_cache.session._fast_path import steps_aside

CLOCK = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)
_prefixes = itertools.count()


class FullPathSession(CachedSession):
    """Always prepares first: a prepare_request override turns the fast path off."""

    def prepare_request(self, request):
        """Prepare exactly as requests does."""
        return super().prepare_request(request)


ROUTES = {
    'plain': {},
    'fresh': {'headers': {'Cache-Control': 'max-age=600', 'ETag': '"v1"'}},
    'vary': {'headers': {'Cache-Control': 'max-age=600', 'Vary': 'Accept-Language'}},
    'nocache': {'headers': {'Cache-Control': 'no-cache', 'ETag': '"v2"'}},
    'redirect': {'status': 302},
}

SESSION_CHANGES = {
    'add-auth': lambda s: s.headers.update({'Authorization': 'Bearer m'}),
    'drop-auth': lambda s: s.headers.pop('Authorization', None),
    'language': lambda s: s.headers.update({'Accept-Language': 'de'}),
    'other-header': lambda s: s.headers.update({'X-Other': '2'}),
    'set-cookie': lambda s: s.cookies.set('m', '1'),
    'clear-cookies': lambda s: s.cookies.clear(),
}

session_configs = st.fixed_dictionaries(
    {
        'cache_control': st.booleans(),
        'match_headers': st.sampled_from([False, ['Accept-Language']]),
        'expire_after': st.sampled_from([-1, 0, 600]),
        'headers': st.sampled_from(
            [
                {},
                {'Accept-Language': 'en'},
                {'Authorization': 'Bearer s'},
                {'Pragma': 'no-cache'},
                {'X-API-Key': 'k2'},
            ]
        ),
        'params': st.sampled_from([{}, {'s': '1'}]),
        'cookie': st.booleans(),
        'hook': st.booleans(),
        'trust_env': st.booleans(),
        'cache_status_header': st.booleans(),
    }
)
calls = st.fixed_dictionaries(
    {
        'route': st.sampled_from(sorted(ROUTES)),
        'method': st.sampled_from(['GET', 'get', 'HEAD']),
        'params': st.sampled_from([None, {'q': 'a'}, {'q': ['a', 'b'], 'n': 1}, {'s': None}]),
        'headers': st.sampled_from(
            [
                None,
                {'Accept-Language': 'fr'},
                {'authorization': 'Bearer t'},
                {'Cache-Control': 'max-age=0'},
                {'If-None-Match': '"v1"'},
                {'X-Other': '1'},
                {'X-API-Key': 'k1'},
            ]
        ),
        'allow_redirects': st.booleans(),
        'stream': st.sampled_from([None, True]),
        'verify': st.sampled_from([None, False]),
        'timeout': st.sampled_from([None, 5]),
        'cookies': st.sampled_from([None, {'c': '1'}]),
        'options': st.sampled_from([{}, {'only_if_cached': True}, {'refresh': True}]),
    }
)


PLAIN_CONFIG = {
    'cache_control': False,
    'match_headers': False,
    'expire_after': 600,
    'headers': {},
    'params': {},
    'cookie': False,
    'hook': False,
    'trust_env': False,
    'cache_status_header': False,
}
PLAIN_CALL = {
    'route': 'fresh',
    'method': 'GET',
    'params': None,
    'headers': None,
    'allow_redirects': True,
    'stream': None,
    'verify': None,
    'timeout': None,
    'cookies': None,
    'options': {},
}
_CHANGES_AUTH = [None, None, 'add-auth', 'drop-auth']
_CHANGES_COOKIE = [None, None, 'set-cookie', 'clear-cookies']


class Side:
    """One of the two sessions, with its own routes on the origin and what it observed."""

    def __init__(self, cls, origin, config, prefix):
        """Build the session; its routes live under ``prefix``."""
        self.prefix = prefix
        self.base = origin.url(prefix)
        names = ('cache_control', 'match_headers', 'expire_after', 'cache_status_header')
        settings_kwargs = {k: config[k] for k in names}
        self.session = cls(backend='memory', **settings_kwargs)
        # One salt for both sides, so keys of requests with credentials compare equal too.
        self.session.cache.__dict__['_credential_salt'] = b'differential-test-salt'
        self.session.clock = lambda: CLOCK
        self.session.trust_env = config['trust_env']
        self.session.headers.update(config['headers'])
        self.session.params = dict(config['params'])
        if config['cookie']:
            self.session.cookies.set('sid', 'abc')
        self.hook_calls = []
        if config['hook']:
            self.session.hooks['response'].append(self._hook)

    def _hook(self, response, **kwargs):
        self.hook_calls.append((self.neutral(response.url), getattr(response, 'from_cache', None)))
        self.hook_calls.append(sorted((k, repr(v)) for k, v in kwargs.items()))

    def neutral(self, text):
        """Text as observed (a hook for normalizing, should URLs ever differ)."""
        return str(text)

    def call(self, call, records, change=None):
        """Make one call, after ``change`` to the session; return everything a caller can
        observe about it."""
        del records[:]
        if change is not None:
            SESSION_CHANGES[change](self.session)
        kwargs = {
            k: call[k]
            for k in ('params', 'headers', 'allow_redirects', 'stream', 'verify', 'timeout')
        }
        kwargs['cookies'] = call['cookies']
        try:
            response = self.session.request(
                call['method'], f'{self.base}/{call["route"]}', **kwargs, **call['options']
            )
        except Exception as exc:  # both sides must fail alike
            return ('raised', type(exc).__name__)
        request = response.request
        observed = (
            response.status_code,
            response.content,
            # Date (and the Age computed from it) come from the origin's clock: the two sides'
            # requests may be a second apart.
            sorted(
                (k, '?' if k == 'Age' else v) for k, v in response.headers.items() if k != 'Date'
            ),
            getattr(response, 'from_cache', None),
            getattr(response, 'cache_key', None),
            getattr(response, 'revalidated', None),
            response.cache_status,
            self.neutral(response.url),
            [(h.status_code, self.neutral(h.url), h.cache_status) for h in response.history],
            (request.method, self.neutral(request.url), _comparable(request.headers)),
            request.body,
            self.neutral(getattr(response.next, 'url', None)),
            list(self.hook_calls),
            self.session.stats.as_dict(),
            self.session.stats.totals(),
            [self.neutral(line) for line in records],
        )
        self.hook_calls.clear()
        return observed


def _comparable(headers):
    # If-Modified-Since may be the stored Date, from the origin's clock (see Date above).
    return sorted((k, '?' if k == 'If-Modified-Since' else v) for k, v in headers.items())


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        if record.name.startswith(('requests_cache.session', 'requests_cache.policy')):
            self.lines.append(record.getMessage())


def test_the_fast_path_is_invisible(origin, monkeypatch):
    """Random sessions and calls: the fast path and the full path answer identically, and the
    fast path really answered some of them."""
    fast_answers = []
    real_fast_hit = _mixin.fast_hit

    def counting_fast_hit(*args, **kwargs):
        response = real_fast_hit(*args, **kwargs)
        fast_answers.append(response is not None)
        return response

    monkeypatch.setattr(_mixin, 'fast_hit', counting_fast_hit)
    handler = _Records()
    logger = logging.getLogger('requests_cache')
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        _run_examples(origin, handler)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    assert any(fast_answers), 'the fast path never answered: the test compared nothing'
    assert not all(fast_answers)


def _run_examples(origin, handler):
    @settings(
        max_examples=200,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        config=session_configs,
        pool=st.lists(calls, min_size=1, max_size=3),
        order=st.lists(st.integers(0, 2), min_size=2, max_size=8),
        # A change to the session before some calls: what the fast path remembers about the
        # session's headers and cookies must follow it.
        changes=st.lists(st.sampled_from([None, None, *SESSION_CHANGES]), max_size=8),
    )
    # Pinned: a hit, then a credential added to the session, then the same call (the fast path
    # remembers the session's headers and cookies; random examples reach this rarely).
    @example(config=PLAIN_CONFIG, pool=[PLAIN_CALL], order=[0, 0, 0, 0], changes=_CHANGES_AUTH)
    @example(config=PLAIN_CONFIG, pool=[PLAIN_CALL], order=[0, 0, 0, 0], changes=_CHANGES_COOKIE)
    def run(config, pool, order, changes):
        # Calls drawn from a small pool, so the same call comes back and can be a hit.
        sequence = [pool[i % len(pool)] for i in order]
        changes = [*changes, *[None] * len(sequence)][: len(sequence)]
        prefix = f'/d{next(_prefixes)}'
        for name, route in ROUTES.items():
            route = dict(route)
            if name == 'redirect':
                route['headers'] = {'Location': origin.url(f'{prefix}/plain')}
            origin.route(f'{prefix}/{name}', **route)
        observed = []
        for cls in (CachedSession, FullPathSession):  # the same calls, one session after the other
            side = Side(cls, origin, config, prefix)
            try:
                seen_before = len(origin.seen)
                answers = [
                    side.call(call, handler.lines, change)
                    for call, change in zip(sequence, changes)
                ]
                paths = [(s.method, s.path) for s in origin.seen[seen_before:]]
                observed.append((answers, paths))
            finally:
                side.session.close()
        (fast_answers, fast_paths), (full_answers, full_paths) = observed
        for call, change, got_fast, got_full in zip(sequence, changes, fast_answers, full_answers):
            assert got_fast == got_full, (call, change)
        assert fast_paths == full_paths

    run()


@pytest.mark.parametrize(
    'name', ['request', 'prepare_request', 'send', 'merge_environment_settings']
)
def test_an_override_turns_the_fast_path_off(origin, name, monkeypatch):
    """A subclass overriding any method the fast path assumes is requests' own gets the full
    path for every request."""
    calls = []

    def override(self, *args, **kwargs):
        calls.append(name)
        return getattr(super(cls, self), name)(*args, **kwargs)

    cls = type('Overriding', (CachedSession,), {name: override})
    session = cls(backend='memory')
    url = origin.url('/overridden')
    session.get(url)
    calls.clear()
    assert steps_aside(session)
    assert session.get(url).from_cache is True
    assert calls == [name]
