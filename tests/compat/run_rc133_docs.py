"""Run requests-cache 1.3.3's documentation samples against 1.3.3 and against this package.

Usage::

    python tests/compat/run_rc133_docs.py PATH [--rc133-python PYTHON] [--list]

``PATH`` is a checkout of requests-cache at 1.3.3 (its ``docs/``, ``examples/`` and
``README.md``; the docs are not in the sdist). The samples are read from there at run time and
never copied into this repository. Each ```python block of a page, and each example script, runs
in a child process: first with requests-cache 1.3.3 (in a throwaway virtual environment, unless
``--rc133-python`` names one), then with the interpreter running this script (ours). Blocks of one
page run in order in one namespace, as a reader types them; doctest prompts (``>>>``, ``...``) are
stripped and their output lines dropped. Each page starts with what the docs take as already
imported (``requests``, ``datetime``, requests-cache 1.x's top-level names) and a default
``session = CachedSession()``. ``https://httpbin.org`` is replaced by a local httpbin
(pytest-httpbin's), and resolving any other host fails: nothing reaches the internet.

The figures: how many samples run on 1.3.3, and how many of those run on ours; ``--list`` prints
each sample that runs on 1.3.3 and not on ours, with its error. Exits 1 if there is any.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REQUIREMENTS = [
    'requests-cache==1.3.3',
    'pyyaml',
    'redis',
    'pymongo',
    'boto3',
    'itsdangerous',
    'ujson',
    'orjson',
    'requests-mock',
    'responses',
    'time-machine',
    'rich',
]
FENCE = re.compile(r'^```python[ \t]*\n(.*?)^```[ \t]*$', re.DOTALL | re.MULTILINE)
PLACEHOLDERS = ('https://httpbin.org', 'http://httpbin.org')
BLOCK_TIMEOUT = 20

#: Run in the child: blocks in order in one namespace, offline, in a temporary directory.
CHILD = r"""
import json, os, signal, socket, sys, tempfile
blocks = json.load(sys.stdin)
NAMES = json.loads(sys.argv[2])
TIMEOUT = int(sys.argv[3])
real = socket.getaddrinfo
def local_only(host, *args, **kwargs):
    if host not in ('127.0.0.1', 'localhost'):
        raise OSError(f'samples must not use the network (tried {host!r})')
    return real(host, *args, **kwargs)
socket.getaddrinfo = local_only
os.chdir(tempfile.mkdtemp())
os.environ['XDG_CACHE_HOME'] = os.path.join(os.getcwd(), 'user-cache')
tempfile.tempdir = os.getcwd()
def timeout(*_):
    raise TimeoutError('sample took too long')
signal.signal(signal.SIGALRM, timeout)
namespace = {'__name__': '__main__'}
# What the docs take as already imported: the usual modules, and requests-cache 1.x's top level
# (which 1.x samples use as `from requests_cache import *` would give them).
exec('import re, time, requests\n'
     'from datetime import datetime, timedelta, timezone\n'
     'from requests import Request, Response, Session\n'
     'import requests_cache\n', namespace)
for name in NAMES:
    if hasattr(namespace['requests_cache'], name):
        namespace[name] = getattr(namespace['requests_cache'], name)
exec('session = CachedSession()', namespace)
results = []
for code in blocks:
    signal.alarm(TIMEOUT)
    try:
        exec(compile(code, 'sample', 'exec'), namespace)
        results.append(None)
    except BaseException as exc:
        results.append(f'{type(exc).__name__}: {exc}'[:300])
    finally:
        signal.alarm(0)
with open(sys.argv[1], 'w') as out:
    json.dump(results, out)
"""


@dataclass
class Sample:
    """One block of a page (or one example script)."""

    where: str
    code: str


def main(argv: list[str] | None = None) -> int:
    """Collect the samples, run them on both versions, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('path', type=Path, help='a checkout of requests-cache at 1.3.3')
    parser.add_argument('--rc133-python', help='an interpreter with requests-cache 1.3.3')
    parser.add_argument('--list', action='store_true', help='print every regression')
    parser.add_argument(
        '--why', action='store_true', help='also print why each sample fails on 1.3.3 and ours'
    )
    args = parser.parse_args(argv)
    pages = collect(args.path)
    from httpbin import app
    from pytest_httpbin import serve

    server = serve.Server(application=app)
    server.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            python = args.rc133_python or _venv_with_rc133(Path(tmp))
            old = run_all(python, pages, server.url)
            ours = run_all(sys.executable, pages, server.url)
    finally:
        server.stop()
    return report(pages, old, ours, args.list, args.why)


