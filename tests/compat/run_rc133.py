"""Run requests-cache 1.3.3's own test suite against this package: ``make compat``.

What it does, in order:

1. Downloads requests-cache 1.3.3's sdist with pip (into ``.cache/rc133``, ignored by git) and
   checks its SHA-256.
2. Copies only the sdist's ``tests/`` folder into a temporary directory, so the sdist's own
   ``requests_cache`` package can never shadow ours. Nothing in it is edited and nothing of ours
   is added to it.
3. Makes sure the services its integration tests expect are there, on the addresses the suite
   hard-codes: Redis on localhost:6379 (a ``redis-server`` is started if nothing listens there),
   moto's server for DynamoDB on localhost:8000 (started and stopped again unless one runs), and
   pytest-httpbin for the httpbin tests (``USE_PYTEST_HTTPBIN=true``, which the suite supports).
   The MongoDB and GridFS tests run only if a MongoDB server listens on localhost:27017.
4. Runs pytest there with the interpreter running this script (``.venv``, where our package is
   installed), deselecting the tests listed in ``rc133_excluded.txt`` (each with its reason).
5. Prints passed / failed / excluded / skipped and the pass rate over the tests that ran and are
   not excluded; exits non-zero if that rate is under ``--min-pass-rate``.

Options: failing test ids are always printed; ``--list`` adds their whole first error line; other
arguments after ``--`` go to pytest (``-- -k redis``).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import re
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = ROOT / '.cache' / 'rc133'
SDIST = 'requests_cache-1.3.3.tar.gz'
SDIST_SHA256 = '79b72d5ac5143992d1836ad78f4d8e65666061dd44e220548caab3723089826b'
EXCLUDED_FILE = Path(__file__).with_name('rc133_excluded.txt')
MONGO_TEST_FILE = 'tests/integration/test_mongodb.py'
REDIS = ('127.0.0.1', 6379)
DYNAMODB = ('127.0.0.1', 8000)
MONGODB = ('127.0.0.1', 27017)
# pytest's last line (with -q, no '=' border): '129 failed, 1101 passed, ... in 65.43s'.
_SUMMARY = re.compile(r'^=*\s*\d+ (passed|failed|errors?|deselected)\b.* in [0-9.]+s')


def main(argv: list[str] | None = None) -> int:
    """Download, set up services, run the suite and print the figures."""
    args = _parse_args(argv)
    sdist = download_sdist()
    excluded = read_exclusions(EXCLUDED_FILE)
    with tempfile.TemporaryDirectory(prefix='rc133-') as tmp:
        workdir = Path(tmp)
        extract_tests(sdist, workdir)
        with contextlib.ExitStack() as services:
            services.enter_context(redis_server())
            services.enter_context(moto_server())
            mongo = listening(*MONGODB)
            result = run_pytest(workdir, excluded, mongo, args.pytest_args)
    print_report(result, excluded, mongo, args.list)
    if result.pass_rate < args.min_pass_rate:
        print(f'FAILED: the pass rate is under --min-pass-rate {args.min_pass_rate:.0%}')
        return 1
    return 0


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--list', action='store_true', help='print every failing test id')
    parser.add_argument(
        '--min-pass-rate',
        type=float,
        default=0.0,
        help='exit 1 if fewer than this fraction of the non-excluded tests pass (e.g. 0.95)',
    )
    parser.add_argument('pytest_args', nargs='*', help='extra pytest arguments, after --')
    return parser.parse_args(argv)


# --- the sdist ---------------------------------------------------------------------------------
def download_sdist() -> Path:
    """The 1.3.3 sdist, downloaded once with pip into ``.cache/rc133`` and checked."""
    path = CACHE_DIR / SDIST
    if not path.exists():
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                *(sys.executable, '-m', 'pip', 'download', '--quiet', '--no-deps'),
                *('--no-binary', ':all:', 'requests-cache==1.3.3', '-d', str(CACHE_DIR)),
            ],
            check=True,
        )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != SDIST_SHA256:
        raise SystemExit(f'{path}: SHA-256 {digest} is not the expected {SDIST_SHA256}')
    return path


def extract_tests(sdist: Path, target: Path) -> None:
    """Copy the sdist's ``tests/`` folder, and nothing else, to ``target/tests``."""
    prefix = 'requests_cache-1.3.3/tests/'
    extract(
        sdist,
        target,
        lambda name: Path('tests') / name[len(prefix) :] if name.startswith(prefix) else None,
    )


