"""The ``requests-cache`` command on a large cache: wall time and peak memory per command.

Builds a cache of 20,000 responses (by default; ``--entries``) shaped like a real API client's:
JSON bodies of 200 B to 24 KiB, one in ten a binary image, a dozen response headers, one in ten
already expired, a few hundred redirect aliases. Then it runs each command the way a user would,
as a separate process of the installed command (``python -m requests_cache``), and reports:

- wall time from start to exit, and the ratio to the floor: starting Python and importing
  ``requests_cache.cli`` (measured in the same run, so the ratio is comparable across machines);
- peak resident memory of that process: ``VmHWM`` read by the process itself at exit on Linux
  (a child's ``ru_maxrss`` would also count this script's memory before ``exec``), else
  ``ru_maxrss`` from ``wait4``.

``list | head`` reads ten lines and closes the pipe, as ``head`` does; ``list`` reads everything.
Nothing here touches the network.

Command (from the repository root)::

    .venv/bin/python benchmarks/cli_large_cache.py                 # SQLite, 20,000 entries
    .venv/bin/python benchmarks/cli_large_cache.py --backend filesystem
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from requests.structures import CaseInsensitiveDict

import requests_cache
from requests_cache.models import CachedRequest, CachedResponse

ROOT = Path(__file__).resolve().parent.parent
#: Goals from issue 17, per command: (seconds, MiB); None where there is no goal.
GOALS = {
    'info': (0.5, None),
    'list | head': (0.5, None),
    'export --har': (None, 100.0),
}


def build_cache(path: Path, backend: str, entries: int, seed: int = 17) -> float:
    """Store ``entries`` synthetic responses (and some redirects) at ``path``; return seconds."""
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    start = time.perf_counter()
    cache = requests_cache.init_backend(str(path), backend)
    for n in range(entries):
        response = _response(rng, n, now)
        cache.save_response(response, f'{n:032x}')
        if n % 50 == 0:
            cache.save_redirect(f'alias-{n:027x}', f'{n:032x}')
    cache.close()
    return time.perf_counter() - start


def _response(rng: random.Random, n: int, now: datetime) -> CachedResponse:
    host = f'api{n % 7}.example.test'
    binary = n % 10 == 3
    url = f'https://{host}/v2/items/{n}?page={n % 13}&lang=en'
    if binary:
        url = f'https://{host}/images/{n}.png'
        body = rng.randbytes(rng.randint(2_000, 30_000))
        content_type = 'image/png'
    else:
        size = int(rng.lognormvariate(8.0, 0.9))  # median ~4 KiB
        item = {'id': n, 'name': f'item {n}', 'tags': ['a', 'b', 'c'], 'pad': 'x' * size}
        body = json.dumps(item).encode()[: max(200, min(size, 24_000))]
        content_type = 'application/json; charset=utf-8'
    created = now - timedelta(seconds=rng.randint(60, 30 * 86400))
    # One in ten expired; the rest expire later, or never.
    if n % 10 == 0:
        expires = now - timedelta(seconds=rng.randint(1, 86400))
    elif n % 10 == 1:
        expires = None
    else:
        expires = now + timedelta(seconds=rng.randint(60, 7 * 86400))
    headers = [
        ('Content-Type', content_type),
        ('Content-Length', str(len(body))),
        ('Date', created.strftime('%a, %d %b %Y %H:%M:%S GMT')),
        ('Server', 'nginx/1.25.3'),
        ('Cache-Control', 'public, max-age=3600'),
        ('ETag', f'"{n:08x}-{len(body):x}"'),
        ('Last-Modified', 'Tue, 01 Oct 2024 10:00:00 GMT'),
        ('Vary', 'Accept-Encoding'),
        ('X-Request-Id', f'{rng.getrandbits(128):032x}'),
        ('Strict-Transport-Security', 'max-age=63072000'),
        ('Set-Cookie', 'x=1; Path=/'),
        ('Access-Control-Allow-Origin', '*'),
    ]
    request_headers = CaseInsensitiveDict(
        {'User-Agent': 'python-requests/2.32.3', 'Accept': '*/*', 'Accept-Encoding': 'gzip'}
    )
    return CachedResponse.build(
        url=url,
        status_code=200 if n % 25 else 404,
        reason='OK' if n % 25 else 'Not Found',
        headers=headers,
        body=body,
        encoding=None if binary else 'utf-8',
        elapsed=rng.random() / 5,
        request=CachedRequest('GET', url, request_headers),
        created_at=created,
        request_time=created - timedelta(milliseconds=rng.randint(5, 500)),
        expires=expires,
    )


#: ``python -m requests_cache``, writing its peak resident memory to $PEAK_FILE at exit.
MEASURED_CLI = """
import atexit, os, runpy
def peak():
    with open('/proc/self/status') as status, open(os.environ['PEAK_FILE'], 'w') as out:
        out.write(next(line for line in status if line.startswith('VmHWM:')))
