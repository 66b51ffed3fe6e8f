"""Coalescing across processes (``coalesce_across_processes=True``): identical misses in eight
processes reach the origin once, on every store that can coordinate processes (Redis, SQLite,
the filesystem); a leader killed mid-fetch is replaced by exactly one other process after its
lease runs out, and no waiter waits past its own timeout."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from coalesce_workers import fetch
from origin import Route

_CONTEXT = multiprocessing.get_context('forkserver')
PROCESSES = 8
BACKENDS = ['sqlite', 'filesystem', 'redis']


@pytest.fixture
def spec(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """Where the processes' shared store is."""
    backend = request.param
    if backend == 'redis':
        server = request.getfixturevalue('reliability_redis')
        request.getfixturevalue('redis_connection')  # flushed for this test
        return {'backend': 'redis', 'url': server.url, 'namespace': 'rc-shared'}
    return {'backend': backend, 'path': str(tmp_path / 'shared-cache')}


def _start(spec: dict[str, Any], url: str, count: int, timeout: float, out: Any, start: Any):
    processes = [
        _CONTEXT.Process(target=fetch, args=(spec, url, timeout, start, out)) for _ in range(count)
    ]
    for process in processes:
        process.start()
    return processes


def _results(out: Any, count: int) -> list[tuple[bytes, Any, float]]:
    return [out.get(timeout=60) for _ in range(count)]


@pytest.mark.parametrize('spec', BACKENDS, indirect=True)
def test_eight_processes_miss_once(spec, origin, figures):
    """Eight processes asking for the same URL at once send one request to the origin, and all
    eight get its body."""
    spec['coalesce_timeout'] = 30
    url = origin.route('/shared/once', delay=0.5, headers={'Cache-Control': 'max-age=600'})
    start, out = _CONTEXT.Event(), _CONTEXT.Queue()
    processes = _start(spec, url, PROCESSES, 20, out, start)
    start.set()
    results = _results(out, PROCESSES)
    for process in processes:
        process.join(10)
    figures.record(
        f'shared_coalescing_{spec["backend"]}',
        processes=PROCESSES,
        origin_requests=origin.count('/shared/once'),
        served_from_cache=sum(1 for _, from_cache, _ in results if from_cache),
    )
    assert {body for body, _, _ in results} == {b'body of /shared/once'}
    assert origin.count('/shared/once') == 1


@pytest.mark.parametrize('spec', BACKENDS, indirect=True)
def test_a_killed_leader_is_replaced_once(spec, origin, figures):
    """The leader is killed while the origin holds its answer: after its lease runs out exactly
    one waiter fetches, the others are served what it stored, and nobody waits past its
    timeout."""
    coalesce_timeout, timeout = 4.0, 10.0
    spec['coalesce_timeout'] = coalesce_timeout  # the lease lasts half of it
    held = threading.Event()  # the first answer is held until the test ends

    def answer(seen):
        first = len([s for s in origin.seen if s.path == '/shared/killed']) == 1
        return Route(gate=held, headers={'Cache-Control': 'max-age=600'}) if first else None

    url = origin.route('/shared/killed', respond=answer, headers={'Cache-Control': 'max-age=600'})
    out = _CONTEXT.Queue()
    go = _CONTEXT.Event()
    go.set()
    (leader,) = _start(spec, url, 1, timeout, out, go)
    try:
        while origin.count('/shared/killed') == 0:  # poll until the leader is in the origin
            time.sleep(0.01)
        waiters_start = _CONTEXT.Event()
        waiters = _start(spec, url, PROCESSES - 1, timeout, out, waiters_start)
        waiters_start.set()
        os.kill(leader.pid, signal.SIGKILL)
        results = _results(out, PROCESSES - 1)
    finally:
        held.set()
        leader.join(10)
    for process in waiters:
        process.join(10)
    figures.record(
        f'shared_coalescing_killed_leader_{spec["backend"]}',
        origin_requests=origin.count('/shared/killed'),
        slowest_waiter_s=round(max(seconds for _, _, seconds in results), 3),
        coalesce_timeout_s=coalesce_timeout,
        timeout_s=timeout,
    )
    assert {body for body, _, _ in results} == {b'body of /shared/killed'}
    assert origin.count('/shared/killed') <= 2
    assert all(seconds < timeout for _, _, seconds in results)
