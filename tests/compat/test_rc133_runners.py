"""The tools that measure 1.x compatibility (``make compat`` and the docs runner) read what they
are given correctly: a wrong count here would make every figure they print wrong."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import run_rc133  # Why: the runners are scripts, not a package.
import run_rc133_docs
import run_requests_suite

CATEGORIES = {
    '1.x internal class',
    'mock.patch of internals',
    'exact digest pin',
    '1.x storage layout',
    'deliberate difference',
}


def test_every_exclusion_has_a_known_category_and_a_reason() -> None:
    """Each excluded test id carries one of the five categories and a reason after it."""
    excluded = run_rc133.read_exclusions(run_rc133.EXCLUDED_FILE)
    assert len(excluded) > 100
    for test_id, reason in excluded.items():
        category, _, why = reason.partition(': ')
        assert category in CATEGORIES and why, test_id
        assert test_id.startswith('tests/') and '::' in test_id


def test_an_exclusion_without_a_reason_is_refused(tmp_path: Path) -> None:
    """A line without '  # <reason>' stops the runner instead of excluding silently."""
    listing = tmp_path / 'excluded.txt'
    listing.write_text('tests/unit/test_x.py::test_y\n')
    with pytest.raises(SystemExit, match='reason'):
        run_rc133.read_exclusions(listing)


def test_junit_ids_are_pytest_node_ids(tmp_path: Path) -> None:
    """Inherited tests get their subclass's module in the id, not the base class's file."""
    report = tmp_path / 'junit.xml'
    suite = ET.Element('testsuite')
    cases = [
        ('tests.integration.test_sqlite.TestSQLiteCache', 'test_a', 'failure'),
        ('tests.unit.test_session', 'test_b[x-1]', None),
        ('tests.unit.test_session', 'test_c', 'skipped'),
    ]
    for classname, name, outcome in cases:
        case = ET.SubElement(suite, 'testcase', classname=classname, name=name)
        if outcome:
            ET.SubElement(case, outcome, message='boom')
    ET.ElementTree(suite).write(report)
    result = run_rc133.parse_junit(report)
    assert result.failed == {'tests/integration/test_sqlite.py::TestSQLiteCache::test_a': 'boom'}
    assert result.passed == ['tests/unit/test_session.py::test_b[x-1]']
    assert list(result.skipped) == ['tests/unit/test_session.py::test_c']
    assert result.pass_rate == 0.5


def test_doc_samples_are_made_runnable() -> None:
    """Doctest prompts are stripped, output dropped, and httpbin.org pointed at the local one."""
    sample = '>>> r = session.get("https://httpbin.org/get")\n>>> print(r)\n<Response [200]>\n'
    code = run_rc133_docs.runnable(sample, 'http://127.0.0.1:9')
    assert code == 'r = session.get("http://127.0.0.1:9/get")\nprint(r)'


def test_doc_samples_are_collected_by_page(tmp_path: Path) -> None:
    """Every ```python block of a page is one sample, in order; each example script is one."""
    (tmp_path / 'docs' / 'guide').mkdir(parents=True)
    (tmp_path / 'examples').mkdir()
    (tmp_path / 'docs' / 'guide' / 'page.md').write_text(
        'Text\n```python\na = 1\n```\n```bash\nls\n```\n```python\nb = a\n```\n'
    )
    (tmp_path / 'README.md').write_text('nothing to run\n')
    (tmp_path / 'examples' / 'demo.py').write_text('print(1)\n')
    pages = run_rc133_docs.collect(tmp_path)
    assert {k: [s.code for s in v] for k, v in pages.items()} == {
        'docs/guide/page.md': ['a = 1\n', 'b = a\n'],
        'examples/demo.py': ['print(1)\n'],
    }


def test_requests_suite_runner_reads_failed_ids_whole() -> None:
    """Failed and errored ids are read up to the message, spaces in parameters included."""
    output = (
        'FAILED tests/test_a.py::test_x[a b] - AssertionError: no\n'
        'ERROR tests/test_b.py::test_y\n'
        'PASSED tests/test_c.py::test_z\n'
        '2 failed, 1 passed in 0.1s\n'
    )
    assert run_requests_suite.failed_ids(output) == {
        'tests/test_a.py::test_x[a b]',
        'tests/test_b.py::test_y',
    }


def test_requests_suite_runner_fails_on_what_only_the_cache_breaks(capsys) -> None:
    """A test failing only with the cache fails the run unless it is expected; failures
    without the cache too are not the cache's, and an expected failure that stops failing is
    reported so the list stays true."""
    expected = next(iter(run_requests_suite.EXPECTED))
    plain = {'tests/test_net.py::test_internet'}
    assert run_requests_suite.report(plain, plain | {expected}) == 0
    assert run_requests_suite.report(plain, plain | {expected, 'tests/t.py::test_new'}) == 1
    assert 'UNEXPECTED' in capsys.readouterr().out
    assert run_requests_suite.report(plain, plain) == 1
    assert 'did not fail only with the cache' in capsys.readouterr().out
