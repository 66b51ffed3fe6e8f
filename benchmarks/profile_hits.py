"""Profile our warm memory-backend hit path: ``python -m benchmarks.profile_hits``.

Runs with this repository's interpreter (our package must be importable), primes a memory cache
from the local origin, then runs cProfile over the hits alone and prints the top functions by
cumulative time, and by own time. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time

from .bodies import SMALL, body, item_path
from .origin import OriginServer

__all__ = ['main', 'profile_hits']


def profile_hits(n: int, distinct: int, size: int) -> tuple[cProfile.Profile, float]:
    """Run ``n`` warm hits under cProfile; return the profile and the unprofiled µs per hit.

    Raises:
        AssertionError: A hit was not served from the cache, or its body was wrong.
    """
    from requests_cache import CachedSession

    with OriginServer() as origin:
        session = CachedSession('profile', backend='memory')
        session.trust_env = False
        urls = [origin.url + item_path('profile', size, i) for i in range(distinct)]
        for url in urls:
            session.get(url).content  # noqa: B018 - read the body so it gets stored
        assert origin.count('profile') == distinct
        # An unprofiled run first: cProfile roughly doubles the cost of every Python call.
        start = time.perf_counter()
        for i in range(n):
            session.get(urls[i % distinct])
        per_hit_us = (time.perf_counter() - start) / n * 1e6
        profile = cProfile.Profile()
        profile.enable()
        for i in range(n):
            response = session.get(urls[i % distinct])
            assert response.from_cache and response.content == body(size, i % distinct)
        profile.disable()
        assert origin.count('profile') == distinct
        session.close()
    return profile, per_hit_us


def main(argv: list[str] | None = None) -> int:
    """Print the profile of our warm hit path."""
    parser = argparse.ArgumentParser(prog='python -m benchmarks.profile_hits')
    parser.add_argument('-n', type=int, default=5000, help='number of profiled hits')
    parser.add_argument('--top', type=int, default=15, help='functions to show')
    args = parser.parse_args(argv)
    profile, per_hit_us = profile_hits(args.n, 50, SMALL)
    print(f'{per_hit_us:.1f} µs per warm 1 KiB memory hit without the profiler ({args.n} hits)')
    for order in ('cumulative', 'tottime'):
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out).strip_dirs().sort_stats(order)
        stats.print_stats(args.top)
        print(f'\n=== top {args.top} by {order} ===')
        print(out.getvalue().split('\n\n', 1)[-1].strip())
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
