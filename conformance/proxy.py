"""A reverse proxy on 127.0.0.1 that replays every request through one `CachedSession`.

The cache-tests client talks to this proxy as it would to a browser cache; the proxy sends each
request on to the suite's origin server through the session, then writes back the status, headers
and body the session returned (from the origin or from the cache). It adds nothing of its own:
requests' default headers are cleared, redirects are passed back to the client, and a connection
the client closes early is counted, not treated as an error.
"""

from __future__ import annotations

import http.client
import logging
import threading
import traceback
from collections.abc import Iterable
from http.cookiejar import DefaultCookiePolicy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

from requests_cache import CachedSession
from requests_cache.policy.headers import HOP_BY_HOP as _HOP_BY_HOP  # RFC 9110 §7.6.1

__all__ = ['CacheProxy']

#: Statuses whose responses never have a body (RFC 9110 §6.4.1).
_NO_BODY = frozenset({204, 304})
#: What a client closing its connection early looks like from the writing side.
_CLIENT_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


class _ErrorLog(logging.Handler):
    """Keeps every log record of WARNING or above, so the run can fail on them."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


class _Server(ThreadingHTTPServer):
    # The suite opens up to 100 connections at once; the default backlog of 5 drops some.
    request_queue_size = 128
    daemon_threads = True


class CacheProxy:
    """A threaded HTTP/1.1 reverse proxy in front of ``origin`` (``http://127.0.0.1:PORT``).

    Args:
        origin: The origin's base URL.
        session: The session every request goes through.
    """

    def __init__(self, origin: str, session: CachedSession) -> None:
        self.origin = origin.rstrip('/')
        self.session = session
        self.session.headers.clear()  # forward the client's headers only
        # ... and its cookies only: a proxy keeps no cookie jar of its own. (A jar shared by every
        # test would add one test's Set-Cookie to another's requests, and a request with a cookie
        # is a different cache entry from one without.)
        self.session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        self.errors: list[str] = []
        self.closed_by_client = 0
        #: The test ids of requests the origin answered by closing the connection.
        self.closed_by_origin: list[str] = []
        self._lock = threading.Lock()
        self._log = _ErrorLog()
        logging.getLogger('requests_cache').addHandler(self._log)
        self.server = _Server(('127.0.0.1', 0), _handler_for(self))
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The proxy's base URL."""
        return f'http://127.0.0.1:{self.server.server_address[1]}'

    @property
    def logged(self) -> list[str]:
        """Every warning or error the cache logged, and every exception the proxy caught."""
        return self._log.lines + self.errors

    def __enter__(self) -> CacheProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        logging.getLogger('requests_cache').removeHandler(self._log)
        self.session.close()

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        """Send one request through the session; the response, never followed if it redirects."""
        return self.session.request(
            method,
            self.origin + path,
            headers=headers,
            data=body or None,
            allow_redirects=False,
            timeout=30,
        )

    def record_error(self, text: str) -> None:
        """Remember an unexpected exception."""
        with self._lock:
            self.errors.append(text)

    def record_origin_gone(self, test_id: str) -> None:
        """Remember a request the origin closed the connection on, without an answer."""
        with self._lock:
            self.closed_by_origin.append(test_id)

    def record_client_gone(self) -> None:
        """Count a connection the client closed before the answer was written."""
        with self._lock:
            self.closed_by_client += 1


def _handler_for(proxy: CacheProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'

        def log_message(self, format: str, *args: Any) -> None:
            """The access log stays quiet; errors are recorded on the proxy."""

        def handle_any(self) -> None:
            length = int(self.headers.get('Content-Length') or 0)
            body = self.rfile.read(length) if length else b''
            try:
                response = proxy.forward(self.command, self.path, _request_headers(self), body)
            except requests.ConnectionError as exc:
                if _origin_hung_up(exc):
                    proxy.record_origin_gone(_test_id(self))
                else:
                    proxy.record_error(f'{self.command} {_test_id(self)}: {exc!r}')
                self._write(502, 'Bad Gateway', [], b'')
                return
            except Exception:
                proxy.record_error(f'{self.command} {_test_id(self)}:\n{traceback.format_exc()}')
                self._write(500, 'Proxy Error', [], b'')
                return
            content = b'' if self.command == 'HEAD' else response.content
            self._write(response.status_code, response.reason, _response_pairs(response), content)

        def _write(
            self, status: int, reason: str, pairs: Iterable[tuple[str, str]], body: bytes
        ) -> None:
            try:
                self.send_response_only(status, reason)
                for name, value in pairs:
                    if name.lower() not in _HOP_BY_HOP and name.lower() != 'content-length':
                        self.send_header(name, value)
                if status not in _NO_BODY and self.command != 'HEAD':
                    self.send_header('Content-Length', str(len(body)))
                elif self.command == 'HEAD':
                    self._head_length(pairs)
                self.end_headers()
                if status not in _NO_BODY and self.command != 'HEAD':
                    self.wfile.write(body)
                self.wfile.flush()
            except _CLIENT_GONE:
                proxy.record_client_gone()
                self.close_connection = True

        def _head_length(self, pairs: Iterable[tuple[str, str]]) -> None:
            for name, value in pairs:
                if name.lower() == 'content-length':
                    self.send_header(name, value)
                    return

        def handle_one_request(self) -> None:
            try:
                super().handle_one_request()
            except _CLIENT_GONE:
                proxy.record_client_gone()
                self.close_connection = True

        def __getattr__(self, name: str) -> Any:
            # Every method goes through, even ones http.server has no do_* for (M-SEARCH).
            if name.startswith('do_'):
                return self.handle_any
            raise AttributeError(name)

    return Handler


def _origin_hung_up(exc: BaseException) -> bool:
    """Whether the origin closed the connection instead of answering (anywhere in the chain)."""
    seen: set[int] = set()
    pending: list[object] = [exc]
    while pending:
        item = pending.pop()
        if id(item) in seen or not isinstance(item, BaseException):
            continue
        seen.add(id(item))
        if isinstance(item, (http.client.RemoteDisconnected, ConnectionResetError)):
            return True
        pending.extend([*item.args, item.__cause__, item.__context__])
    return False


def _test_id(handler: BaseHTTPRequestHandler) -> str:
    """The suite's test id for this request (its ``Test-ID`` header), else the path."""
    return handler.headers.get('Test-ID') or handler.path


def _request_headers(handler: BaseHTTPRequestHandler) -> dict[str, str]:
    """The client's end-to-end headers; repeated fields joined as RFC 9110 §5.3 allows."""
    headers: dict[str, str] = {}
    for name, value in handler.headers.items():
        lower = name.lower()
        if lower in _HOP_BY_HOP or lower in ('host', 'content-length'):
            continue
        headers[name] = f'{headers[name]}, {value}' if name in headers else value
    return headers


def _response_pairs(response: Any) -> list[tuple[str, str]]:
    """The response's header fields in order, repeats kept (``Set-Cookie`` may repeat)."""
    header_pairs = getattr(response, 'header_pairs', None)
    if header_pairs is not None:
        return list(header_pairs())
    return [(str(n), str(v)) for n, v in response.raw.headers.items()]
