"""Helpers behind the requests-cache 1.x parts of `BaseCache`: constructor arguments, keys built
with the owning session's settings, and listing, counting and sorting stored responses."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Callable, Optional

import requests

from ..keys import create_key
from ..policy.settings import CacheSettings
from ._arguments_1x import translate

if TYPE_CHECKING:
    from ..models import CachedResponse
    from .base import BaseCache

__all__ = ['accepting_1x_arguments', 'key_for', 'sorted_responses']

_SORT_KEYS: dict[str, Callable[[CachedResponse], Any]] = {
    'expires': lambda r: (r.expires is not None, r.expires.timestamp() if r.expires else 0),
    'size': lambda r: r.size,
    'key': lambda r: str(getattr(r, 'cache_key', '')),
}


def accepting_1x_arguments(init: Callable[..., None]) -> Callable[..., None]:
    """Wrap a backend's ``__init__`` so it takes requests-cache 1.x arguments (see
    `requests_cache.backends._arguments_1x`)."""

    @functools.wraps(init)
    def __init__(self: BaseCache, *args: Any, **kwargs: Any) -> None:
        ours, decode_content = translate(type(self), kwargs)
        init(self, *args, **ours)
        if type(self).__init__ is not __init__:
            return  # a base class's constructor, called by the subclass's: it finishes the job
        if decode_content is not None and self.serializer.decode_content != decode_content:
            from ..serializers import init_serializer

            self.serializer = init_serializer(self.serializer, decode_content)
            self.responses.serializer = self.serializer
        from ._import_1x import import_1x_entries  # imports the migrate module: not at load time

        import_1x_entries(self)

    return __init__


def key_for(request: Any, settings: CacheSettings, verify: Any = True, **kwargs: Any) -> str:
    """The key a session with ``settings`` uses for ``request`` (prepared or not), with its
    ``key_fn`` if it has one."""
    if isinstance(request, requests.Request):
        request = prepare(request)
    key_kwargs = {
        'ignored_parameters': settings.ignored_parameters,
        'match_headers': settings.match_headers,
        'verify': verify,
        **kwargs,
    }
    if settings.key_fn is not None:
        return settings.key_fn(request=request, **key_kwargs)
    return create_key(request, **key_kwargs)


def sorted_responses(
    cache: BaseCache,
    key: str = 'expires',
    reversed: bool = False,
    limit: Optional[int] = None,
    expired: bool = True,
) -> Iterator[CachedResponse]:
    """Stored responses ordered by ``'expires'`` (never-expiring ones first, as in 1.x),
    ``'size'`` or ``'key'``; see `BaseCache.sorted`.

    Raises:
        ValueError: ``key`` is not one of those.
    """
    responses = sorted(cache.filter(expired=expired), key=sort_key(key), reverse=reversed)
    yield from responses[:limit] if limit else responses


def sort_key(key: str) -> Callable[[CachedResponse], Any]:
    """The sort function for ``sorted(key=...)``: ``'expires'``, ``'size'`` or ``'key'``.

    Raises:
        ValueError: ``key`` is not one of those.
    """
    if key not in _SORT_KEYS:
        raise ValueError(f'sort key {key!r} is not valid; allowed: {sorted(_SORT_KEYS)}')
    return _SORT_KEYS[key]


#: (words in a storage error, what to do about it), first match wins.
_WRITE_FIXES = (
    (
        ('no column named', 'no such table', 'no such column'),
        'the file was written by another program or release: move it aside, or open it once '
        'with this release so it is upgraded',
    ),
    (
        ('readonly', 'read-only', 'permission denied', 'access is denied'),
        'make the cache and its directory writable, or pass read_only=True to the session to only '
        'read from it',
    ),
    (('disk is full', 'no space'), 'free some disk space, or set max_size to bound the cache'),
    (
        ('locked', 'busy', 'timed out', 'timeout'),
        'another process holds the cache: raise write_timeout, or give each process its own cache',
    ),
)


def write_failure_message(cache: Any, exc: BaseException) -> str:
    """The ERROR line for a cache's first failed write: what failed, why, and how to fix it."""
    text = str(exc).lower()
    fix = next(
        (advice for words, advice in _WRITE_FIXES if any(w in text for w in words)),
        'check that the storage is reachable and writable',
    )
    return (
        f'{cache!r} could not store a response ({exc}); responses are still served, but not '
        f'cached until this is fixed: {fix}. Failed writes are counted in '
        'cache.stats.write_errors; pass strict=True to raise instead'
    )


def prepare(request: requests.Request) -> requests.PreparedRequest:
    """``request`` prepared as a session prepares it (its default headers added, headers set to
    None dropped), as requests-cache 1.x did for keys."""
    with requests.Session() as session:
        return session.prepare_request(request)


def vacuum_storage(cache: Any) -> None:
    """Give the space of deleted entries back to the filesystem, where the backend can (SQLite)."""
    connections = getattr(cache, 'connections', None)
    if connections is None or getattr(connections, 'path', None) is None:
        return
    import sqlite3

    from ..errors import translate_errors

    with translate_errors('sqlite', sqlite3.Error):
        connections.get().execute('VACUUM')  # outside any transaction, as VACUUM requires