def collect(root: Path) -> dict[str, list[Sample]]:
    """Page name -> its samples: the python blocks of every doc page, each example whole."""
    pages: dict[str, list[Sample]] = {}
    for page in [*sorted((root / 'docs').rglob('*.md')), root / 'README.md']:
        text = page.read_text(encoding='utf-8')
        blocks = [
            Sample(f'{page.relative_to(root)}:{text.count(chr(10), 0, m.start()) + 2}', m.group(1))
            for m in FENCE.finditer(text)
        ]
        if blocks:
            pages[str(page.relative_to(root))] = blocks
    for script in sorted((root / 'examples').glob('*.py')):
        where = str(script.relative_to(root))
        pages[where] = [Sample(where, script.read_text(encoding='utf-8'))]
    return pages


def runnable(code: str, base_url: str) -> str:
    """A sample as it is run: doctest prompts stripped, httpbin.org pointed at the local one."""
    lines = code.splitlines()
    if any(line.startswith('>>>') for line in lines):
        lines = [line[4:] for line in lines if line.startswith(('>>>', '...'))]
    text = '\n'.join(lines)
    for placeholder in PLACEHOLDERS:
        text = text.replace(placeholder, base_url)
    return text.replace('httpbin.org', base_url.split('://', 1)[1])


def run_all(python: str, pages: dict[str, list[Sample]], base_url: str) -> dict[str, bool | str]:
    """Sample location -> True if it ran, else its error."""
    results: dict[str, bool | str] = {}
    for samples in pages.values():
        codes = [runnable(sample.code, base_url) for sample in samples]
        for sample, error in zip(samples, _run_page(python, codes)):
            results[sample.where] = True if error is None else error
    return results


def _run_page(python: str, codes: list[str]) -> list[str | None]:
    with tempfile.NamedTemporaryFile(suffix='.json') as out:
        try:
            subprocess.run(
                [python, '-c', CHILD, out.name, json.dumps(_names_1x()), str(BLOCK_TIMEOUT)],
                input=json.dumps(codes).encode(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=BLOCK_TIMEOUT * len(codes) + 60,
            )
        except subprocess.TimeoutExpired:
            return ['the page timed out'] * len(codes)
        data = Path(out.name).read_text()
    if not data:
        return ['the process died'] * len(codes)
    return json.loads(data)  # type: ignore[no-any-return]


def _names_1x() -> list[str]:
    """requests-cache 1.3.3's top-level public names (from the committed list)."""
    data = Path(__file__).parent / 'data' / 'rc133_public_names.json'
    return sorted(json.loads(data.read_text())['modules']['requests_cache'])


def _venv_with_rc133(directory: Path) -> str:
    subprocess.run([sys.executable, '-m', 'venv', str(directory)], check=True)
    python = str(directory / 'bin' / 'python')
    subprocess.run(
        [python, '-m', 'pip', 'install', '--quiet', *REQUIREMENTS, 'pytest-httpbin'], check=True
    )
    return python


def report(
    pages: dict[str, list[Sample]],
    old: dict[str, bool | str],
    ours: dict[str, bool | str],
    full: bool,
    why: bool = False,
) -> int:
    """Print the figures; 1 if a sample that runs on 1.3.3 fails on ours."""
    total = sum(len(samples) for samples in pages.values())
    on_old = [where for where, ok in old.items() if ok is True]
    regressions = {where: ours[where] for where in on_old if ours[where] is not True}
    print('--- requests-cache 1.3.3 documentation samples ---')
    print(f'samples: {total} ({len(pages)} pages and examples)')
    print(f'run on requests-cache 1.3.3: {len(on_old)}')
    print(f'run on ours: {sum(1 for ok in ours.values() if ok is True)}')
    print(f'run on 1.3.3 and on ours: {len(on_old) - len(regressions)} of {len(on_old)}')
    if full:
        for where, error in sorted(regressions.items()):
            print(f'REGRESSION {where}: {error}')
    if why:
        for where in sorted(old):
            if old[where] is not True:
                print(f'not on 1.3.3: {where}: {old[where]} | ours: {ours[where]}')
    return 1 if regressions else 0


if __name__ == '__main__':
    sys.exit(main())
