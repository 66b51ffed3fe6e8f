"""Warm-hit latency of this working tree against another revision, measured in the same run.

``python -m benchmarks.ab_hits --base HEAD~1`` exports ``--base`` with ``git archive`` into a
temp directory, then times warm session hits (``session.get(url).content``) for each backend and
body size with both trees, in alternating worker subprocesses (base, ours, base, ours, ...) so
that drift on a shared machine lands on both alike. It prints the median of the per-round
medians, in µs per hit, and the ratio ours / base. Only 127.0.0.1 is contacted.

Used for changes to the hit path whose cost must stay within noise (issue 15: checksums on every
entry, size checks before reads, chunked reads of large hits).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
import textwrap
from io import BytesIO
from pathlib import Path

__all__ = ['main']

REPO = Path(__file__).resolve().parent.parent

_WORKER = textwrap.dedent(
    """
    import json, statistics, sys, tempfile, time
    tree, repo, backend = sys.argv[1:4]
    size, hits = int(sys.argv[4]), int(sys.argv[5])
    sys.path[:0] = [tree, repo]
    import requests_cache
    assert requests_cache.__file__.startswith(tree), requests_cache.__file__
    from benchmarks.bodies import body, item_path
    from benchmarks.origin import OriginServer

    with OriginServer() as origin, tempfile.TemporaryDirectory() as directory:
        session = requests_cache.CachedSession(
            f'{directory}/cache', backend=backend, max_response_size=256 * 1024 * 1024
        )
        session.trust_env = False
        urls = [origin.url + item_path('ab', size, i) for i in range(10)]
        for url in urls:
            session.get(url).content
        timings = []
        for i in range(hits):
            start = time.perf_counter()
            response = session.get(urls[i % len(urls)])
            content = response.content
            timings.append(time.perf_counter() - start)
            assert response.from_cache and content == body(size, i % len(urls))
        session.close()
    print(json.dumps(statistics.median(timings) * 1e6))
    """
)


def _export(revision: str, into: Path) -> Path:
    """Write ``revision``'s requests_cache package into ``into``; return the tree root."""
    archive = subprocess.run(
        ['git', 'archive', '--format=tar', revision, 'requests_cache'],
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into)  # our own repository's files
    return into


def _time(tree: Path, backend: str, size: int, hits: int) -> float:
    done = subprocess.run(
        [sys.executable, '-c', _WORKER, str(tree), str(REPO), backend, str(size), str(hits)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(json.loads(done.stdout))


def main(argv: list[str] | None = None) -> int:
    """Print the A/B table."""
    parser = argparse.ArgumentParser(prog='python -m benchmarks.ab_hits', description=__doc__)
    parser.add_argument('--base', default='HEAD', help='git revision to compare against')
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--backend', action='append', help='repeatable; default: local three')
    parser.add_argument('--size', type=int, action='append', help='body bytes; repeatable')
    args = parser.parse_args(argv)
    backends = args.backend or ['memory', 'sqlite', 'filesystem']
    sizes = args.size or [1024, 100 * 1024, 1024 * 1024]
    with tempfile.TemporaryDirectory() as directory:
        base = _export(args.base, Path(directory))
        ours = REPO
        print(f'base {args.base} vs working tree, {args.rounds} rounds; µs per warm hit')
        print(f'{"backend":<11} {"body":>9} {"base":>9} {"ours":>9} {"ours/base":>9}')
        for backend in backends:
            for size in sizes:
                hits = 2000 if size <= 100 * 1024 else 300
                results: dict[str, list[float]] = {'base': [], 'ours': []}
                for _ in range(args.rounds):
                    results['base'].append(_time(base, backend, size, hits))
                    results['ours'].append(_time(ours, backend, size, hits))
                before = statistics.median(results['base'])
                after = statistics.median(results['ours'])
                print(
                    f'{backend:<11} {size:>9} {before:>9.1f} {after:>9.1f} {after / before:>9.2f}',
                    flush=True,
                )
    return 0


if __name__ == '__main__':
    sys.exit(main())
