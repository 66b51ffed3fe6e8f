"""Terminal injection (issue 15, item 8): no value read from a cache reaches the terminal raw.

An origin chooses its header values, and whoever can write to the storage chooses everything: an
ESC or OSC sequence printed raw could clear the screen, retitle the window or write to the
clipboard (OSC 52). Every command that prints stored values is run against one hostile entry, and
its raw output bytes are searched for control characters.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import requests_cache
from requests_cache.cli.output import error_summary
from requests_cache.models import CachedRequest, CachedResponse

OSC52 = '\x1b]52;c;ZXZpbA==\x07'  # write "evil" to the clipboard
CLEAR = '\x1b[2J'  # clear the screen
C1_CSI = '\x9b31m'  # the one-character CSI of 8-bit terminals
BIDI = '\u202egnp.exe'  # right-to-left override: displays as "exe.png"
HOSTILE = f'{OSC52}{CLEAR}{C1_CSI}\x7f\r\x08{BIDI}'
URL = f'http://127.0.0.1:9/page?q={HOSTILE}'
KEY = f'key-{HOSTILE}'
#: Raw bytes that must never be printed (UTF-8): C0 controls but LF, DEL, C1, bidi override.
FORBIDDEN = re.compile(rb'[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]')
#: Our own colour codes, the only escape sequences we ever write (and only to a terminal).
SGR = re.compile(rb'\x1b\[[0-9;]*m')


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """``tmp_path/http_cache.sqlite`` holding one entry with control characters everywhere."""
    cache = requests_cache.SQLiteCache(tmp_path / 'http_cache')
    response = CachedResponse.build(
        url=URL,
        status_code=200,
        reason=f'OK{CLEAR}',
        headers=[('Content-Type', 'text/plain'), ('X-Evil', HOSTILE), (f'X-{OSC52}', 'name')],
        body=f'body {HOSTILE}\nsecond line'.encode(),
        request=CachedRequest('GET', URL),
        cache_key=KEY,
    )
    cache.save_response(response, KEY)
    cache.stats.add_stale(f'stale-{HOSTILE}')
    cache.flush_stats()
    cache.close()
    return tmp_path


def run_bytes(cwd: Path, *args: str) -> tuple[int, bytes]:
    """Run the CLI with stdout and stderr captured as raw bytes (no newline translation)."""
    done = subprocess.run(
        [sys.executable, '-m', 'requests_cache', *args],
        cwd=cwd,
        capture_output=True,
        timeout=60,
        env={**os.environ, 'NO_COLOR': ''},
    )
    return done.returncode, done.stdout + done.stderr


COMMANDS = [
    ('show', KEY),
    ('show', KEY, '--json'),
    ('show', KEY, '--body'),
    ('list',),
    ('list', '--json'),
    ('list', '--sort', 'url'),
    ('info', '--scan'),
    ('explain', KEY),
    ('explain', KEY, '--json'),
    ('export', '--har', '-'),
    ('stats',),
    ('stats', '--json'),
    ('show', f'http://127.0.0.1:9/not-stored{HOSTILE}'),  # an argument echoed in an error
    ('list', '--url', f'*{HOSTILE}*'),
]


@pytest.mark.parametrize('args', COMMANDS, ids=lambda args: ' '.join(args[:3])[:40])
def test_no_control_character_reaches_the_output(hostile: Path, args: tuple[str, ...]) -> None:
    """Every command that prints stored values prints them escaped: no ESC, BEL, CR, BS, DEL,
    C1 control or bidi override appears raw in stdout or stderr."""
    code, output = run_bytes(hostile, *args)
    assert code in (0, 1), output
    assert output.strip()
    found = FORBIDDEN.findall(output)
    assert not found, f'raw control characters {found[:5]} in: {output[:300]!r}'


def test_show_prints_the_escaped_values(hostile: Path) -> None:
    """show still shows the hostile values, as visible escapes a reader can recognise."""
    code, output = run_bytes(hostile, 'show', KEY)
    text = output.decode()
    assert code == 0
    assert 'X-Evil: \\x1b]52;c;ZXZpbA==\\x07\\x1b[2J\\x9b31m\\x7f\\r\\x08\\u202egnp.exe' in text
    assert 'Status:   200 OK\\x1b[2J' in text
    assert 'body \\x1b]52' in text and '\nsecond line' in text  # a body keeps its newlines


@pytest.mark.skipif(not hasattr(os, 'openpty'), reason='needs a pseudo-terminal')
def test_hostile_values_stay_escaped_on_a_colour_terminal(hostile: Path) -> None:
    """On a terminal with colour, the only escape sequences written are our own colour codes."""
    controller, terminal = os.openpty()
    try:
        done = subprocess.run(
            [sys.executable, '-m', 'requests_cache', 'show', KEY],
            cwd=hostile,
            stdin=subprocess.DEVNULL,
            stdout=terminal,
            stderr=terminal,
            timeout=60,
            env={**os.environ, 'TERM': 'xterm-256color', 'NO_COLOR': ''},
        )
        os.close(terminal)
        terminal = -1
        output = read_all(controller)
    finally:
        if terminal != -1:
            os.close(terminal)
        os.close(controller)
    assert done.returncode == 0
    assert SGR.search(output), 'expected colour on a terminal'
    # The terminal itself turns \n into \r\n (onlcr); that CR is the tty's, not ours.
    stripped = SGR.sub(b'', output).replace(b'\r\n', b'\n')
    assert not FORBIDDEN.findall(stripped)


def read_all(controller: int) -> bytes:
    """Everything written to the other side of a pseudo-terminal, after it was closed."""
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # Linux reports EIO once the terminal side is closed and drained
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b''.join(chunks)


def test_error_summary_keeps_one_line_of_a_pymongo_timeout() -> None:
    """A pymongo server selection timeout (600+ characters of topology) becomes one short line."""
    message = (
        '127.0.0.1:1: [Errno 111] Connection refused (configured timeouts: socketTimeoutMS: '
        '20000.0ms, connectTimeoutMS: 20000.0ms), Timeout: 0.5s, Topology Description: '
        '<TopologyDescription id: 6b10f054aac9740c7eb43b9b, topology_type: Unknown, servers: [<'
        "ServerDescription ('127.0.0.1', 1) server_type: Unknown, rtt: None, error=AutoReconnect("
        "'127.0.0.1:1: [Errno 111] Connection refused (configured timeouts: socketTimeoutMS: "
        "20000.0ms, connectTimeoutMS: 20000.0ms)')>]>"
    )
    summary = error_summary(requests_cache.StorageError(f'mongodb storage error: {message}'))
    assert summary == (
        'mongodb storage error: 127.0.0.1:1: [Errno 111] Connection refused (gave up after 0.5s)'
    )


def test_error_summary_cuts_long_and_multi_line_messages() -> None:
    """Any other error is cut to its first line and at most 300 characters."""
    assert error_summary(OSError('first\nsecond')) == 'first'
    assert len(error_summary(OSError('x' * 1000))) == 300
