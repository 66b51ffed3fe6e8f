"""The conformance runner counts results the way cache-tests.fyi does."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

RUN_PY = Path(__file__).resolve().parents[2] / 'conformance' / 'run.py'


def _runner():
    spec = importlib.util.spec_from_file_location('conformance_run', RUN_PY)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault('conformance_run', module)
    spec.loader.exec_module(module)
    return module


def _record(test_id, kind='required', result=True, depends_on=(), disconnects=0):
    return {
        'id': test_id,
        'kind': kind,
        'result': result,
        'depends_on': list(depends_on),
        'disconnects': disconnects,
    }


def test_a_test_whose_dependency_failed_counts_as_failed():
    """Passing results count only if every test they depend on, transitively, passed."""
    records = [
        _record('base', result=['Assertion', 'Response 2 comes from cache']),
        _record('direct', depends_on=['base']),
        _record('transitive', kind='optimal', depends_on=['direct']),
        _record('independent', kind='optimal'),
        _record('check', kind='check', result=True),
        _record('after-check', depends_on=['check']),
        _record('not-run', result=None),
        _record('outside-profile', depends_on=['browser-skipped']),
    ]
    totals = _runner().count(records)
    assert totals == {'required': (1, 5), 'optimal': (1, 2), 'check': (1, 1)}


def test_failures_name_the_reason():
    """Each test that did not pass is listed with its own error or the dependency that failed."""
    records = [
        _record('base', result=['Assertion', 'Response 2 comes from cache']),
        _record('direct', depends_on=['base']),
        _record('fine'),
    ]
    assert _runner().failures(records) == [
        ('required', 'base', 'Assertion: Response 2 comes from cache'),
        ('required', 'direct', 'depends on base'),
    ]
