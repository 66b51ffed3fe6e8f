"""A near-cached Redis hit against a memory hit: ``python -m benchmarks.near_cache_ab``.

The full run (``python -m benchmarks``) times each contender in its own process, one after
another, so on a shared machine a burst of load can land on one of two close figures and not the
other. This script times the two in one process instead, taking turns every 400 hits, with the
same bodies from the same local origin and a private redis-server: ``near`` is our Redis backend
with ``near_cache=True``, ``memory`` our memory backend, and ``redis`` the plain Redis backend for
reference. Each figure is the median over ``--rounds`` turns of the per-hit median, in µs of wall
time; every hit is checked for ``from_cache``. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import statistics
import time

from .bodies import LARGE, SMALL, body, item_path
from .origin import OriginServer
from .services import redis_server

__all__ = ['main', 'time_turns']

URLS = 20
HITS_PER_TURN = 400


def time_turns(sessions: dict[str, object], urls: list[str], rounds: int) -> dict[str, float]:
    """Median µs per hit of each session, the sessions taking turns ``rounds`` times.

    Raises:
        AssertionError: A hit was not served from the cache.
    """
    turns: dict[str, list[float]] = {name: [] for name in sessions}
    for _ in range(rounds):
        for name, session in sessions.items():
            times = []
            for i in range(HITS_PER_TURN):
                start = time.perf_counter()
                response = session.get(urls[i % len(urls)])  # type: ignore[attr-defined]
                response.content  # noqa: B018 - a hit is read, as a caller would
                times.append(time.perf_counter() - start)
                assert response.from_cache, f'{name}: a hit went to the origin'
            turns[name].append(statistics.median(times) * 1e6)
    return {name: statistics.median(values) for name, values in turns.items()}


def main(argv: list[str] | None = None) -> int:
    """Time both sizes and print the table."""
    from requests_cache import CachedSession

    parser = argparse.ArgumentParser(prog='python -m benchmarks.near_cache_ab')
    parser.add_argument('--rounds', type=int, default=15, help='turns per session')
    args = parser.parse_args(argv)
    with redis_server() as port, OriginServer() as origin:
        if port is None:
            print('redis-server is not installed: nothing to compare')
            return 1
        redis_url = f'redis://127.0.0.1:{port}/0'
        print('body     memory µs  near µs  redis µs  near/memory')
        for size in (SMALL, LARGE):
            redis = {'backend': 'redis', 'url': redis_url}
            sessions = {
                'memory': CachedSession(backend='memory'),
                'near': CachedSession(f'near{size}', near_cache=True, **redis),
                'redis': CachedSession(f'plain{size}', **redis),
            }
            urls = [origin.url + item_path('ab', size, i) for i in range(URLS)]
            for session in sessions.values():
                session.trust_env = False
                for i, url in enumerate(urls):
                    assert session.get(url).content == body(size, i)
            time_turns(sessions, urls, 2)  # warm: the near-cache fills on the first hits
            medians = time_turns(sessions, urls, args.rounds)
            ratio = medians['near'] / medians['memory']
            print(
                f'{size:<8} {medians["memory"]:9.1f} {medians["near"]:8.1f} '
                f'{medians["redis"]:9.1f} {ratio:12.2f}'
            )
            for session in sessions.values():
                session.close()
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