def extract(sdist: Path, target: Path, place: Callable[[str], Optional[Path]]) -> None:
    """Write the sdist's files and folders (never links) under ``target``, each at the relative
    path ``place`` gives its name; those it gives None, or a path leaving ``target``, are left out.
    """
    with tarfile.open(sdist) as archive:
        for member in archive.getmembers():
            relative = place(member.name)
            kept = member.isfile() or member.isdir()
            if relative is None or '..' in relative.parts or not kept:
                continue
            if member.isdir():
                (target / relative).mkdir(parents=True, exist_ok=True)
                continue
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            source = archive.extractfile(member)
            assert source is not None
            (target / relative).write_bytes(source.read())


def read_exclusions(path: Path) -> dict[str, str]:
    """Test id -> reason, from lines ``<test id>  # <reason>``; blank lines and ``#`` lines skip."""
    excluded: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        test_id, sep, reason = line.partition('  # ')
        if not sep or not reason.strip():
            raise SystemExit(f'{path}:{number}: every excluded test needs "  # <reason>"')
        excluded[test_id.strip()] = reason.strip()
    return excluded


# --- services ----------------------------------------------------------------------------------
def listening(host: str, port: int) -> bool:
    """True if something accepts TCP connections on ``host:port``."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


@contextlib.contextmanager
def redis_server() -> Iterator[None]:
    """Redis on localhost:6379: the one already listening, or a redis-server started here."""
    if listening(*REDIS):
        print('Redis: using the server listening on 127.0.0.1:6379')
        yield
        return
    command = ['redis-server', '--port', str(REDIS[1]), '--bind', REDIS[0]]
    command += ['--save', '', '--appendonly', 'no']
    with _service('Redis', command, REDIS):
        yield


@contextlib.contextmanager
def moto_server() -> Iterator[None]:
    """moto's DynamoDB server on localhost:8000: the one already listening, or one started here."""
    if listening(*DYNAMODB):
        print('DynamoDB: using the server listening on 127.0.0.1:8000')
        yield
        return
    command = [sys.executable, '-m', 'moto.server', '-H', DYNAMODB[0], '-p', str(DYNAMODB[1])]
    with _service('DynamoDB (moto)', command, DYNAMODB):
        yield


@contextlib.contextmanager
def _service(name: str, command: list[str], address: tuple[str, int]) -> Iterator[None]:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not listening(*address):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f'{name}: could not start {" ".join(command)}')
            time.sleep(0.1)
        print(f'{name}: started on {address[0]}:{address[1]} (pid {process.pid})')
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- running and counting ----------------------------------------------------------------------
@dataclass
class SuiteResult:
    """Outcomes by test id, from pytest's JUnit XML."""

    passed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    not_run_mongo: int = 0
    excluded_present: list[str] = field(default_factory=list)
    exit_code: int = 0

    @property
    def pass_rate(self) -> float:
        """Passed / (passed + failed): excluded and skipped tests are not counted."""
        ran = len(self.passed) + len(self.failed)
        return len(self.passed) / ran if ran else 0.0


