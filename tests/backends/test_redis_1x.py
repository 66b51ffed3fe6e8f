"""A Redis cache written by requests-cache 1.3.3 keeps working when our RedisCache opens it.

``rc133_redis.json`` holds every key 1.3.3 wrote for three responses in two namespaces
(``make_rc133_redis.py`` recorded it): ``rc133_pickle`` with 1.x's default pickle serializer and
``rc133_json`` with its JSON serializer. The test loads them into our own redis-server.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import requests

import requests_cache
from requests_cache import RedisCache

RECORDED = json.loads((Path(__file__).parent.parent / 'fixtures' / 'rc133_redis.json').read_text())


def _load(client: Any, namespace: str) -> None:
    client.flushdb()
    for key, value in RECORDED['keys'].items():
        if not key.startswith(namespace):
            continue
        if 'string' in value:
            client.set(key, base64.b64decode(value['string']))
        else:
            client.hset(key, mapping={k: base64.b64decode(v) for k, v in value['hash'].items()})


def _key(path: str) -> str:
    return requests_cache.create_key(requests.Request('GET', RECORDED['origin'] + path))


@pytest.mark.parametrize('serializer', [None, 'json'])
def test_1x_json_entries_are_served(redis_client: Any, serializer: Any) -> None:
    """The JSON entries 1.x wrote are served under our keys, whatever our serializer, and move
    out of 1.x's key space."""
    _load(redis_client, 'rc133_json')
    cache = RedisCache('rc133_json', connection=redis_client, serializer=serializer)
    assert cache.get_response(_key('/binary')).content == bytes(range(256))
    assert cache.get_response(_key('/json')).json() == {'hello': 'world'}
    assert not list(redis_client.scan_iter('rc133_json:' + '?' * 16))


def test_1x_pickles_are_misses_until_trusted(redis_client: Any) -> None:
    """1.x pickles are left unread (misses) by a default cache, and served once the cache is
    opened with serializer='pickle'; the scan is not repeated for the same trust."""
    _load(redis_client, 'rc133_pickle')
    cache = RedisCache('rc133_pickle', connection=redis_client)
    assert cache.get_response(_key('/json')) is None
    assert len(list(redis_client.scan_iter('rc133_pickle:' + '?' * 16))) == 3
    trusted = RedisCache('rc133_pickle', connection=redis_client, serializer='pickle')
    assert trusted.get_response(_key('/binary')).content == bytes(range(256))
    assert redis_client.get('rc133_pickle:meta:1x-import') == b'pickle'
