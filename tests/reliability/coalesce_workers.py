"""Worker processes for the cross-process coalescing tests: a module, so multiprocessing can
find them by name."""

from __future__ import annotations

import time
from typing import Any

import requests_cache


def open_session(spec: dict[str, Any]) -> requests_cache.CachedSession:
    """A session with cross-process coalescing on the store a spec names."""
    settings = {'coalesce_across_processes': True, 'coalesce_timeout': spec['coalesce_timeout']}
    if spec['backend'] == 'redis':
        return requests_cache.CachedSession(
            spec['namespace'], backend='redis', url=spec['url'], **settings
        )
    return requests_cache.CachedSession(spec['path'], backend=spec['backend'], **settings)


def fetch(spec: dict[str, Any], url: str, timeout: float, start: Any, out: Any) -> None:
    """Wait for the start signal, GET ``url``; report (body, from_cache, seconds taken)."""
    session = open_session(spec)
    start.wait()
    started = time.monotonic()
    try:
        response = session.get(url, timeout=timeout)
        out.put((response.content, response.from_cache, time.monotonic() - started))
    except Exception as exc:  # reported, so the test shows it instead of a missing result
        out.put((repr(exc).encode(), None, time.monotonic() - started))
    finally:
        session.close()