def run_pytest(
    workdir: Path, excluded: dict[str, str], mongo: bool, extra: list[str]
) -> SuiteResult:
    """Run the copied suite with our package and count the outcomes."""
    report = workdir / 'junit.xml'
    env = dict(os.environ)
    env.update(
        USE_PYTEST_HTTPBIN='true',
        AWS_ACCESS_KEY_ID='placeholder',
        AWS_SECRET_ACCESS_KEY='placeholder',
        AWS_DEFAULT_REGION='us-east-1',
        PYTHONDONTWRITEBYTECODE='1',
    )
    env.pop('PYTHONPATH', None)
    command = [sys.executable, '-m', 'pytest', 'tests', '-p', 'no:cacheprovider', '-q']
    command += ['--continue-on-collection-errors']
    command += ['--junitxml', str(report), '--timeout', '120']
    command += ['--ignore', 'tests/benchmark_serializers.py']
    for test_id in excluded:
        command += ['--deselect', test_id]
    if not mongo:
        command += ['--ignore', MONGO_TEST_FILE]
    command += extra
    # Its output (and pytest-httpbin's request log) goes to a file; the figures are the report.
    completed = subprocess.run(
        command, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    summary = [line for line in completed.stdout.splitlines() if _SUMMARY.match(line)]
    print(f'pytest: {summary[-1].strip("= ") if summary else "(no summary line)"}')
    result = parse_junit(report) if report.exists() else SuiteResult()
    result.exit_code = completed.returncode
    if not report.exists():
        raise SystemExit('pytest produced no report')
    result.excluded_present = _collected_excluded(workdir, excluded, env, mongo)
    if not mongo:
        result.not_run_mongo = _count_collected(workdir, [MONGO_TEST_FILE], env)
    return result


def parse_junit(report: Path) -> SuiteResult:
    """Outcomes by test id from a JUnit XML report."""
    result = SuiteResult()
    for case in ET.parse(report).getroot().iter('testcase'):
        test_id = _test_id(case)
        failure = case.find('failure')
        if failure is None:
            failure = case.find('error')
        skipped = case.find('skipped')
        if failure is not None:
            message = (failure.get('message') or failure.text or '').strip()
            result.failed[test_id] = message.splitlines()[0][:200] if message else ''
        elif skipped is not None:
            result.skipped[test_id] = (skipped.get('message') or '')[:200]
        else:
            result.passed.append(test_id)
    return result


def _test_id(case: ET.Element) -> str:
    """The pytest node id of a JUnit test case: its module from ``classname`` (lower-case parts,
    up to the first class), not ``file``, which names the base class's file for inherited tests."""
    parts = (case.get('classname') or '').split('.')
    split = next((i for i, part in enumerate(parts) if part[:1].isupper()), len(parts))
    module = '/'.join(parts[:split]) + '.py'
    return '::'.join([module, *parts[split:], case.get('name') or ''])


def _count_collected(workdir: Path, paths: list[str], env: dict[str, str]) -> int:
    command = [sys.executable, '-m', 'pytest', '--collect-only', '-q', '-p', 'no:cacheprovider']
    output = subprocess.run(
        [*command, *paths], cwd=workdir, env=env, capture_output=True, text=True
    ).stdout
    return sum(1 for line in output.splitlines() if '::' in line)


def _collected_excluded(
    workdir: Path, excluded: dict[str, str], env: dict[str, str], mongo: bool
) -> list[str]:
    """The excluded ids that name tests the suite has (a stale entry is reported)."""
    command = [sys.executable, '-m', 'pytest', '--collect-only', '-q', '-p', 'no:cacheprovider']
    command += ['tests', '--ignore', 'tests/benchmark_serializers.py']
    output = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True)
    collected = {line.strip() for line in output.stdout.splitlines() if '::' in line}
    return [test_id for test_id in excluded if test_id in collected]


def print_report(result: SuiteResult, excluded: dict[str, str], mongo: bool, full: bool) -> None:
    """The figures, the exclusion reasons summarized, and (with --list) every failure."""
    stale = sorted(set(excluded) - set(result.excluded_present))
    for test_id, message in sorted(result.failed.items()):
        # Always named: a failure here is news; --list adds the rest of the first error line.
        print(f'FAILED {test_id}: {message if full else message[:100]}')
    reasons: dict[str, int] = {}
    for test_id in result.excluded_present:
        category = excluded[test_id].split(':')[0]
        reasons[category] = reasons.get(category, 0) + 1
    print('\n--- requests-cache 1.3.3 test suite against this package ---')
    print(f'passed:   {len(result.passed)}')
    print(f'failed:   {len(result.failed)}')
    print(f'excluded: {len(result.excluded_present)} (see {EXCLUDED_FILE.name})')
    for category, count in sorted(reasons.items(), key=lambda item: -item[1]):
        print(f'  {count:4d}  {category}')
    print(f'skipped:  {len(result.skipped)} (by the suite itself)')
    if mongo:
        print('MongoDB/GridFS tests: ran against the server on 127.0.0.1:27017')
    else:
        print(
            f'MongoDB/GridFS tests: {result.not_run_mongo} not run (no server on 127.0.0.1:27017)'
        )
    if stale:
        print(f'stale exclusions (no such test): {len(stale)}: {", ".join(stale[:5])}')
    print(f'pass rate over non-excluded tests that ran: {result.pass_rate:.1%}')


if __name__ == '__main__':
    sys.exit(main())
