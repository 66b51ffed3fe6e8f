"""``export --har``: stored responses as an HTTP Archive (HAR 1.2) that browser dev tools open.

Format: http://www.softwareishard.com/blog/har-12-spec/. Fields we do not know (header sizes,
connection timings) are ``-1``, as the spec asks; our own extras start with ``_``, as it allows.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from collections.abc import Iterable
from typing import Any, Optional
from urllib.parse import parse_qsl, urlsplit

from .. import __version__
from ..backends import BaseCache
from ..models import CachedResponse
from .entries import Entry, read_entries
from .output import ExitCode, warn

__all__ = ['export_har', 'har_document', 'har_entry']

_HTTP_VERSIONS = {9: 'HTTP/0.9', 10: 'HTTP/1.0', 11: 'HTTP/1.1', 20: 'HTTP/2', 30: 'HTTP/3'}


def export_har(cache: BaseCache, args: argparse.Namespace) -> int:
    """Write the stored responses (those matching ``--url``) to ``--har FILE`` (``-`` = stdout)."""
    entries, _ = read_entries(cache, args.url, label='Exporting')
    if not entries:
        warn('no stored responses to export')
        return ExitCode.NOT_FOUND
    document = har_document(entries)
    text = json.dumps(document, indent=2, ensure_ascii=False)
    if args.har == '-':
        sys.stdout.write(text + '\n')
    else:
        with open(args.har, 'w', encoding='utf-8') as file:
            file.write(text + '\n')
        print(f'Exported {len(entries)} entries to {args.har}', file=sys.stderr)
    return ExitCode.OK


def har_document(entries: Iterable[Entry]) -> dict[str, Any]:
    """A complete HAR 1.2 document, entries oldest first as dev tools list them."""
    ordered = sorted(entries, key=lambda e: e.response.request_time)
    return {
        'log': {
            'version': '1.2',
            'creator': {'name': 'requests-cache', 'version': __version__},
            'pages': [],
            'entries': [har_entry(e.key, e.response) for e in ordered],
        }
    }


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
        'headers': _name_values(response.raw.headers.items()),
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
