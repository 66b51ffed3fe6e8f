"""Local services for backend tests: free loopback ports, a redis-server we control, and a
three-master Redis Cluster."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

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
        self.paused = False

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
            self.resume()
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): it keeps its port, but answers nothing, like a hung host."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)
        self.paused = True

    def resume(self) -> None:
        """Let a paused server run again (SIGCONT)."""
        if self.process is not None and self.paused:
            self.process.send_signal(signal.SIGCONT)
            self.paused = False


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


class RedisCluster:
    """Three redis-server masters on free loopback ports, joined into one cluster."""

    def __init__(self, binary: str, cli: str, directory: Path, masters: int = 3) -> None:
        self.binary = binary
        self.cli = cli
        self.directory = directory
        self.ports = [free_port() for _ in range(masters)]
        # The cluster bus port would default to port + 10000, which may be taken or past 65535.
        self.bus_ports = [free_port() for _ in range(masters)]
        self.processes: list[subprocess.Popen[bytes]] = []

    @property
    def url(self) -> str:
        """A redis:// URL of one of the masters (a cluster client discovers the others)."""
        return f'redis://127.0.0.1:{self.ports[0]}'

    def start(self) -> None:
        """Start the masters, give them the 16384 slots and wait until the cluster is up."""
        for port, bus_port in zip(self.ports, self.bus_ports):
            workdir = self.directory / str(port)
            workdir.mkdir(parents=True, exist_ok=True)
            self.processes.append(
                subprocess.Popen(
                    [
                        self.binary,
                        '--port',
                        str(port),
                        '--bind',
                        '127.0.0.1',
                        '--cluster-enabled',
                        'yes',
                        '--cluster-port',
                        str(bus_port),
                        '--cluster-config-file',
                        str(workdir / 'nodes.conf'),
                        '--cluster-node-timeout',
                        '2000',
                        '--save',
                        '',
                        '--appendonly',
                        'no',
                        '--dir',
                        str(workdir),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        if not all(wait_for_port(port) for port in self.ports):
            self.stop()
            raise RuntimeError('a cluster node did not start')
        nodes = [f'127.0.0.1:{port}' for port in self.ports]
        subprocess.run(
            [self.cli, '--cluster', 'create', *nodes, '--cluster-replicas', '0', '--cluster-yes'],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )
        if not self._wait_until_ok():
            self.stop()
            raise RuntimeError('the cluster did not reach cluster_state:ok')

    def _wait_until_ok(self, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            states = [
                subprocess.run(
                    [self.cli, '-p', str(port), 'cluster', 'info'],
                    capture_output=True,
                    text=True,
                    timeout=10,
                ).stdout
                for port in self.ports
            ]
            if all('cluster_state:ok' in state for state in states):
                return True
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        """Stop every master."""
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(timeout=10)
        self.processes = []


def private_redis_cluster(directory: Path) -> Iterator[RedisCluster]:
    """Start our own three-master cluster for a fixture to yield; fail in CI, skip elsewhere.

    Yields:
        The running cluster; it is stopped when the generator is closed.
    """
    binary, cli = shutil.which('redis-server'), shutil.which('redis-cli')
    if not binary or not cli:
        unavailable('redis-server and redis-cli are needed for a Redis Cluster')
    cluster = RedisCluster(binary, cli, directory)  # type: ignore[arg-type]
    try:
        cluster.start()
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        unavailable(f'could not start a Redis Cluster: {exc}')
    yield cluster
    cluster.stop()
