"""Helpers for the command-line tests: the result of one run, and a cache to run against."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from origin import Origin

import requests_cache
from requests_cache.models import utcnow

#: An expiry in the past: stored expired (expire_after=0 without a validator is not stored).
ALREADY_EXPIRED = datetime(2000, 1, 1, tzinfo=timezone.utc)


@dataclass
class Result:
    """What one CLI run produced."""

    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """stdout parsed as JSON."""
        return json.loads(self.stdout)


Runner = Callable[..., Result]


@dataclass
class Urls:
    """The URLs stored in the ``filled`` cache."""

    text: str
    binary: str
    expired: str
    old: str


def fill(session: requests_cache.CachedSession, origin: Origin) -> Urls:
    """Store four responses: text, binary, already expired, and one created three days ago."""
    urls = Urls(
        text=origin.route(
            '/text',
            headers={'Content-Type': 'text/plain; charset=utf-8', 'X-Test': 'yes'},
            body=b'hello world ' * 100,
        ),
        binary=origin.route(
            '/img?size=2&empty=', headers={'Content-Type': 'image/png'}, body=b'\x89PNG\x00\xff'
        ),
        expired=origin.route('/expired', body=b'stale'),
        old=origin.route('/old', body=b'ancient'),
    )
    session.get(urls.text)
    session.get(urls.binary)
    session.get(urls.expired, expire_after=ALREADY_EXPIRED)
    session.get(urls.old)
    # Backdate one entry instead of sleeping, so --older-than has something to find.
    for key in list(session.cache.responses):
        response = session.cache.get_response(key)
        assert response is not None
        if response.url == urls.old:
            response.created_at = response.request_time = utcnow() - timedelta(days=3)
            session.cache.save_response(response, key)
    return urls
