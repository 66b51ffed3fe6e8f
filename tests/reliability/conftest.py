"""Reliability tier: fixtures that make sessions over every backend, and the `figures` recorder
whose numbers are written to ``reliability-report.json`` at the repo root when the session ends."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / 'backends'))
sys.path.insert(0, str(Path(__file__).parent))
from reliability_support import SOAK, StepClock
from services import RedisServer, private_redis_server, unavailable

import requests_cache

REPORT_PATH = Path(__file__).resolve().parents[2] / 'reliability-report.json'

_FIGURES: dict[str, dict[str, Any]] = {}
_FIGURES_LOCK = threading.Lock()


class Figures:
    """Records the numbers one test measured, under a name, for the JSON report."""

    def __init__(self, nodeid: str) -> None:
        self.nodeid = nodeid

    def record(self, name: str, **values: Any) -> None:
        """Store ``values`` (numbers, short strings) under ``name``; a repeated name merges."""
        with _FIGURES_LOCK:
            entry = _FIGURES.setdefault(name, {'test': self.nodeid})
            entry.update(values)


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Figures:
    """The recorder a test writes its measured figures to."""
    return Figures(request.node.nodeid)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the `slow` soak variants of this tier only when RC_SOAK is set."""
    if os.environ.get('RC_SOAK'):
        return
    skip = pytest.mark.skip(reason='soak variant: set RC_SOAK=1 (or more) to run it')
    here = Path(__file__).parent
    for item in items:
        if 'slow' in item.keywords and here in Path(str(item.fspath)).parents:
            item.add_marker(skip)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write every recorded figure to reliability-report.json (only if this tier ran)."""
    if not _FIGURES:
        return
    reporter = session.config.pluginmanager.get_plugin('terminalreporter')
    here = Path(__file__).parent
    outcomes: dict[str, int] = {}
    for outcome, reports in (getattr(reporter, 'stats', None) or {}).items():
        mine = [
            r
            for r in reports
            if getattr(r, 'when', 'call') in ('call', 'setup')
            and str(getattr(r, 'fspath', '')).startswith(str(here.relative_to(REPORT_PATH.parent)))
        ]
        if outcome and mine:
            outcomes[outcome] = len({r.nodeid for r in mine})
    report = {
        'generated_at': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
        'soak': SOAK,
        'exit_status': int(exitstatus),
        'outcomes': outcomes,
        'figures': dict(sorted(_FIGURES.items())),
    }
    REPORT_PATH.write_text(json.dumps(report, indent=2, sort_keys=False, default=str) + '\n')


# --- Redis -------------------------------------------------------------------------------------
@pytest.fixture(scope='session')
def reliability_redis() -> Iterator[RedisServer]:
    """Our own redis-server, which tests in this tier may stop and restart."""
    try:
        import redis  # noqa: F401
    except ImportError as exc:
        unavailable(f'redis-py is not installed: {exc}')
    yield from private_redis_server()


@pytest.fixture
def redis_connection(reliability_redis: RedisServer) -> Iterator[Any]:
    """A redis-py client on the tier's server, flushed before the test and closed after it."""
    import redis

    if reliability_redis.process is None:  # a test stopped it and failed before restarting
        reliability_redis.start()
    client = redis.Redis.from_url(reliability_redis.url, socket_timeout=2, socket_connect_timeout=2)
    client.flushdb()
    yield client
    client.close()


# --- sessions ---------------------------------------------------------------------------------
SessionFactory = Callable[..., requests_cache.CachedSession]


@pytest.fixture
def make_session(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[SessionFactory]:
    """``make_session(backend, **settings)``: a session on a backend, opened on the same
    location each time it is called within a test; every one is closed afterwards."""
    opened: list[requests_cache.CachedSession] = []

    def factory(backend: str, **kwargs: Any) -> requests_cache.CachedSession:
        if backend == 'redis':
            connection = request.getfixturevalue('redis_connection')
            session = requests_cache.CachedSession(
                'rc-reliability', backend='redis', connection=connection, **kwargs
            )
            # Close it before the client is torn down (set up later, so torn down first):
            # closing writes statistics, which would otherwise reopen a socket nobody closes.
            request.node.addfinalizer(session.close)
        elif backend == 'memory':
            session = requests_cache.CachedSession('memory', backend='memory', **kwargs)
        else:
            session = requests_cache.CachedSession(
                str(tmp_path / 'cache'), backend=backend, **kwargs
            )
        opened.append(session)
        return session

    yield factory
    for session in opened:
        session.close()


@pytest.fixture
def step_clock() -> type[StepClock]:
    """The `StepClock` class."""
    return StepClock
