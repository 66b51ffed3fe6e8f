"""A Hypothesis state machine checks a session against a dict model of what should be cached."""

from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from reliability_support import SOAK, StepClock

import requests_cache

URL_COUNT = 4
LIFETIME = 60  # seconds; clock steps are multiples of 7, so never land exactly on an expiry


def _machine(backend: str, origin, tally: dict[str, int]) -> type[RuleBasedStateMachine]:
    class CacheModel(RuleBasedStateMachine):
        """The model: URL index -> (cache key, time stored) for what must be served from cache."""

        def __init__(self) -> None:
            super().__init__()
            self.directory = tempfile.mkdtemp(prefix='rc-stateful-')
            self.clock = StepClock()
            self.model: dict[int, tuple[str, object]] = {}
            self.session = self._open()

        def _open(self) -> requests_cache.CachedSession:
            session = requests_cache.CachedSession(
                f'{self.directory}/cache', backend=backend, expire_after=LIFETIME
            )
            session.clock = self.clock
            return session

        def _path(self, i: int) -> str:
            return f'/stateful/{backend}/{i}'

        @rule(i=st.integers(0, URL_COUNT - 1))
        def request(self, i: int) -> None:
            path = self._path(i)
            seen = origin.count(path)
            response = self.session.get(origin.url(path))
            tally['requests'] += 1
            now = self.clock.now
            stored = self.model.get(i)
            expect_hit = stored is not None and now - stored[1] < timedelta(seconds=LIFETIME)
            wrong = (
                response.status_code != 200
                or response.content != f'body of {path}'.encode()
                or bool(response.from_cache) != expect_hit
                or origin.count(path) != seen + (0 if expect_hit else 1)
            )
            tally['wrong'] += wrong
            assert not wrong, (i, response.from_cache, expect_hit)
            if not expect_hit:
                self.model[i] = (response.cache_key, now)

        @rule(steps=st.integers(1, 12))
        def advance_clock(self, steps: int) -> None:
            self.clock.advance(7 * steps)

        @rule()
        def reopen(self) -> None:
            self.session.close()
            self.session = self._open()
            if backend == 'memory':  # a new memory cache starts empty
                self.model.clear()

        @rule(i=st.integers(0, URL_COUNT - 1))
        def corrupt(self, i: int) -> None:
            if i in self.model:
                self.session.cache.responses[self.model.pop(i)[0]] = b'\x00corrupt'
                tally['corrupted'] += 1

        @rule()
        def clear(self) -> None:
            self.session.cache.clear()
            self.model.clear()

        @invariant()
        def modelled_entries_are_stored(self) -> None:
            for key, _ in self.model.values():
                assert self.session.cache.contains(key=key)

        def teardown(self) -> None:
            self.session.close()
            shutil.rmtree(self.directory, ignore_errors=True)

    return CacheModel


@pytest.mark.parametrize('backend', ['memory', 'sqlite'])
def test_session_matches_dict_model(backend, origin, figures):
    """Over random request/clock/reopen/corrupt/clear runs, every response matches the model."""
    tally = {'requests': 0, 'wrong': 0, 'corrupted': 0}
    run_state_machine_as_test(
        _machine(backend, origin, tally),
        settings=settings(
            max_examples=20 * SOAK,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture],
        ),
    )
    figures.record(
        f'stateful_model_{backend}',
        examples=20 * SOAK,
        requests=tally['requests'],
        corrupted=tally['corrupted'],
        wrong_responses=tally['wrong'],
    )
    assert tally['wrong'] == 0