atexit.register(peak)
runpy.run_module('requests_cache', run_name='__main__')
"""
HAS_PROC = Path('/proc/self/status').exists()


def run_command(args: list[str], cwd: Path, head: int = 0) -> tuple[float, float, int]:
    """Run ``python -m requests_cache ARGS``; return (seconds, peak MiB, stdout lines read).

    With ``head``, read that many lines of stdout and close the pipe, as ``| head`` does.
    """
    peak_file = cwd / 'peak'
    peak_file.unlink(missing_ok=True)
    command = ['-c', MEASURED_CLI] if HAS_PROC else ['-m', 'requests_cache']
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, *command, *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, 'PEAK_FILE': str(peak_file)},
    )
    assert process.stdout is not None
    lines = 0
    for _line in process.stdout:
        lines += 1
        if head and lines >= head:
            break
    process.stdout.close()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    if process.returncode not in (0, 1):  # 1 is "nothing found"; anything else is a failure
        raise RuntimeError(f'{args} exited with {process.returncode}')
    return seconds, _peak_mib(peak_file, usage.ru_maxrss), lines


def floor(cwd: Path) -> tuple[float, float]:
    """Starting Python and importing the CLI: the least any command can cost."""
    peak_file = cwd / 'peak'
    peak_file.unlink(missing_ok=True)
    code = MEASURED_CLI.replace(
        "runpy.run_module('requests_cache', run_name='__main__')", 'import requests_cache.cli'
    )
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, '-c', code], cwd=cwd, env={**os.environ, 'PEAK_FILE': str(peak_file)}
    )
    _, _, usage = os.wait4(process.pid, 0)
    process.returncode = 0
    return time.perf_counter() - start, _peak_mib(peak_file, usage.ru_maxrss)


def _peak_mib(peak_file: Path, maxrss: int) -> float:
    if peak_file.exists():  # "VmHWM:   48320 kB"
        return int(peak_file.read_text().split()[1]) / 1024
    # ru_maxrss is in KiB on Linux, in bytes on macOS.
    return maxrss / (1024 * 1024 if sys.platform == 'darwin' else 1024)


def main() -> None:
    """Build the cache, time each command ``--repeat`` times, print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--entries', type=int, default=20_000)
    parser.add_argument('--backend', choices=['sqlite', 'filesystem'], default='sqlite')
    parser.add_argument('--repeat', type=int, default=3, help='runs per command; median shown')
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        name = 'big_cache.sqlite' if options.backend == 'sqlite' else 'big_cache'
        built = build_cache(cwd / name, options.backend, options.entries)
        har = cwd / 'out.har'
        select = [name]  # the positional CACHE: a directory is a filesystem cache
        commands: list[tuple[str, list[str], int]] = [
            ('info', ['info', *select], 0),
            ('list', ['list', *select], 0),
            ('list | head', ['list', *select], 10),
            ('export --har', ['export', *select, '--har', str(har)], 0),
        ]
        floor_runs = [floor(cwd) for _ in range(options.repeat)]
        base_seconds = statistics.median(s for s, _ in floor_runs)
        base_mib = statistics.median(m for _, m in floor_runs)
        print(
            f'{options.backend}, {options.entries} entries (built in {built:.1f} s), '
            f'Python {sys.version.split()[0]}, {sys.platform}, {os.cpu_count()} CPUs'
        )
        print(f'{"command":<14}{"seconds":>9}{"x floor":>9}{"peak MiB":>10}  goal')
        print(f'{"(floor)":<14}{base_seconds:>9.3f}{1:>9.1f}{base_mib:>10.1f}  python + import')
        for label, args, head in commands:
            runs = [run_command(args, cwd, head) for _ in range(options.repeat)]
            seconds = statistics.median(r[0] for r in runs)
            mib = max(r[1] for r in runs)
            print(
                f'{label:<14}{seconds:>9.3f}{seconds / base_seconds:>9.1f}{mib:>10.1f}  '
                f'{_goal(label, seconds, mib)}'
            )
        if har.exists():
            print(f'HAR file: {har.stat().st_size / 1e6:.0f} MB')


def _goal(label: str, seconds: float, mib: float) -> str:
    goal_seconds, goal_mib = GOALS.get(label, (None, None))
    parts = []
    if goal_seconds is not None:
        parts.append(f'< {goal_seconds} s: {"met" if seconds < goal_seconds else "MISSED"}')
    if goal_mib is not None:
        parts.append(f'< {goal_mib:g} MiB: {"met" if mib < goal_mib else "MISSED"}')
    return ', '.join(parts)


if __name__ == '__main__':
    main()
