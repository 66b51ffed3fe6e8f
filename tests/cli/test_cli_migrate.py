"""`requests-cache migrate`: a requests-cache 1.3.3 cache file copied into ours."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).parent.parent / 'fixtures'


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, '-m', 'requests_cache', *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=60)


def test_migrate_refuses_pickle_without_trust(tmp_path):
    """Without --trust-pickle a 1.x SQLite source is refused with a usage error naming the flag."""
    source = shutil.copy(FIXTURES / 'rc133_cache.sqlite', tmp_path / 'old.sqlite')
    result = _cli('-c', 'new', 'migrate', str(source), cwd=tmp_path)
    assert result.returncode == 2 and 'trust' in result.stderr


def test_migrate_with_trust_pickle_copies_every_response(tmp_path):
    """With --trust-pickle every 1.x response lands in the new cache, which list then shows."""
    source = shutil.copy(FIXTURES / 'rc133_cache.sqlite', tmp_path / 'old.sqlite')
    result = _cli('-c', 'new', '--json', 'migrate', str(source), '--trust-pickle', cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {'copied': 3, 'skipped': [], 'failed': []}
    listed = _cli('-c', 'new', '--json', 'list', cwd=tmp_path)
    assert len(json.loads(listed.stdout)) == 3


def test_migrate_help_explains_the_pickle_risk(tmp_path):
    """migrate --help says why --trust-pickle is needed."""
    result = _cli('migrate', '--help', cwd=tmp_path)
    assert result.returncode == 0 and 'runs any code' in result.stdout
