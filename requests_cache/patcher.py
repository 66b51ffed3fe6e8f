"""Global caching for plain ``requests`` calls: the one module that touches global state.

`install_cache` replaces `requests.Session` (and so ``requests.get()`` and friends) with a
`CachedSession` subclass whose instances all share one backend. Prefer a `CachedSession` where
you can: patching is process-wide, so every thread and library that uses ``requests`` is affected.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Optional, Union

import requests

from .backends import BaseCache, check_backend_kwargs, init_backend
from .policy.settings import split_kwargs
from .session import CachedSession
from .session._context import ALL_SESSIONS, disabled_for

__all__ = [
    'clear',
    'delete',
    'disabled',
    'enabled',
    'get_cache',
    'install_cache',
    'is_installed',
    'uninstall_cache',
]

_original_session = requests.Session
_lock = threading.RLock()


def install_cache(
    cache_name: str = 'http_cache',
    backend: Union[str, BaseCache, None] = None,
    session_factory: type[CachedSession] = CachedSession,
    metrics: Any = False,
    **kwargs: Any,
) -> None:
    """Cache every request made through ``requests``, in every thread, until uninstalled.

    Args:
        cache_name: Cache location, as for `CachedSession`.
        backend: A backend name or instance, as for `CachedSession`.
        session_factory: The session class to install (a `CachedSession` subclass).
        metrics: OpenTelemetry metrics, as for `CachedSession`.
        kwargs: Settings and backend arguments, as for `CachedSession`.
    """
    setting_kwargs, backend_kwargs = split_kwargs(kwargs)
    check_backend_kwargs(backend, backend_kwargs, 'install_cache')
    # Validate the settings now, so a mistake fails here and not on the first request.
    session_factory(backend=init_backend('', 'memory'), **setting_kwargs).close()
    shared_backend = init_backend(cache_name, backend, **backend_kwargs)
    if metrics:  # checked now, like the settings
        session_factory(backend=shared_backend, autoclose=False, metrics=metrics).close()

    class _InstalledSession(session_factory):  # type: ignore[valid-type, misc]
        """A `CachedSession` bound to the installed backend."""

        def __init__(self) -> None:
            # autoclose=False: requests.get() closes its session after every call, and the
            # backend is shared by all of them.
            super().__init__(
                backend=shared_backend, autoclose=False, metrics=metrics, **setting_kwargs
            )

        def __reduce__(self) -> tuple[Any, ...]:
            # Pickled like a requests.Session (its own attributes only), and unpickled as the
            # session requests.Session() makes then: cached again if a cache is installed.
            state = _original_session.__getstate__(self)  # type: ignore[attr-defined]
            return (_new_session, (), state)

    with _lock:
        _patch(_InstalledSession)


def _new_session() -> requests.Session:
    return requests.Session()


def uninstall_cache() -> None:
    """Restore plain `requests.Session`; the installed cache is left as it is on disk."""
    with _lock:
        _patch(_original_session)


def is_installed() -> bool:
    """True if `install_cache` is in effect."""
    return requests.Session is not _original_session


def get_cache() -> Optional[BaseCache]:
    """The installed cache's backend, or None."""
    if not is_installed():
        return None
    return requests.Session().cache  # type: ignore[attr-defined, no-any-return]


def clear() -> None:
    """Clear the installed cache, if any."""
    cache = get_cache()
    if cache is not None:
        cache.clear()


def delete(*args: Any, **kwargs: Any) -> None:
    """Delete responses from the installed cache; takes the arguments of ``BaseCache.delete``."""
    cache = get_cache()
    if cache is not None:
        cache.delete(*args, **kwargs)


@contextmanager
def enabled(*args: Any, **kwargs: Any) -> Iterator[None]:
    """Install a cache for the duration of a block, then restore what was there before.

    Takes the arguments of `install_cache`. Like it, this is process-wide.
    """
    previous = requests.Session
    install_cache(*args, **kwargs)
    try:
        yield
    finally:
        with _lock:
            _patch(previous)


@contextmanager
def disabled() -> Iterator[None]:
    """Turn caching off for every cached session, in the current thread or task only."""
    with disabled_for(ALL_SESSIONS):
        yield


def _patch(session_class: type[requests.Session]) -> None:
    requests.Session = session_class  # type: ignore[misc]
    requests.sessions.Session = session_class  # type: ignore[misc]


logger = logging.getLogger(__name__)
