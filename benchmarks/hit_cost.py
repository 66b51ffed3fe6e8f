"""What a change costs a warm hit: ``python -m benchmarks.hit_cost --baseline DIR``.

Times warm 1 KiB hits (or, with ``--misses``, cold misses) of ours (this checkout), with metrics
off and on, and optionally of another checkout (``--baseline``: e.g. ``git worktree add /tmp/base
<commit>``, or ``git archive <commit> | tar -x -C /tmp/base``), in fresh processes that take
turns: baseline, ours, ours with metrics, baseline, ours... so the load of a shared machine falls
on all of them alike.

Each process primes a cache from the local origin (127.0.0.1 only), then times ``--runs`` runs of
``--hits`` requests and reports the fastest run, in CPU time of the calling thread per request: a
hit runs entirely in that thread, and on a busy machine CPU time moves far less than wall time
(for a miss, the origin's work runs in another thread and is not counted: what is left is the
client side, requests' and ours). The table gives the median over ``--rounds`` processes per
variant, and the ratio to the baseline (or, with no baseline, to ours with metrics off).
"Metrics on" is the OpenTelemetry SDK's ``MeterProvider`` with an in-memory reader that is never
collected during the timing, so it is the cost per request alone; collecting (a scrape) reads the
counters once, off the request path.

``--with NAME=JSON`` adds a variant of ours with one more session setting (for example
``--with coalesce_across_processes=true``), and ``--wall`` times wall clock instead of CPU time,
for costs that are waits (a Redis round trip) rather than work.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

from .bodies import SMALL, body, item_path
from .origin import OriginServer

__all__ = ['main', 'time_requests']

ROOT = Path(__file__).resolve().parents[1]


def time_requests(
    backend: str,
    metrics: bool,
    count: int,
    runs: int,
    directory: str,
    misses: bool = False,
    settings: dict[str, object] | None = None,
    wall: bool = False,
) -> float:
    """The fastest of ``runs`` runs of ``count`` warm hits (or cold misses), in µs of thread CPU
    time per request (of wall time with ``wall``), with extra session ``settings``.

    Raises:
        AssertionError: A hit was not served from the cache, or had the wrong body.
    """
    from requests_cache import CachedSession

    clock = time.perf_counter if wall else time.thread_time
    kwargs: dict[str, object] = dict(settings or {})
    if metrics:
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader

        kwargs['metrics'] = MeterProvider(metric_readers=[InMemoryMetricReader()])
    with OriginServer() as origin:
        session = CachedSession(f'{directory}/hit_cost', backend=backend, **kwargs)
        session.trust_env = False
        urls = [origin.url + item_path('cost', SMALL, i) for i in range(50)]
        for url in urls:
            session.get(url).content  # noqa: B018 - read the body so it gets stored
        response = session.get(urls[7])
        assert response.from_cache and response.content == body(SMALL, 7)
        fastest = float('inf')
        for run in range(runs):
            if misses:  # URLs never requested before
                urls = [origin.url + item_path(f'cost{run}', SMALL, i) for i in range(count)]
            start = clock()
            for i in range(count):
                last = session.get(urls[i % len(urls)])
            fastest = min(fastest, clock() - start)
            assert last.from_cache is not misses, 'a hit went to the origin, or a miss did not'
        session.close()
    return fastest / count * 1e6


def main(argv: list[str] | None = None) -> int:
    """Run the variants in turns and print the table."""
    parser = argparse.ArgumentParser(prog='python -m benchmarks.hit_cost')
    parser.add_argument('--baseline', help='a checkout of the commit to compare with')
    parser.add_argument('--backend', action='append', help='memory (default), sqlite...')
    parser.add_argument('--rounds', type=int, default=5, help='processes per variant')
    parser.add_argument('--hits', type=int, default=4000, help='requests per timed run')
    parser.add_argument('--misses', action='store_true', help='time cold misses, not hits')
    parser.add_argument('--runs', type=int, default=25, help='timed runs per process')
    parser.add_argument(
        '--with',
        dest='settings',
        action='append',
        default=[],
        metavar='NAME=JSON',
        help='a variant "ours, with NAME" (e.g. coalesce_across_processes=true)',
    )
    parser.add_argument('--wall', action='store_true', help='wall time, not thread CPU time')
    parser.add_argument('--worker', help=argparse.SUPPRESS)  # JSON: one variant, in this process
    args = parser.parse_args(argv)
    if args.worker:
        spec = json.loads(args.worker)
        if spec['source']:
            sys.path.insert(0, spec['source'])  # that checkout's requests_cache, not ours
        import tempfile

        with tempfile.TemporaryDirectory() as directory:
            cost = time_requests(
                spec['backend'],
                spec['metrics'],
                args.hits,
                args.runs,
                directory,
                args.misses,
                spec.get('settings'),
                args.wall,
            )
        import requests_cache

        print(json.dumps({'us': cost, 'package': requests_cache.__file__}))
        return 0

    variants = _variants(args.baseline, args.settings)
    for backend in args.backend or ['memory']:
        times: dict[str, list[float]] = {name: [] for name, _, _, _ in variants}
        for _ in range(args.rounds):
            for name, source, metrics, settings in variants:
                spec = {'backend': backend, 'metrics': metrics, 'source': source}
                spec['settings'] = settings
                command = [sys.executable, '-m', 'benchmarks.hit_cost', '--worker']
                command += [json.dumps(spec), '--hits', str(args.hits), '--runs', str(args.runs)]
                command += ['--misses'] if args.misses else []
                command += ['--wall'] if args.wall else []
                done = subprocess.run(
                    command, cwd=ROOT, capture_output=True, text=True, check=True, timeout=600
                )
                timed = json.loads(done.stdout)
                # The baseline must really be the other checkout, not ours again.
                assert timed['package'].startswith(source or str(ROOT)), timed['package']
                times[name].append(timed['us'])
        reference = statistics.median(times[variants[0][0]])
        what = 'cold 1 KiB misses' if args.misses else 'warm 1 KiB hits'
        unit = 'wall time' if args.wall else 'CPU'
        print(f'{backend}: {what}, µs of {unit} per request (median of {args.rounds} processes)')
        width = max(len(name) for name in times)
        for name, runs in times.items():
            median = statistics.median(runs)
            spread = ', '.join(f'{t:.1f}' for t in runs)
            print(f'  {name:<{width}} {median:7.2f}  x{median / reference:.3f}   ({spread})')
    return 0


Variant = tuple[str, Optional[str], bool, dict[str, object]]


def _variants(baseline: str | None, settings: list[str]) -> list[Variant]:
    """(name, checkout or None for ours, metrics on, extra session settings) per variant."""
    variants: list[Variant] = [('ours, metrics off', None, False, {})]
    variants.append(('ours, metrics on', None, True, {}))
    for setting in settings:
        name, _, value = setting.partition('=')
        variants.append((f'ours, with {name}', None, False, {name: json.loads(value)}))
    if baseline:
        variants.insert(0, ('baseline', str(Path(baseline).resolve()), False, {}))
    return variants


if __name__ == '__main__':
    raise SystemExit(main())
