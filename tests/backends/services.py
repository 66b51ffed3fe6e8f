"""Local services for backend tests: free loopback ports and a redis-server we control."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

IN_CI = os.environ.get('CI', '').lower() in ('1', 'true', 'yes')


def unavailable(reason: str) -> None:
    """Skip a test whose service is missing, or fail it in CI, where skipping would hide it."""
    if IN_CI:
        pytest.fail(f'{reason} (CI is set, so this is an error, not a skip)')
    pytest.skip(reason)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 10.0) -> bool:
    """True once something accepts connections on 127.0.0.1:``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.02)
    return False


class RedisServer:
    """A throwaway redis-server on a free loopback port, which tests may stop and restart."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The server's redis:// URL."""
        return f'redis://127.0.0.1:{self.port}/0'

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self.process = subprocess.Popen(
            [
                self.binary,
                '--port',
                str(self.port),
                '--bind',
                '127.0.0.1',
                '--save',
                '',
                '--appendonly',
                'no',
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_for_port(self.port):
            self.stop()
            raise RuntimeError(f'redis-server did not start on port {self.port}')

    def stop(self) -> None:
        """Stop the server and wait for it to exit."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def private_redis_server() -> Iterator[RedisServer]:
    """Start our own redis-server for a fixture to yield; fail in CI, skip elsewhere, if we can't.

    Yields:
        The running server; it is stopped when the generator is closed.
    """
    binary = shutil.which('redis-server')
    if not binary:
        unavailable('redis-server is not installed')
    server = RedisServer(binary)
    try:
        server.start()
    except (OSError, RuntimeError) as exc:
        unavailable(f'could not start redis-server: {exc}')
    yield server
    server.stop()
