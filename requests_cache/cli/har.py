"""``export --har``: stored responses as an HTTP Archive (HAR 1.2) that browser dev tools open.

Format: http://www.softwareishard.com/blog/har-12-spec/. Fields we do not know (header sizes,
connection timings) are ``-1``, as the spec asks; our own extras start with ``_``, as it allows.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Optional, TextIO
from urllib.parse import parse_qsl, urlsplit

from .. import __version__
from ..backends import BaseCache
from ..models import CachedResponse
from ._terminal import Progress
from .entries import Scan, load
from .output import ExitCode, warn

__all__ = ['export_har', 'har_entry', 'write_har']

_HTTP_VERSIONS = {9: 'HTTP/0.9', 10: 'HTTP/1.0', 11: 'HTTP/1.1', 20: 'HTTP/2', 30: 'HTTP/3'}


def export_har(cache: BaseCache, args: argparse.Namespace) -> int:
    """Write the stored responses (those matching ``--url``) to ``--har FILE`` (``-`` = stdout).

    Entries are written one at a time, oldest first as HAR readers prefer: a first pass notes
    only the key and request time of each entry, so memory stays flat however large the cache.
    """
    order = sorted((e.response.request_time, e.key) for e in Scan(cache, args.url, 'Reading'))
    if not order:
        warn('no stored responses to export')
        return ExitCode.NOT_FOUND
    keys = [key for _, key in order]
    bar = Progress('Exporting', len(keys))
    if args.har == '-':
        # A bar would land in the middle of the document on a terminal showing stdout.
        bar.enabled = bar.enabled and not sys.stdout.isatty()
        # ensure_ascii: on a terminal, no stored text may reach it unescaped (see _terminal).
        written = write_har(_responses(cache, keys, bar), sys.stdout, ascii_only=True)
    else:
        with _replace_when_done(Path(args.har)) as file:
            written = write_har(_responses(cache, keys, bar), file)
        print(f'Exported {written} entries to {args.har}', file=sys.stderr)
    return ExitCode.OK


def _responses(
    cache: BaseCache, keys: list[str], bar: Progress
) -> Iterator[tuple[str, CachedResponse]]:
    """The responses for ``keys``, read one at a time, counted by ``bar``."""
    try:
        for key in keys:
            response = load(cache, key)
            bar.advance()
            if response is not None:  # deleted or replaced by something unreadable meanwhile
                yield key, response
    finally:
        bar.close()


def write_har(
    responses: Iterable[tuple[str, CachedResponse]], file: TextIO, ascii_only: bool = False
) -> int:
    """Write a HAR 1.2 document with one entry per ``(key, response)``, as they come.

    Args:
        responses: Keys and responses, in the order the entries should have.
        file: A text file open for writing.
        ascii_only: Escape every non-ASCII character and DEL (for a terminal).

    Returns:
        How many entries were written.
    """
    creator = json.dumps({'name': 'requests-cache', 'version': __version__})
    file.write(f'{{"log": {{\n"version": "1.2",\n"creator": {creator},\n"pages": [],\n"entries": [')
    count = 0
    for count, (key, response) in enumerate(responses, 1):
        text = json.dumps(har_entry(key, response), ensure_ascii=ascii_only)
        file.write(('\n' if count == 1 else ',\n') + text)
    file.write('\n]}}\n')
    return count


@contextlib.contextmanager
def _replace_when_done(path: Path) -> Iterator[TextIO]:
    """A file that takes the place of ``path`` only once it is complete; removed on failure."""
    partial = path.with_name(path.name + '.partial')
    try:
        with open(partial, 'w', encoding='utf-8') as file:
            yield file
        os.replace(partial, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)


def har_entry(key: str, response: CachedResponse) -> dict[str, Any]:
    """One HAR ``entry``: the request, the response and its (mostly unknown) timings."""
    elapsed_ms = round(response.elapsed.total_seconds() * 1000, 3)
    return {
        'startedDateTime': response.request_time.isoformat(),
        'time': elapsed_ms,
        'request': _har_request(response),
        'response': _har_response(response),
        'cache': {},
        # We only know the total round trip; the spec makes send, wait and receive required.
        'timings': {'send': 0, 'wait': elapsed_ms, 'receive': 0},
        '_cacheKey': key,
        '_expires': response.expires.isoformat() if response.expires else None,
    }


def _har_request(response: CachedResponse) -> dict[str, Any]:
    request = response.request
    url = request.url or response.url
    body = request.body.encode() if isinstance(request.body, str) else request.body or b''
    har: dict[str, Any] = {
        'method': request.method or 'GET',
        'url': url,
        'httpVersion': _http_version(response),
        'cookies': [],
        'headers': _name_values(request.headers.items()),
        'queryString': _name_values(parse_qsl(urlsplit(url).query, keep_blank_values=True)),
        'headersSize': -1,
        'bodySize': len(body),
    }
    if body:
        mime = request.headers.get('Content-Type', 'application/octet-stream')
        har['postData'] = {'mimeType': mime, 'text': body.decode('utf-8', 'replace')}
    return har


def _har_response(response: CachedResponse) -> dict[str, Any]:
    body = response.content or b''
    return {
        'status': response.status_code,
        'statusText': response.reason or '',
        'httpVersion': _http_version(response),
        'cookies': [],
        'headers': _name_values(response.header_pairs()),
        'content': _content(body, response.headers.get('Content-Type')),
        'redirectURL': response.headers.get('Location', ''),
        'headersSize': -1,
        'bodySize': len(body),
    }


def _content(body: bytes, mime_type: Optional[str]) -> dict[str, Any]:
    content: dict[str, Any] = {'size': len(body), 'mimeType': mime_type or ''}
    try:
        text = body.decode('utf-8')
    except UnicodeDecodeError:
        text = None
    # Text only when it round-trips; anything else (images, gzip...) goes as base64.
    if text is not None and '\x00' not in text:
        content['text'] = text
    else:
        content['text'] = base64.b64encode(body).decode('ascii')
        content['encoding'] = 'base64'
    return content


def _name_values(pairs: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{'name': str(name), 'value': str(value)} for name, value in pairs]


def _http_version(response: CachedResponse) -> str:
    version = getattr(response.raw, 'version', 11)
    return _HTTP_VERSIONS.get(version, 'HTTP/1.1')
