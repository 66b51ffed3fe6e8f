"""Quickstart: the same 60 requests, first uncached, then from a SQLite cache.

Starts its own slow local server on 127.0.0.1 (no internet needed), then prints how long each pass
took and how many responses came from the cache. The cache stays behind in ./demo_cache.sqlite,
for the command line to look at: ``requests-cache info demo_cache.sqlite``.

Run it with: python examples/quickstart.py
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests_cache

REQUESTS = 60
SERVER_DELAY = 0.02  # seconds the "slow API" takes per response


class SlowHandler(BaseHTTPRequestHandler):
    """Answers every GET after a short delay, like a remote API would."""

    protocol_version = 'HTTP/1.1'
    disable_nagle_algorithm = True  # one round trip per response, not 40 ms of delayed ACK
    hits = 0

    def do_GET(self) -> None:
        SlowHandler.hits += 1
        time.sleep(SERVER_DELAY)
        body = f'{{"path": "{self.path}"}}'.encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def timed_pass(session: requests_cache.CachedSession, base_url: str) -> tuple[float, int]:
    """Fetch REQUESTS URLs; return the elapsed seconds and how many were cache hits."""
    start = time.perf_counter()
    hits = sum(session.get(f'{base_url}/item/{i}').from_cache for i in range(REQUESTS))
    return time.perf_counter() - start, hits


def main() -> None:
    """Run both passes against a local server and print the comparison."""
    server = ThreadingHTTPServer(('127.0.0.1', 0), SlowHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base_url = f'http://127.0.0.1:{server.server_address[1]}'
    with requests_cache.CachedSession('demo_cache', expire_after=300) as session:
        # A second run starts from an empty cache too, with its statistics.
        session.cache.clear()
        session.cache.reset_stats()
        uncached_time, uncached_hits = timed_pass(session, base_url)
        cached_time, cached_hits = timed_pass(session, base_url)
        cache_file = Path(str(session.cache.db_path))
    server.shutdown()
    server.server_close()
    print(f'uncached: {REQUESTS} requests in {uncached_time:.3f}s ({uncached_hits} from cache)')
    print(f'cached:   {REQUESTS} requests in {cached_time:.3f}s ({cached_hits} from cache)')
    print(
        f'speed-up: {uncached_time / cached_time:.0f}x; the server saw {SlowHandler.hits} requests'
    )
    print(f'cache:    {cache_file} (look inside: requests-cache info {cache_file.name})')


if __name__ == '__main__':
    main()
