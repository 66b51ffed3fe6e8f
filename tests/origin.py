"""A local HTTP origin on 127.0.0.1 for end-to-end tests: records every request it receives and
answers with programmable routes (status, headers, body, delay), honouring If-None-Match."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Optional


@dataclass
class Route:
    """How the origin answers one path."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: Optional[bytes] = None
    delay: float = 0.0
    #: Send the body with chunked transfer encoding, in pieces of this many bytes.
    chunk_size: int = 0
    #: Cut the body short: declare this many more bytes than are sent (or drop the last chunk).
    truncate: int = 0
    #: Hold the answer until this event is set (lets a test decide when a request completes).
    gate: Optional[threading.Event] = None
    #: Send ``body`` this many times over: a large body the origin never holds whole.
    repeat: int = 1
    #: Decide the answer per request: return a Route to use for this one (None keeps this).
    respond: Optional[Callable[[Seen], Optional[Route]]] = None


class _Server(ThreadingHTTPServer):
    # The default backlog of 5 drops SYNs when 16 threads connect at once; each retry costs 1 s.
    request_queue_size = 128


@dataclass(frozen=True)
class Seen:
    """One request as the origin received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Origin:
    """A threaded HTTP/1.1 server with a request log."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self.server = _Server(('127.0.0.1', 0), _handler_for(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f'http://127.0.0.1:{self.server.server_address[1]}'

    def url(self, path: str) -> str:
        """The full URL of ``path`` on this origin."""
        return self.base_url + path

    def route(self, path: str, **kwargs: object) -> str:
        """Program the answer for ``path`` (see `Route`) and return its URL."""
        self.routes[path.split('?')[0]] = Route(**kwargs)  # type: ignore[arg-type]
        return self.url(path)

    def record(self, seen: Seen) -> None:
        """Log a received request."""
        with self._lock:
            self.seen.append(seen)

    def count(self, path: Optional[str] = None) -> int:
        """How many requests arrived (for ``path``, query included, if given)."""
        return len([s for s in self.seen if path is None or s.path == path])

    def reset(self) -> None:
        """Forget routes and the request log."""
        self.routes.clear()
        with self._lock:
            self.seen.clear()

    def close(self) -> None:
        """Stop the server."""
        self.server.shutdown()
        self.server.server_close()


def _handler_for(origin: Origin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'
        disable_nagle_algorithm = True  # one round trip per response, not 40 ms of delayed ACK

        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

        def _answer(self) -> None:
            length = int(self.headers.get('Content-Length') or 0)
            body_in = self.rfile.read(length) if length else b''
            seen = Seen(self.command, self.path, dict(self.headers.items()), body_in)
            origin.record(seen)
            route = origin.routes.get(self.path.split('?')[0], Route())
            if route.respond is not None:
                route = route.respond(seen) or route
            if route.delay:
                time.sleep(route.delay)  # simulates a slow origin; never used to make a test pass
            if route.gate is not None and not route.gate.wait(30):
                raise TimeoutError('the test never opened the gate')
            etag = route.headers.get('ETag')
            status = route.status
            if etag and self.headers.get('If-None-Match') == etag:
                status = 304
            body = route.body if route.body is not None else f'body of {self.path}'.encode()
            body = b'' if status == 304 or self.command == 'HEAD' else body
            self.send_response(status)
            for name, value in route.headers.items():
                self.send_header(name, value)
            if route.repeat != 1 and body:
                self._send_repeated(body, route)
            elif route.chunk_size:
                self._send_chunked(body, route)
            else:
                self.send_header('Content-Length', str(len(body) + route.truncate))
                self.end_headers()
                self.wfile.write(body)
            if route.truncate:
                self.close_connection = True

        def _send_chunked(self, body: bytes, route: Route) -> None:
            self.send_header('Transfer-Encoding', 'chunked')
            self.end_headers()
            for start in range(0, len(body), route.chunk_size):
                piece = body[start : start + route.chunk_size]
                self.wfile.write(b'%x\r\n%s\r\n' % (len(piece), piece))
            if not route.truncate:
                self.wfile.write(b'0\r\n\r\n')

        def _send_repeated(self, body: bytes, route: Route) -> None:
            # Each copy goes out as it is: one chunk each, or raw bytes behind a Content-Length.
            if route.chunk_size:
                self.send_header('Transfer-Encoding', 'chunked')
            else:
                self.send_header('Content-Length', str(len(body) * route.repeat + route.truncate))
            self.end_headers()
            for _ in range(route.repeat):
                piece = b'%x\r\n%s\r\n' % (len(body), body) if route.chunk_size else body
                self.wfile.write(piece)
            if route.chunk_size and not route.truncate:
                self.wfile.write(b'0\r\n\r\n')

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _answer

    return Handler
