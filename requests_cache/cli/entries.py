"""Reading stored entries for the commands: rows, filters, ages, and a progress indicator."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import Optional, TypeVar

from ..backends import BaseCache
from ..backends.selection import iter_entries, keys_for
from ..models import CachedResponse
from ..policy import DO_NOT_CACHE, NEVER_EXPIRE, ExpireAfter

__all__ = [
    'Entry',
    'find_response',
    'parse_age',
    'parse_expire_after_text',
    'progress',
    'read_entries',
]

T = TypeVar('T')

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

    def as_dict(self, now: datetime) -> dict[str, object]:
        """A JSON-ready summary."""
        response = self.response
        return {
            'key': self.key,
            'method': response.request.method,
            'url': response.url,
            'status': response.status_code,
            'size': response.size,
            'created_at': response.created_at.isoformat(),
            'expires': response.expires.isoformat() if response.expires else None,
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


def progress(items: Iterable[T], total: int, label: str) -> Iterator[T]:
    """Yield ``items``, drawing a counter on stderr when stderr is a terminal.

    Scripts that capture stderr never see the carriage-return noise.
    """
    if not sys.stderr.isatty():
        yield from items
        return
    count = 0
    for count, item in enumerate(items, 1):
        if count % 50 == 0 or count == total:
            sys.stderr.write(f'\r{label}: {count}/{total}')
            sys.stderr.flush()
        yield item
    if count:
        sys.stderr.write('\r' + ' ' * (len(label) + 24) + '\r')
        sys.stderr.flush()


def read_entries(
    cache: BaseCache, url_glob: Optional[str] = None, label: str = 'Reading'
) -> tuple[list[Entry], list[str]]:
    """Every readable entry (optionally only URLs matching ``url_glob``), and unreadable keys."""
    entries: list[Entry] = []
    invalid: list[str] = []
    total = len(cache.responses)
    for key, response in progress(iter_entries(cache), total, label):
        if response is None:
            invalid.append(key)
        elif url_glob is None or fnmatchcase(response.url, url_glob):
            entries.append(Entry(key, response))
    return entries, invalid


def find_response(cache: BaseCache, url_or_key: str) -> Optional[Entry]:
    """The entry stored under a key, or for a GET URL: by the default key, else by its URL."""
    for key in [url_or_key, *_default_keys(cache, url_or_key)]:
        response = cache.get_response(key)
        if response is not None:
            return Entry(response.cache_key or key, response)
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
