"""Choosing stored responses for inspection and cleanup: by key, URL, request, age and validity.

These helpers read through a `BaseCache` and never write; `BaseCache.filter` and
`BaseCache.delete` build on them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

import requests

from ..policy.expiration import parse_expire_after

if TYPE_CHECKING:
    from ..models import CachedResponse
    from .base import BaseCache

__all__ = ['expired_keys', 'iter_entries', 'keys_for', 'older_than_cutoff']

AgeInput = Union[None, int, float, timedelta]


def keys_for(
    key_of: Callable[[Any], str],
    urls: Iterable[str] = (),
    requests_: Iterable[Any] = (),
    method: str = 'GET',
) -> list[str]:
    """The keys ``key_of`` gives these URLs (as plain ``method`` requests) and requests
    (prepared or not)."""
    found = [key_of(requests.Request(method, url).prepare()) for url in urls]
    for request in requests_:
        if isinstance(request, requests.Request):
            request = request.prepare()
        found.append(key_of(request))
    return found


def iter_entries(cache: BaseCache) -> Iterator[tuple[str, Optional[CachedResponse]]]:
    """Every stored key with its response, or None when the entry cannot be decoded.

    Values are read through `BaseStorage.scan`: a few at a time, in as few round trips as the
    backend allows.
    """
    for key, blob in cache.responses.scan():
        try:
            yield key, cache.serializer.loads(blob, key)
        except ValueError:  # DecodeError: corrupt, foreign or written by another format
            yield key, None


def older_than_cutoff(older_than: AgeInput, now: datetime) -> Optional[datetime]:
    """The creation time before which responses count as "older than" ``older_than``."""
    if older_than is None:
        return None
    age = parse_expire_after(older_than, 'older_than')
    if not isinstance(age, timedelta):
        raise TypeError(f'older_than={older_than!r} is not valid; allowed: seconds or a timedelta')
    return now - age


def expired_keys(cache: BaseCache, now: datetime) -> list[str]:
    """Keys of expired responses: from the backend's expiry index when it has one."""
    indexed = getattr(cache.responses, 'expired_keys', None)
    if indexed is not None:
        return list(indexed(now))
    return [
        key
        for key, response in iter_entries(cache)
        if response is not None and response.expires is not None and response.expires <= now
    ]
