"""Runner: ``python -m benchmarks [--quick]`` (or ``python benchmarks/run.py``).

Starts the local origin (and a private redis-server), makes sure the peers' venvs exist, then runs
every (contender, backend) pair in its own worker subprocess, interleaved in rounds (A B C A B C
...) so drift on the machine hits every contender alike, and prints medians of the passes with
ratios against requests-cache 1.3.3 and CacheControl 0.14.4. Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ''):  # run as ``python benchmarks/run.py``: make the package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = 'benchmarks'

from . import report
from .origin import OriginServer
from .services import redis_server
from .venvs import CONTENDERS, Contender, ensure_venvs

__all__ = ['FULL', 'QUICK', 'Plan', 'main']

WORKER = Path(__file__).resolve().parent / 'worker.py'
#: Environment variables a worker must not inherit: proxies (only 127.0.0.1 is contacted) and
#: PYTHONPATH (it could put this repository in front of a peer's installed package).
_DROP_ENV = ('http_proxy', 'https_proxy', 'all_proxy', 'no_proxy', 'pythonpath')


@dataclass(frozen=True)
class Plan:
    """How much work one run does."""

    passes: int
    miss: int
    warm_distinct: int
    warm1k: int
    warm100k: int
    threaded: int
    memory_entries: int
    memory_passes: int
    scale_sizes: tuple[int, ...]
    scale_n: int

    def workloads(self) -> dict[str, dict[str, int]]:
        """The per-pass workloads and their counts, as a worker spec expects them."""
        return {
            'miss': {'n': self.miss},
            'warm1k': {'distinct': self.warm_distinct, 'n': self.warm1k},
            'warm100k': {'distinct': 20, 'n': self.warm100k},
            'threaded': {'threads': 8, 'distinct': self.warm_distinct, 'n': self.threaded},
        }


QUICK = Plan(3, 80, 50, 400, 100, 640, 2_000, 1, (1_000, 100_000), 1_000)
FULL = Plan(5, 400, 100, 3_000, 600, 4_000, 10_000, 2, (1_000, 100_000, 1_000_000), 5_000)


def run_worker(
    contender: Contender, backend: str, workloads: dict[str, Any], context: dict[str, Any]
) -> dict[str, Any]:
    """Run one worker subprocess in a scratch directory and return its parsed JSON output."""
    workdir = tempfile.mkdtemp(prefix='bench-')
    spec = {
        **context,
        'contender': contender.name,
        'backend': backend,
        'workdir': workdir,
        'run_id': uuid.uuid4().hex[:12],
        'namespace': f'bench-{uuid.uuid4().hex[:8]}',
        'workloads': workloads,
    }
    env = {k: v for k, v in os.environ.items() if k.lower() not in _DROP_ENV}
    try:
        process = subprocess.run(
            [contender.python, str(WORKER)],
            input=json.dumps(spec),
            capture_output=True,
            text=True,
            cwd=workdir,  # keeps relative paths of every library in the scratch directory
            env=env,
            timeout=900,
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    try:
        output: dict[str, Any] = json.loads(process.stdout)
    except json.JSONDecodeError:
        output = {'results': {}, 'error': f'worker crashed: {process.stderr[-2000:]}'}
    if output.get('error'):
        print(f'  ! {contender.name} / {backend}: {output["error"]}', file=sys.stderr)
    return output


def jobs(redis_port: int | None, only: list[str] | None) -> list[tuple[Contender, str]]:
    """Every (contender, backend) pair to run, skipping Redis when there is no server."""
    pairs = []
    for contender in CONTENDERS:
        if only and contender.name not in only:
            continue
        pairs += [
            (contender, backend)
            for backend in contender.backends
            if not backend.startswith('redis') or redis_port is not None
        ]
    return pairs


def rounds(
    pairs: list[tuple[Contender, str]], passes: int, workloads: dict[str, Any], context: dict
) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Run ``passes`` rounds of every pair, in the same order each round; collect the outputs."""
    collected: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for number in range(1, passes + 1):
        started = time.monotonic()
        for contender, backend in pairs:
            output = run_worker(contender, backend, workloads, context)
            collected.setdefault((contender.name, backend), []).append(output)
        print(f'  pass {number}/{passes}: {time.monotonic() - started:.1f} s', file=sys.stderr)
    return collected


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print the report; return the exit status."""
    parser = argparse.ArgumentParser(prog='python -m benchmarks', description=__doc__)
    parser.add_argument('--quick', action='store_true', help='small counts, under 2 minutes')
    parser.add_argument('--passes', type=int, help='override the number of passes')
    parser.add_argument('--only', action='append', help='run only this contender (repeatable)')
    parser.add_argument('--json', type=Path, help='also write the raw results to this file')
    parser.add_argument(
        '--trust-env',
        action='store_true',
        help="leave requests' trust_env on (its default; proxy variables are still removed)",
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    started = time.monotonic()
    ensure_venvs()
    with OriginServer() as origin, redis_server() as redis_port:
        context = {'origin': origin.url, 'redis_port': redis_port, 'trust_env': args.trust_env}
        pairs = jobs(redis_port, args.only)
        print(f'{len(pairs)} contender/backend pairs, origin {origin.url}', file=sys.stderr)
        main_results = rounds(pairs, args.passes or plan.passes, plan.workloads(), context)
        memory_pairs = [(c, b) for c, b in pairs if b == 'memory']
        print('memory per entry:', file=sys.stderr)
        memory_workload = {'memory': {'entries': plan.memory_entries}}
        memory_results = rounds(memory_pairs, plan.memory_passes, memory_workload, context)
        scale_pairs = [(c, b) for c, b in pairs if b == 'sqlite']
        print('sqlite scaling:', file=sys.stderr)
        scale = {'sizes': list(plan.scale_sizes), 'probes': 200, 'n': plan.scale_n}
        scale_results = rounds(scale_pairs, 1, {'sqlite_scale': scale}, context)
    results = {'main': main_results, 'memory': memory_results, 'sqlite_scale': scale_results}
    print(report.render(results, plan.scale_sizes))
    elapsed = time.monotonic() - started
    print(f'\n(total {elapsed:.0f} s; {"--quick" if args.quick else "full"} plan: {plan})')
    if args.json:
        flat = {kind: {' / '.join(k): v for k, v in runs.items()} for kind, runs in results.items()}
        args.json.write_text(json.dumps(flat, indent=1))
    return 1 if report.errors(results) else 0


if __name__ == '__main__':
    raise SystemExit(main())
