"""Behaviour that only appears on a terminal: the progress counter and clear's confirmation."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Optional

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


def run_all_on_tty(cwd: Path, *args: str, env: Optional[dict[str, str]] = None) -> str:
    """Run the CLI with stdout and stderr on one pseudo-terminal; return what it displayed."""
    controller, terminal = os.openpty()
    try:
        subprocess.run(
            [sys.executable, '-m', 'requests_cache', *args],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=terminal,
            stderr=terminal,
            timeout=60,
            env={**os.environ, 'TERM': 'xterm-256color', 'NO_COLOR': '', **(env or {})},
            check=True,
        )
        os.close(terminal)
        terminal = -1
        chunks = []
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        if terminal != -1:
            os.close(terminal)
        os.close(controller)
    return b''.join(chunks).decode()


def test_list_on_a_terminal_has_a_header_row_and_colour(filled: Urls, tmp_path: Path) -> None:
    """On a terminal, list starts with a header row, and colours the status and expired rows."""
    lines = run_all_on_tty(tmp_path, 'list').splitlines()
    assert len(lines) == 5
    assert re.fullmatch(
        r'\x1b\[1mSTATUS +SIZE +CREATED +EXPIRES +METHOD URL\x1b\[0m', lines[0].strip()
    )
    assert all(line.startswith('\x1b[32m200\x1b[0m') for line in lines[1:])
    expired = next(line for line in lines if line.rstrip().endswith(filled.expired))
    assert '\x1b[33m' in expired and '(expired)' in expired


def test_no_color_turns_colour_off_on_a_terminal(filled: Urls, tmp_path: Path) -> None:
    """NO_COLOR (any non-empty value) or TERM=dumb: the header row stays, the colour goes."""
    for env in ({'NO_COLOR': '1'}, {'TERM': 'dumb'}):
        output = run_all_on_tty(tmp_path, 'list', env=env)
        assert '\x1b' not in output
        assert output.splitlines()[0].startswith('STATUS')


def test_piped_list_has_no_header_and_no_colour(run: Runner, filled: Urls) -> None:
    """Piped, list prints only the rows, without escape codes, for scripts to read."""
    output = run('list', env={'TERM': 'xterm-256color'}).stdout
    assert '\x1b' not in output and 'STATUS' not in output
    assert len(output.splitlines()) == 4


def test_export_draws_a_progress_bar_on_a_terminal(filled: Urls, tmp_path: Path) -> None:
    """export --har FILE shows its progress on a terminal's stderr, then erases it."""
    output = run_all_on_tty(tmp_path, 'export', '--har', 'out.har', env={'NO_COLOR': '1'})
    assert re.search(r'Exporting \[#+\] 4/4 100%', output)
    assert output.rstrip().endswith('Exported 4 entries to out.har')
    assert (tmp_path / 'out.har').exists()
