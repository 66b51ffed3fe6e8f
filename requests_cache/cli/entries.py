"""Reading stored entries for the commands: entries and rows, URL filters, ages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import Optional

from ..backends import BaseCache
from ..backends.selection import iter_entries, keys_for
from ..models import CachedResponse
from ..policy import DO_NOT_CACHE, NEVER_EXPIRE, ExpireAfter
from ._terminal import progress

__all__ = [
    'Entry',
    'Row',
    'Scan',
    'find_response',
    'load',
    'parse_age',
    'parse_expire_after_text',
]

_AGE = re.compile(r'(\d+(?:\.\d+)?)\s*([smhdw]?)')
_UNIT_SECONDS = {'': 1, 's': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800}


@dataclass(frozen=True)
class Entry:
    """One stored response, as the commands show it."""

    key: str
    response: CachedResponse

    def is_expired(self, now: datetime) -> bool:
        """True if the response's expiry time has passed at ``now``."""
        expires = self.response.expires
        return expires is not None and expires <= now

    def row(self) -> Row:
        """The summary `list` prints, without the body."""
        response = self.response
        return Row(
            key=self.key,
            # The stored request's method, without building the request object.
            method=response.request_identity[0],
            url=response.url,
            status=response.status_code,
            size=response.size,
            created_at=response.created_at,
            expires=response.expires,
        )


@dataclass(frozen=True)
class Row:
    """What ``list`` shows of a stored response: small enough to keep thousands of."""

    key: str
    method: str
    url: str
    status: int
    size: int
    created_at: datetime
    expires: Optional[datetime]

    def is_expired(self, now: datetime) -> bool:
        """True if the response's expiry time has passed at ``now``."""
        return self.expires is not None and self.expires <= now

    def as_dict(self, now: datetime) -> dict[str, object]:
        """A JSON-ready summary."""
        return {
            'key': self.key,
            'method': self.method,
            'url': self.url,
            'status': self.status,
            'size': self.size,
            'created_at': self.created_at.isoformat(),
            'expires': self.expires.isoformat() if self.expires else None,
            'expired': self.is_expired(now),
        }


def parse_age(text: str) -> timedelta:
    """Parse an age such as ``90``, ``90s``, ``15m``, ``1h``, ``2d`` or ``1w``.

    Raises:
        ValueError: The text is not a number with an optional unit.
    """
    match = _AGE.fullmatch(text.strip().lower())
    if not match:
        raise ValueError(f'{text!r} is not an age; use seconds or a suffix: 90, 15m, 1h, 2d, 1w')
    return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def parse_expire_after_text(text: str) -> ExpireAfter:
    """Parse an ``--expire-after`` value: an age (see `parse_age`), ``never`` or ``do-not-cache``.

    Raises:
        ValueError: The text is none of those.
    """
    # The special values by name: their numbers (-1, 0) read like typos on a command line.
    specials = {'never': NEVER_EXPIRE, 'do-not-cache': DO_NOT_CACHE}
    if text.strip().lower() in specials:
        return specials[text.strip().lower()]
    return parse_age(text)


class Scan:
    """The readable entries of a cache (optionally only URLs matching a glob), as they are read.

    Iterate it once; afterwards `unreadable` holds the keys of entries that could not be decoded.

    Args:
        cache: The cache to read.
        url_glob: Only URLs matching this shell-style pattern (``*/api/*``).
        label: With a label, a progress bar counts the entries on a terminal's stderr.
    """

    def __init__(
        self, cache: BaseCache, url_glob: Optional[str] = None, label: Optional[str] = None
    ) -> None:
        self.cache = cache
        self.url_glob = url_glob
        self.label = label
        self.unreadable: list[str] = []

    def __iter__(self) -> Iterator[Entry]:
        entries = iter_entries(self.cache)
        if self.label is not None:
            entries = progress(entries, len(self.cache.responses), self.label)
        for key, response in entries:
            if response is None:
                self.unreadable.append(key)
            elif self.url_glob is None or fnmatchcase(response.url, self.url_glob):
                yield Entry(key, response)


def load(cache: BaseCache, key: str) -> Optional[CachedResponse]:
    """The response stored under ``key``, or None if there is none or it cannot be read.

    Unlike `BaseCache.get_response` it changes nothing: an unreadable entry stays where it is.
    """
    blob = cache.responses.get(key)
    if blob is None:
        return None
    try:
        return cache.serializer.loads(blob, key)
    except ValueError:  # DecodeError: corrupt, foreign or written by another format
        return None


def find_response(cache: BaseCache, url_or_key: str) -> Optional[Entry]:
    """The entry stored under a key, or for a GET URL: by the default key, else by its URL.

    A key may also be a redirect alias. Like `load`, it changes nothing in the cache.
    """
    for key in [url_or_key, *_default_keys(cache, url_or_key)]:
        target = cache.redirects.get(key)
        for candidate in [key] if target is None else [key, _text(target)]:
            response = load(cache, candidate)
            if response is not None:
                return Entry(candidate, response)
    # A session with custom key settings stores the URL under another key: scan for it.
    for key, response in iter_entries(cache):
        if response is not None and response.url == url_or_key:
            return Entry(key, response)
    return None


def _default_keys(cache: BaseCache, text: str) -> list[str]:
    if '://' not in text:
        return []
    try:
        return keys_for(cache.create_key, [text])
    except ValueError:  # not a URL requests can prepare
        return []


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
