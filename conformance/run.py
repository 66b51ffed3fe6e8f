"""Run the public HTTP cache test suite (cache-tests.fyi) against a `CachedSession`.

The suite's origin server runs on 127.0.0.1; a reverse proxy (`proxy.CacheProxy`) replays each of
the suite's requests through one session with nothing configured but ``cache_control=True``; the
suite's client runs its browser profile (the tests that apply to a private cache) against the
proxy. Totals are counted the way cache-tests.fyi counts them: a test passes only if it and every
test it depends on pass.

Usage (from the repository root; ``make conformance`` does the same with the project's goals)::

    .venv/bin/python conformance/run.py [--min-required N] [--min-optimal N]
    .venv/bin/python conformance/run.py --id freshness-none      # one test, with its exchanges
    .venv/bin/python conformance/run.py --suite ~/src/cache-tests # a checkout of the suite

The default suite is the ``http-cache-tests`` npm package pinned in ``conformance/package.json``
(installed with ``npm ci`` into ``conformance/node_modules`` on first use).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from proxy import CacheProxy  # noqa: E402

from requests_cache import CachedSession  # noqa: E402

NPM_SUITE = HERE / 'node_modules' / 'http-cache-tests'
#: The whole run takes about a minute; anything much longer is a hang.
SUITE_TIMEOUT = 600


def main(argv: list[str] | None = None) -> int:
    """Run the suite; the exit status is 1 if a total is below its minimum or the proxy failed."""
    args = _parser().parse_args(argv)
    suite = Path(args.suite).resolve() if args.suite else _installed_npm_suite()
    with tempfile.TemporaryDirectory() as tmp:
        session = _session(args, Path(tmp))
        with _origin(suite) as origin_url, CacheProxy(origin_url, session) as proxy:
            records = _run_suite(suite, proxy.url, Path(tmp) / 'results.json', args.id)
            logged = proxy.logged + _unexpected_hang_ups(records, proxy.closed_by_origin)
            closed = proxy.closed_by_client + len(proxy.closed_by_origin)
    if args.id:
        return 0
    totals = count(records)
    _report(totals, records, logged, closed, args)
    below = totals['required'][0] < args.min_required or totals['optimal'][0] < args.min_optimal
    return 1 if below or logged else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--suite', help='a cache-tests checkout (default: the pinned npm package)')
    parser.add_argument('--backend', default='memory', choices=('memory', 'sqlite'))
    parser.add_argument(
        '--expire-after',
        type=float,
        help='also pass expire_after (seconds) to the session, for comparisons',
    )
    parser.add_argument('--id', help='run this one test and print its exchanges')
    parser.add_argument('--min-required', type=int, default=0, help='fail below this many')
    parser.add_argument('--min-optimal', type=int, default=0, help='fail below this many')
    parser.add_argument('--json', help='also write every test result to this file')
    return parser


def _installed_npm_suite() -> Path:
    if not (NPM_SUITE / 'package.json').exists():
        subprocess.run(['npm', 'ci', '--no-audit', '--no-fund'], cwd=HERE, check=True)
    return NPM_SUITE


def _session(args: argparse.Namespace, tmp: Path) -> CachedSession:
    settings: dict[str, Any] = {'cache_control': True}
    if args.expire_after is not None:
        settings['expire_after'] = args.expire_after
    return CachedSession(str(tmp / 'conformance'), backend=args.backend, **settings)


@contextmanager
def _origin(suite: Path) -> Iterator[str]:
    """The suite's origin server on a free loopback port, for the duration of the block."""
    process = subprocess.Popen(
        ['node', str(HERE / 'origin.mjs'), str(suite)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().split()
        if line[:1] != ['listening']:
            raise RuntimeError(f'the cache-tests origin did not start (said {line!r})')
        # Relay what the origin prints (its view of each exchange with --id) without blocking it.
        threading.Thread(target=_relay, args=(process.stdout,), daemon=True).start()
        yield f'http://127.0.0.1:{line[1]}'
    finally:
        process.terminate()
        process.wait(timeout=10)


def _relay(stream: IO[str]) -> None:
    for line in stream:
        sys.stdout.write(line)


def _run_suite(suite: Path, base_url: str, out: Path, test_id: str | None) -> list[dict[str, Any]]:
    command = ['node', str(HERE / 'suite.mjs'), str(suite), base_url, str(out)]
    subprocess.run([*command, *([test_id] if test_id else [])], check=True, timeout=SUITE_TIMEOUT)
    records: list[dict[str, Any]] = json.loads(out.read_text())
    return records


def _unexpected_hang_ups(records: list[dict[str, Any]], hung_up: list[str]) -> list[str]:
    """Connections the origin closed in tests that do not close them on purpose."""
    on_purpose = {record['id'] for record in records if record['disconnects']}
    return [
        f'{test_id}: the origin closed the connection'
        for test_id in hung_up
        if test_id not in on_purpose
    ]


def count(records: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """(passed, total) per kind, where a test whose dependency did not pass has not passed.

    Mirrors cache-tests.fyi: a dependency passes when its result is a pass (or a "yes" for a
    check); a dependency that did not run (outside the profile) does not.
    """
    by_id = {record['id']: record for record in records}
    totals: dict[str, tuple[int, int]] = {}
    for kind in ('required', 'optimal', 'check'):
        tests = [r for r in records if r['kind'] == kind]
        totals[kind] = (sum(_passes(by_id, r['id']) for r in tests), len(tests))
    return totals


def failures(records: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(kind, id, why) for every required or optimal test that did not pass."""
    by_id = {record['id']: record for record in records}
    rows = []
    for record in records:
        if record['kind'] == 'check':
            continue
        result = record['result']
        if result is not True:
            why = 'not run' if result is None else ': '.join(str(part) for part in result)
        else:
            failed = [d for d in record['depends_on'] if not _passes(by_id, d)]
            if not failed:
                continue
            why = f'depends on {", ".join(failed)}'
        rows.append((record['kind'], record['id'], why))
    return rows


def _passes(by_id: dict[str, dict[str, Any]], test_id: str) -> bool:
    record = by_id.get(test_id)
    if record is None or record['result'] is not True:
        return False
    return all(_passes(by_id, dependency) for dependency in record['depends_on'])


def _report(
    totals: dict[str, tuple[int, int]],
    records: list[dict[str, Any]],
    logged: list[str],
    closed: int,
    args: argparse.Namespace,
) -> None:
    for kind, id_, why in failures(records):
        print(f'  {kind:8} {id_}: {why}')
    if args.json:
        Path(args.json).write_text(json.dumps(records, indent=1))
    for line in logged:
        print(f'proxy: {line}')
    print(f'connections closed on purpose by the suite: {closed}; proxy errors: {len(logged)}')
    required, optimal, check = totals['required'], totals['optimal'], totals['check']
    print(
        f'required {required[0]}/{required[1]}, optimal {optimal[0]}/{optimal[1]}, '
        f'checks answered yes {check[0]}/{check[1]}'
    )
    for kind, minimum in (('required', args.min_required), ('optimal', args.min_optimal)):
        if totals[kind][0] < minimum:
            print(f'FAILED: {kind} {totals[kind][0]} is below the goal of {minimum}')


if __name__ == '__main__':
    sys.exit(main())
