"""export --har: an HTTP Archive 1.2 document that browser dev tools open."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from cli_support import Runner, Urls

#: HAR 1.2 required fields and their types, per object (http://www.softwareishard.com/blog/har-12-spec/).
REQUIRED: dict[str, dict[str, Any]] = {
    'log': {'version': str, 'creator': dict, 'entries': list},
    'creator': {'name': str, 'version': str},
    'entry': {
        'startedDateTime': str,
        'time': (int, float),
        'request': dict,
        'response': dict,
        'cache': dict,
        'timings': dict,
    },
    'request': {
        'method': str,
        'url': str,
        'httpVersion': str,
        'cookies': list,
        'headers': list,
        'queryString': list,
        'headersSize': int,
        'bodySize': int,
    },
    'response': {
        'status': int,
        'statusText': str,
        'httpVersion': str,
        'cookies': list,
        'headers': list,
        'content': dict,
        'redirectURL': str,
        'headersSize': int,
        'bodySize': int,
    },
    'content': {'size': int, 'mimeType': str},
    'timings': {'send': (int, float), 'wait': (int, float), 'receive': (int, float)},
    'pair': {'name': str, 'value': str},
}


def check(kind: str, obj: Any, where: str) -> None:
    """Assert ``obj`` has every required field of HAR object ``kind`` with the right type."""
    assert isinstance(obj, dict), f'{where} is not an object'
    for field, expected in REQUIRED[kind].items():
        assert field in obj, f'{where}.{field} is missing'
        assert isinstance(obj[field], expected), f'{where}.{field} has type {type(obj[field])}'


def validate_har(document: Any) -> None:
    """A small structural validator for HAR 1.2: required fields, types and value rules."""
    check('log', document.get('log'), 'log')
    log = document['log']
    assert log['version'] == '1.2'
    check('creator', log['creator'], 'log.creator')
    for i, entry in enumerate(log['entries']):
        where = f'log.entries[{i}]'
        check('entry', entry, where)
        started = datetime.fromisoformat(entry['startedDateTime'])
        assert started.tzinfo is not None, 'startedDateTime needs a time zone (ISO 8601)'
        assert entry['time'] >= 0
        for part in ('request', 'response'):
            check(part, entry[part], f'{where}.{part}')
            for j, pair in enumerate(entry[part]['headers']):
                check('pair', pair, f'{where}.{part}.headers[{j}]')
        for j, pair in enumerate(entry['request']['queryString']):
            check('pair', pair, f'{where}.request.queryString[{j}]')
        content = entry['response']['content']
        check('content', content, f'{where}.response.content')
        assert content.get('encoding') in (None, 'base64')
        check('timings', entry['timings'], f'{where}.timings')
        assert all(entry['timings'][t] >= -1 for t in ('send', 'wait', 'receive'))


def test_export_har_file_is_valid(run: Runner, filled: Urls, tmp_path: Path) -> None:
    """export --har FILE writes a valid HAR 1.2 document with one entry per response."""
    result = run('export', '--har', 'out.har')
    assert result.code == 0, result.stderr
    assert 'Exported 4 entries' in result.stderr
    document = json.loads((tmp_path / 'out.har').read_text(encoding='utf-8'))
    validate_har(document)
    assert document['log']['creator']['name'] == 'requests-cache'
    assert {e['request']['url'] for e in document['log']['entries']} == set(vars(filled).values())


def test_export_har_text_and_binary_bodies(run: Runner, filled: Urls) -> None:
    """Text bodies are stored as text; binary bodies as base64 with encoding: base64."""
    entries = {
        e['request']['url']: e
        for e in json.loads(run('export', '--har', '-').stdout)['log']['entries']
    }
    text = entries[filled.text]['response']['content']
    assert text == {
        'size': 1200,
        'mimeType': 'text/plain; charset=utf-8',
        'text': 'hello world ' * 100,
    }
    binary = entries[filled.binary]['response']['content']
    assert binary['encoding'] == 'base64'
    assert base64.b64decode(binary['text']) == b'\x89PNG\x00\xff'


def test_export_har_query_string_and_headers(run: Runner, filled: Urls) -> None:
    """The query string is split into name/value pairs, blanks kept; headers are pairs too."""
    document = json.loads(run('export', '--har', '-', '--url', '*/img*').stdout)
    validate_har(document)
    (entry,) = document['log']['entries']
    assert entry['request']['queryString'] == [
        {'name': 'size', 'value': '2'},
        {'name': 'empty', 'value': ''},
    ]
    assert {'name': 'Content-Type', 'value': 'image/png'} in entry['response']['headers']
    assert entry['response']['status'] == 200
    assert entry['response']['httpVersion'] == 'HTTP/1.1'


def test_export_har_nothing_to_export_exits_1(run: Runner, filled: Urls, tmp_path: Path) -> None:
    """A filter that matches nothing exits 1 and writes no file."""
    result = run('export', '--har', 'none.har', '--url', '*/nothing')
    assert result.code == 1
    assert not (tmp_path / 'none.har').exists()
