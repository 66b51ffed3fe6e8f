"""Every script in examples/ runs to completion, on its own, in a few seconds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / 'examples'
SCRIPTS = sorted(p for p in EXAMPLES.glob('*.py') if not p.name.startswith('_'))
#: Files an example leaves on purpose: the README's next step after `make demo` reads this one.
LEAVES = {'quickstart.py': ['demo_cache.sqlite']}


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
    # Examples clean up after themselves, except for what they leave on purpose.
    assert sorted(p.name for p in tmp_path.iterdir()) == LEAVES.get(script.name, [])


def test_examples_are_found() -> None:
    """The parametrized test above has the examples the docs point to."""
    names = {script.name for script in SCRIPTS}
    assert {'quickstart.py', 'custom_backend.py', 'conditional_requests.py'} <= names


def test_readme_next_step_reads_the_demo_cache(tmp_path: Path) -> None:
    """After the quickstart (make demo), `requests-cache info demo_cache.sqlite`, as the README
    shows it, finds the demo's 60 responses."""
    env = {**os.environ, 'NO_PROXY': '127.0.0.1,localhost'}
    demo = [sys.executable, str(EXAMPLES / 'quickstart.py')]
    subprocess.run(demo, cwd=tmp_path, env=env, capture_output=True, timeout=60, check=True)
    command = Path(sys.executable).with_name('requests-cache')  # .venv/bin/requests-cache
    done = subprocess.run(
        [str(command), 'info', 'demo_cache.sqlite'],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert 'Entries:      60 (0 expired)' in done.stdout
