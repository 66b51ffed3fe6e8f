"""Run requests' own test suite with this package's cache installed: ``make requests-suite``.

What it does, in order:

1. Downloads the sdist of the installed requests release with pip (into ``.cache/requests``,
   ignored by git) and unpacks it into a temporary directory (some tests open its files, such as
   ``requirements-dev.txt``). Nothing in it is edited; its package is under ``src/``, so the
   installed requests is what the tests import.
2. Runs that suite twice with the interpreter running this script: once as it is, and once with
   ``requests_cache.install_cache(backend='memory')`` around every test (a fresh cache each, so
   no test sees another's responses). Both runs load a plugin that makes every host but the
   loopback fail to resolve: the suite never reaches the internet, and the few tests that need
   it fail alike in both runs.
3. Prints the tests that fail only with the cache installed. Those a cache is expected to change
   are listed in `EXPECTED` with the reason; the script exits 1 if any other test fails only
   with the cache (or if an expected one passes, so the list stays true).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import requests
from run_rc133 import extract  # Why: the runners are scripts, not a package.

ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = ROOT / '.cache' / 'requests'

#: Tests that fail with any cache installed, because serving from the cache is the point.
EXPECTED = {
    'tests/test_testserver.py::TestTestServer::test_multiple_requests': (
        'expects the sixth GET of one URL to fail once the server stops answering; a cache serves '
        'it (requests-cache 1.3.3 fails it too)'
    ),
}

_LOOPBACK_PLUGIN = '''
"""Every host but the loopback fails to resolve."""
import socket

_resolve = socket.getaddrinfo


def _loopback_only(host, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else host
    if name not in ('localhost', '::1', None, '') and not str(name).startswith('127.'):
        raise socket.gaierror(socket.EAI_NONAME, f'not a loopback host: {name!r}')
    return _resolve(host, *args, **kwargs)


socket.getaddrinfo = _loopback_only
'''

_CACHE_PLUGIN = '''
"""requests_cache installed around every test, with a fresh memory cache."""
import pytest
import requests_cache


@pytest.fixture(autouse=True)
def _installed_cache():
    requests_cache.install_cache('requests_suite', backend='memory')
    yield
    requests_cache.uninstall_cache()
'''

# pytest -rfE lines: 'FAILED tests/test_x.py::test_y[a b] - message' (the message may be cut).
_FAILED = re.compile(r'^(?:FAILED|ERROR) (.+?)(?: - .*)?$')


def main(argv: list[str] | None = None) -> int:
    """Download the suite, run it without and with the cache, and compare."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('pytest_args', nargs='*', help='extra pytest arguments, after --')
    args = parser.parse_args(argv)
    sdist = download_sdist(requests.__version__)
    with tempfile.TemporaryDirectory(prefix='requests-suite-') as tmp:
        workdir, plugins = Path(tmp) / 'requests', Path(tmp) / 'plugins'
        unpack(sdist, workdir)
        plugins.mkdir()
        (plugins / 'rc_loopback.py').write_text(textwrap.dedent(_LOOPBACK_PLUGIN))
        (plugins / 'rc_installed.py').write_text(textwrap.dedent(_CACHE_PLUGIN))
        plain = run_pytest(workdir, plugins, ['rc_loopback'], args.pytest_args)
        cached = run_pytest(workdir, plugins, ['rc_loopback', 'rc_installed'], args.pytest_args)
    return report(plain, cached)


def download_sdist(version: str) -> Path:
    """The sdist of requests ``version``, downloaded once with pip into ``.cache/requests``."""
    path = CACHE_DIR / f'requests-{version}.tar.gz'
    if not path.exists():
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                *(sys.executable, '-m', 'pip', 'download', '--quiet', '--no-deps'),
                *('--no-binary', ':all:', f'requests=={version}', '-d', str(CACHE_DIR)),
            ],
            check=True,
        )
    return path


def unpack(sdist: Path, target: Path) -> None:
    """The sdist's files and folders (no links) under ``target``, without its top folder."""
    extract(sdist, target, lambda name: Path(*Path(name).parts[1:]) if '/' in name else None)


def run_pytest(workdir: Path, plugin_dir: Path, plugins: list[str], extra: list[str]) -> set[str]:
    """The ids of the tests that failed or errored, with ``plugins`` (from ``plugin_dir``)."""
    command = [sys.executable, '-m', 'pytest', 'tests', '-q', '-rfE', '-p', 'no:cacheprovider']
    for plugin in plugins:
        command += ['-p', plugin]
    # Proxy variables would send the suite's requests elsewhere; the suite sets its own.
    env = {k: v for k, v in os.environ.items() if 'proxy' not in k.lower()}
    env['PYTHONPATH'] = str(plugin_dir)
    done = subprocess.run(command + extra, cwd=workdir, env=env, capture_output=True, text=True)
    summary = done.stdout.strip().splitlines()[-1:] or ['(no output)']
    print(f'{" + ".join(plugins)}: {summary[0]}')
    if done.returncode not in (0, 1):  # 1: some tests failed; anything else: pytest itself did
        print(done.stdout[-3000:], done.stderr[-3000:], sep='\n')
        raise SystemExit(f'pytest exited with {done.returncode}')
    return failed_ids(done.stdout)


def failed_ids(output: str) -> set[str]:
    """The ids of the failed and errored tests in pytest's ``-rfE`` summary."""
    return {m.group(1) for line in output.splitlines() if (m := _FAILED.match(line))}


def report(plain: set[str], cached: set[str]) -> int:
    """Print the tests that fail only with the cache; 1 if any is unexpected."""
    only_cached = sorted(cached - plain)
    unexpected = [test for test in only_cached if test not in EXPECTED]
    stale = sorted(set(EXPECTED) - set(only_cached))
    print(f'fail without the cache too: {len(plain & cached)}; only with it: {len(only_cached)}')
    for test in only_cached:
        print(f'  {test}: {EXPECTED.get(test, "UNEXPECTED")}')
    for test in stale:
        print(f'  {test}: listed in EXPECTED but did not fail only with the cache')
    return 1 if unexpected or stale else 0


if __name__ == '__main__':
    raise SystemExit(main())
