"""Per-context state: the channel for per-request options, and which sessions are disabled.

Context variables are per thread (and per asyncio task), so a ``cache_disabled()`` block in one
thread never affects another thread using the same session.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Optional

from .policy import RequestOptions

__all__ = ['ALL_SESSIONS', 'disabled_for', 'is_disabled', 'request_options']

#: The one channel per-request options travel through from ``request()`` to ``send()``; they never
#: become HTTP headers, so nothing of ours reaches the origin.
request_options: ContextVar[Optional[RequestOptions]] = ContextVar(
    'requests_cache_request_options', default=None
)
#: Sessions with caching turned off in the current thread or task (`ALL_SESSIONS` for all).
_disabled: ContextVar[frozenset[object]] = ContextVar(
    'requests_cache_disabled', default=frozenset()
)
#: Marks every session as disabled (``requests_cache.disabled()``).
ALL_SESSIONS = object()


@contextmanager
def disabled_for(marker: object) -> Iterator[None]:
    """Turn caching off for ``marker`` (a session's token or `ALL_SESSIONS`) in this context."""
    token = _disabled.set(_disabled.get() | {marker})
    try:
        yield
    finally:
        _disabled.reset(token)


def is_disabled(marker: object) -> bool:
    """True if caching is off for ``marker`` (or for all sessions) in this context."""
    active = _disabled.get()
    return bool(active) and (ALL_SESSIONS in active or marker in active)
