"""Runner side: a private, throwaway redis-server for the Redis backends.

It listens on 127.0.0.1 on a free port, with persistence off (``--save ''``, no AOF) so nothing
is written to disk, and is stopped when the run ends.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ['free_port', 'redis_server']


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return int(probe.getsockname()[1])


@contextmanager
def redis_server() -> Iterator[int | None]:
    """Run a private redis-server and yield its port, or None if redis-server is not installed."""
    binary = shutil.which('redis-server')
    if binary is None:
        yield None
        return
    port = free_port()
    workdir = tempfile.mkdtemp(prefix='bench-redis-')
    command = [binary, '--port', str(port), '--bind', '127.0.0.1', '--save', '']
    command += ['--appendonly', 'no', '--dir', workdir]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(port, process)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f'redis-server exited with {process.returncode}')
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=0.2) as connection:
                connection.sendall(b'PING\r\n')
                if connection.recv(16).startswith(b'+PONG'):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError('redis-server did not start within 10 s')
