"""Background refreshes for stale-while-revalidate: a small pool, one refresh per key at a time."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Optional

__all__ = ['BackgroundRefresher']

logger = logging.getLogger(__name__)


class BackgroundRefresher:
    """Runs refresh tasks on worker threads, never two at once for the same key.

    Args:
        workers: Most refreshes running at the same time.
    """

    def __init__(self, workers: int = 4) -> None:
        self.workers = workers
        self._lock = threading.Lock()
        self._running: set[str] = set()
        self._pool: Optional[ThreadPoolExecutor] = None

    def submit(self, key: str, task: Callable[[], None]) -> bool:
        """Start ``task`` for ``key`` unless one is already running; True if it was started.

        An exception in ``task`` is logged; the stale entry stays as it was.
        """
        with self._lock:
            if key in self._running:
                logger.debug('A background refresh of %s is already running', key)
                return False
            self._running.add(key)
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, 'requests-cache-refresh')

            def run() -> None:
                try:
                    task()
                except Exception as exc:  # a failed refresh must not kill the worker
                    logger.warning('Background refresh of %s failed: %r', key, exc)
                finally:
                    with self._lock:
                        self._running.discard(key)

            self._pool.submit(run)
        return True

    def wait(self) -> None:
        """Block until every refresh started so far has finished."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
