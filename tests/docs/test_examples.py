"""Every script in examples/ runs to completion, on its own, in a few seconds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / 'examples'
SCRIPTS = sorted(p for p in EXAMPLES.glob('*.py') if not p.name.startswith('_'))


@pytest.mark.parametrize('script', SCRIPTS, ids=lambda path: path.name)
def test_example_runs(script: Path, tmp_path: Path) -> None:
    """The example exits with status 0, with warnings as errors, and prints something."""
    env = {**os.environ, 'NO_PROXY': '127.0.0.1,localhost', 'PYTHONWARNINGS': 'error'}
    for name in ('HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy'):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert list(tmp_path.iterdir()) == []  # examples clean up after themselves


def test_examples_are_found() -> None:
    """The parametrized test above has the examples the docs point to."""
    names = {script.name for script in SCRIPTS}
    assert {'quickstart.py', 'custom_backend.py', 'conditional_requests.py'} <= names
