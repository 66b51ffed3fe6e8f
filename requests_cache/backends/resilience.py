"""Fail-open support for network backends: a cache that is down must not break requests.

When a Redis, MongoDB or DynamoDB call fails, `BaseCache` treats a read as a miss and skips a
write, and tells a `CircuitBreaker`. After ``threshold`` consecutive failures the breaker opens and
the cache is not called at all for ``cooldown`` seconds, so a dead or slow server costs one
timeout per cool-down instead of one per request. Then one call is let through to probe it; a
success closes the breaker.

Warnings are rate-limited (one per ``log_interval``) so an outage does not flood the log; every
failure is still counted in `CircuitBreaker.failures`.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

__all__ = ['NEVER_OPENS', 'CircuitBreaker']

#: A threshold no run of failures reaches: the breaker only counts and logs (local storage).
NEVER_OPENS = 2**62

logger = logging.getLogger(__name__)


class CircuitBreaker:
    """Counts consecutive storage failures and says when to stop calling the backend.

    Args:
        name: The backend, for log messages.
        threshold: Consecutive failures that open the breaker.
        cooldown: Seconds the breaker stays open before letting a probe through.
        log_interval: Minimum seconds between two failure warnings.
        clock: A monotonic clock in seconds; a seam for tests.
    """

    def __init__(
        self,
        name: str,
        threshold: int = 3,
        cooldown: float = 30.0,
        log_interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.threshold = threshold
        self.cooldown = cooldown
        self.log_interval = log_interval
        self.clock = clock
        #: Every failure since this breaker was made.
        self.failures = 0
        #: Calls skipped because the breaker was open.
        self.skipped = 0
        self._consecutive = 0
        self._open_until = 0.0
        self._last_log = float('-inf')
        self._suppressed = 0
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        """True while calls to the backend are being skipped."""
        with self._lock:
            return self._consecutive >= self.threshold and self.clock() < self._open_until

    def allow(self) -> bool:
        """Whether to call the backend now; False while open (and counts the skip).

        Returns:
            True when closed, or when the cool-down is over and a probe may go through.
        """
        with self._lock:
            if self._consecutive >= self.threshold and self.clock() < self._open_until:
                self.skipped += 1
                return False
            return True

    def record_success(self) -> None:
        """A call worked: close the breaker."""
        with self._lock:
            if self._consecutive >= self.threshold:
                logger.warning('%s storage is reachable again; caching resumed', self.name)
            self._consecutive = 0

    def record_failure(self, exc: BaseException) -> None:
        """A call failed: count it, log it (rate-limited), and open the breaker if due.

        Args:
            exc: The storage error, for the log message.
        """
        with self._lock:
            self.failures += 1
            self._consecutive += 1
            now = self.clock()
            opened = self._consecutive >= self.threshold
            if opened:
                # Also restarts the cool-down when a probe fails.
                self._open_until = now + self.cooldown
            if now - self._last_log < self.log_interval:
                self._suppressed += 1
                return
            suppressed, self._suppressed = self._suppressed, 0
            self._last_log = now
        logger.warning(
            '%s storage failed, treating it as a cache miss (%d similar failures not logged)%s: %s',
            self.name,
            suppressed,
            f'; skipping it for {self.cooldown:g}s' if opened else '',
            exc,
        )

    def __repr__(self) -> str:
        return (
            f'<CircuitBreaker {self.name} open={self.is_open} failures={self.failures} '
            f'skipped={self.skipped}>'
        )
