"""Behaviour that only appears on a terminal: the progress counter and clear's confirmation."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import Runner, Urls

pytestmark = pytest.mark.skipif(not hasattr(os, 'openpty'), reason='needs a pseudo-terminal')


def run_on_tty(cwd: Path, *args: str, answer: bytes = b'') -> tuple[int, str, str]:
    """Run the CLI with stdin and stderr on a pseudo-terminal; stdout stays a pipe."""
    controller, terminal = os.openpty()
    try:
        os.write(controller, answer)
        done = subprocess.run(
            [sys.executable, '-m', 'requests_cache', *args],
            cwd=cwd,
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=terminal,
            timeout=60,
        )
        os.close(terminal)
        terminal = -1
        chunks = []
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # Linux reports EIO once the terminal side is closed and drained
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        if terminal != -1:
            os.close(terminal)
        os.close(controller)
    return done.returncode, done.stdout.decode(), b''.join(chunks).decode(errors='replace')


def test_progress_is_drawn_on_a_terminal_only(run: Runner, filled: Urls, tmp_path: Path) -> None:
    """A sorted list draws a progress bar on a terminal's stderr while it reads, and never on a
    captured stderr."""
    code, stdout, stderr = run_on_tty(tmp_path, 'list', '--sort', 'size', '--json')
    assert code == 0
    assert re.search(r'Reading \[#+\] 4/4 100%', stderr)
    assert stdout.lstrip().startswith('[')
    assert run('list', '--sort', 'size', '--json').stderr == ''


def test_clear_on_a_terminal_asks_first(run: Runner, filled: Urls, tmp_path: Path) -> None:
    """clear on a terminal deletes nothing unless the answer is yes."""
    code, stdout, stderr = run_on_tty(tmp_path, 'clear', answer=b'n\n')
    assert 'Delete all 4 responses' in stderr
    assert (code, stdout.strip()) == (0, 'Nothing deleted')
    assert run('info', '--json').json()['entries'] == 4
    code, stdout, _ = run_on_tty(tmp_path, 'clear', answer=b'y\n')
    assert (code, stdout.strip()) == (0, 'Cleared 4 responses')
