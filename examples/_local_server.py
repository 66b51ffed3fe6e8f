"""A tiny stand-in for httpbin.org on 127.0.0.1, so the examples and the docs run offline.

It answers a few httpbin-style paths and counts the requests it receives:

===========================  ================================================================
path                         answer
===========================  ================================================================
``/get``, ``/anything/...``  JSON echo of the URL, query arguments and request headers
``/json``                    a fixed JSON document
``/uuid``                    a new random UUID on every request (shows whether you got a copy)
``/cache/<n>``               ``Cache-Control: public, max-age=<n>``
``/etag/<tag>``              ``ETag: "<tag>"``; 304 when ``If-None-Match`` matches
``/status/<code>``           that status code
``/response-headers?k=v``    response headers taken from the query string
===========================  ================================================================

Usage::

    with LocalServer() as server:
        session.get(f'{server.url}/get')
        print(server.hits('/get'))
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional
from urllib.parse import parse_qsl, urlsplit

__all__ = ['LocalServer']


class LocalServer:
    """Serve httpbin-style endpoints on ``127.0.0.1`` (a free port) in a background thread."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(('127.0.0.1', 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """The base URL, like ``http://127.0.0.1:54321``."""
        return f'http://127.0.0.1:{self._server.server_address[1]}'

    def hits(self, path: Optional[str] = None) -> int:
        """How many requests arrived, for one path (without its query) or in total."""
        with self._lock:
            return sum(self.counts.values()) if path is None else self.counts[path]

    def close(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _count(self, path: str) -> None:
        with self._lock:
            self.counts[path] += 1


def _answer(path: str, query: str, request_headers: dict[str, str]) -> tuple[int, dict, bytes]:
    """Status, headers and body for one request: the table in the module docstring."""
    headers = {'Content-Type': 'application/json'}
    parts = path.strip('/').split('/')
    if parts[0] == 'cache' and len(parts) == 2 and parts[1].isdigit():
        headers['Cache-Control'] = f'public, max-age={parts[1]}'
    elif parts[0] == 'etag' and len(parts) == 2:
        headers['ETag'] = f'"{parts[1]}"'
        if request_headers.get('If-None-Match') == headers['ETag']:
            return 304, headers, b''
    elif parts[0] == 'status' and len(parts) == 2 and parts[1].isdigit():
        return int(parts[1]), {'Content-Type': 'text/plain'}, b''
    elif parts[0] == 'response-headers':
        headers.update(parse_qsl(query))
    elif parts[0] == 'uuid':
        return 200, headers, json.dumps({'uuid': str(uuid.uuid4())}).encode()
    elif parts[0] == 'json':
        return 200, headers, json.dumps({'slideshow': {'title': 'Sample Slide Show'}}).encode()
    elif parts[0] not in ('get', 'anything', 'post', 'headers'):
        return 404, {'Content-Type': 'text/plain'}, b'not found'
    body = {'url': path + (f'?{query}' if query else ''), 'args': dict(parse_qsl(query))}
    body['headers'] = request_headers
    return 200, headers, json.dumps(body).encode()


def _handler_for(server: LocalServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'
        disable_nagle_algorithm = True

        def log_message(self, *args: object) -> None:  # keep example output readable
            pass

        def _reply(self) -> None:
            length = int(self.headers.get('Content-Length') or 0)
            if length:
                self.rfile.read(length)
            split = urlsplit(self.path)
            server._count(split.path)
            status, headers, body = _answer(split.path, split.query, dict(self.headers.items()))
            if self.command == 'HEAD' or status == 304:
                body = b''
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _reply

    return Handler
