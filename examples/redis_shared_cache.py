"""A Redis cache shared by several processes: one fetches, the others are served from Redis.

Starts its own ``redis-server`` on a free loopback port (the binary must be installed, and the
``redis`` extra: ``pip install 'requests-cache[redis]'``), then runs four worker processes that
request the same URLs.
Run it with: python examples/redis_shared_cache.py
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor

from _local_server import LocalServer

from requests_cache import CachedSession


def worker(redis_port: int, base_url: str) -> int:
    """Fetch ten URLs through the shared Redis cache; return how many came from the cache."""
    session = CachedSession('shared_example', backend='redis', port=redis_port, host='127.0.0.1')
    hits = sum(session.get(f'{base_url}/anything/{i}').from_cache for i in range(10))
    session.close()
    return hits


def start_redis() -> tuple[subprocess.Popen[bytes], int]:
    """Run a private, non-persistent redis-server on a free port."""
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    command = ['redis-server', '--port', str(port), '--bind', '127.0.0.1', '--save', '']
    server = subprocess.Popen([*command, '--appendonly', 'no'], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(('127.0.0.1', port), timeout=0.2).close()
            return server, port
        except OSError:
            time.sleep(0.05)  # the server is still starting
    server.kill()
    raise RuntimeError('redis-server did not start')


def main() -> None:
    """Fill the shared cache from one process, then read it from four at once."""
    if shutil.which('redis-server') is None:
        sys.exit('this example needs redis-server installed')
    redis, port = start_redis()
    try:
        with LocalServer() as server:
            first = worker(port, server.url)
            with ProcessPoolExecutor(4) as pool:
                others = list(pool.map(worker, [port] * 4, [server.url] * 4))
            print(f'first process: {first}/10 from cache; the others: {others}')
            print(f'the origin saw {server.hits()} requests for 50 fetches')
            assert first == 0 and others == [10, 10, 10, 10]
    finally:
        redis.terminate()
        redis.wait(10)


if __name__ == '__main__':
    main()
