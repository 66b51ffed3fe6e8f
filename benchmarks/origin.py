"""The local origin server: threaded, HTTP/1.1 keep-alive, TCP_NODELAY, bound to 127.0.0.1.

It serves `bodies.body` for ``/<namespace>/<size>/<n>`` with caching headers every contender
honours, and counts the requests it answers per namespace, so a worker can check that its hits
never reached the origin (``GET /_count/<namespace>`` returns the count and is not counted).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .bodies import COUNT_PREFIX, body, parse_item_path

__all__ = ['OriginServer']


class _Handler(BaseHTTPRequestHandler):
    # Keep-alive, so every contender reuses one connection and a miss costs one round trip.
    protocol_version = 'HTTP/1.1'
    # Without TCP_NODELAY, Nagle plus delayed ACKs add ~40 ms to small responses on Linux.
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        if self.path.startswith(COUNT_PREFIX):
            namespace = self.path[len(COUNT_PREFIX) :]
            self._send(200, json.dumps({'count': self.server.count(namespace)}).encode(), {})
            return
        try:
            namespace, size, n = parse_item_path(self.path)
        except ValueError:
            self._send(404, b'not found', {})
            return
        self.server.record(namespace)
        content = body(size, n)
        headers = {
            'Content-Type': 'application/octet-stream',
            # Fresh for a day: CacheControl needs a freshness lifetime to serve a hit at all.
            'Cache-Control': 'public, max-age=86400',
            'ETag': f'"{size}-{n}"',
            'Last-Modified': 'Mon, 02 Jan 2023 00:00:00 GMT',
        }
        self._send(200, content, headers)

    def _send(self, status: int, content: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header('Content-Length', str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The stdlib formats the Date header by hand on every response; this is the same value.
        return formatdate(timestamp, usegmt=True)

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: a log line per request would cost more than the request."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # 8 client threads connect at once

    def __init__(self) -> None:
        super().__init__(('127.0.0.1', 0), _Handler)
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def record(self, namespace: str) -> None:
        with self._lock:
            self._counts[namespace] += 1

    def count(self, namespace: str) -> int:
        with self._lock:
            return self._counts[namespace]


class OriginServer:
    """The origin, served from a daemon thread of this process; use it as a context manager.

    Attributes:
        url: ``http://127.0.0.1:<port>``.
    """

    def __init__(self) -> None:
        self._server = _Server()
        self.url = f'http://127.0.0.1:{self._server.server_address[1]}'
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> OriginServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def count(self, namespace: str) -> int:
        """Requests answered for ``namespace`` so far."""
        return self._server.count(namespace)
