"""`set_request_headers`: requests-cache 1.x's per-request options as request headers.

Kept for code written for 1.x, importable from `requests_cache.policy.directives`. A session never
needs it: per-request options travel to ``send()`` in a context variable, never as headers. The
headers it returns ask for the same behaviour in standard RFC 9111 terms, so a session with
``cache_control=True`` (or any other HTTP cache) honours them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from ._expiration_1x import get_expiration_seconds
from .expiration import DO_NOT_CACHE, NEVER_EXPIRE

__all__ = ['set_request_headers']


def set_request_headers(
    headers: Optional[Mapping[str, str]],
    expire_after: Any,
    only_if_cached: bool,
    refresh: bool,
    force_refresh: bool,
) -> dict[str, str]:
    """A copy of ``headers`` with Cache-Control directives for these options added.

    ``only_if_cached`` becomes ``only-if-cached``; ``refresh`` (revalidate first) ``no-cache``;
    ``force_refresh`` (ignore what is stored) ``no-cache`` and ``max-age=0``; ``expire_after``
    ``max-age=<seconds>`` (nothing for ``NEVER_EXPIRE``), or ``no-store`` for ``DO_NOT_CACHE``.
    Existing directives are kept.

    Returns:
        A new dict; the names of ``headers`` keep their spelling.
    """
    result = dict(headers or {})
    name = next((k for k in result if k.lower() == 'cache-control'), 'Cache-Control')
    directives = [d.strip() for d in result.get(name, '').split(',') if d.strip()]
    if only_if_cached:
        directives.append('only-if-cached')
    if refresh or force_refresh:
        directives.append('no-cache')
    if force_refresh:
        directives.append('max-age=0')
    if expire_after is not None and not isinstance(expire_after, bool):
        if expire_after == DO_NOT_CACHE:
            directives.append('no-store')
        elif not force_refresh and expire_after != NEVER_EXPIRE:
            directives.append(f'max-age={max(get_expiration_seconds(expire_after), 0)}')
    if directives:
        result[name] = ', '.join(sorted(set(directives)))
    return result
