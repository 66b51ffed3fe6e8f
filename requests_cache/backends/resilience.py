"""Fail-open support for network backends: a cache that is down must not break requests.

Network backends give every call a short timeout (`FAIL_FAST_TIMEOUT`) and no retries. When a
Redis, MongoDB or DynamoDB call fails, `BaseCache` treats a read as a miss and skips a
write, and tells a `CircuitBreaker`. The breaker opens after ``threshold`` failures in a row, or
as soon as failures in a row have kept callers waiting ``wait_budget`` seconds in total (one
timeout of a hung server is enough), so an outage costs each process about one timeout, not one
per request. While open, the backend is not called at all; every ``cooldown`` seconds one call
is let through to probe it, and a success closes the breaker.

Warnings are rate-limited (one per ``log_interval``) so an outage does not flood the log; every
failure is still counted in `CircuitBreaker.failures`.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Optional

__all__ = [
    'DEFAULT_COOLDOWN',
    'DEFAULT_WAIT_BUDGET',
    'FAIL_FAST_TIMEOUT',
    'NEVER_OPENS',
    'CircuitBreaker',
]

#: A threshold no run of failures reaches: the breaker only counts and logs (local storage).
NEVER_OPENS = 2**62
#: Seconds an open breaker skips the backend before one call probes it.
DEFAULT_COOLDOWN = 5.0
#: Seconds of waiting on failed calls in a row that open the breaker before ``threshold``.
DEFAULT_WAIT_BUDGET = 0.05
#: Seconds a network backend waits for a connection or a reply before giving up on a call: the
#: most a request waits for a server that is down or hung, before the breaker opens.
FAIL_FAST_TIMEOUT = 0.1

logger = logging.getLogger(__name__)


class CircuitBreaker:
    """Counts consecutive storage failures and says when to stop calling the backend.

    Args:
        name: The backend, for log messages.
        threshold: Consecutive failures that open the breaker.
        cooldown: Seconds the breaker stays open before letting one probe through.
        log_interval: Minimum seconds between two failure warnings.
        clock: A monotonic clock in seconds; a seam for tests.
        wait_budget: Seconds that failed calls in a row may have taken, together, before the
            breaker opens even below ``threshold``; None counts failures only.
    """

    def __init__(
        self,
        name: str,
        threshold: int = 3,
        cooldown: float = DEFAULT_COOLDOWN,
        log_interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        wait_budget: Optional[float] = DEFAULT_WAIT_BUDGET,
    ) -> None:
        self.name = name
        self.threshold = threshold
        self.cooldown = cooldown
        self.log_interval = log_interval
        self.clock = clock
        self.wait_budget = wait_budget
        #: Every failure since this breaker was made.
        self.failures = 0
        #: Calls skipped because the breaker was open.
        self.skipped = 0
        self._consecutive = 0
        self._waited = 0.0
        self._tripped = False
        self._open_until = 0.0
        self._last_log = float('-inf')
        self._suppressed = 0
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        """True while calls to the backend are being skipped."""
        with self._lock:
            return self._tripped and self.clock() < self._open_until

    def allow(self) -> bool:
        """Whether to call the backend now; False while open (and counts the skip).

        Once the cool-down is over, exactly one caller gets True (the probe); the others keep
        being skipped for another cool-down unless the probe succeeds first.

        Returns:
            True when closed, or for the one probe after a cool-down.
        """
        with self._lock:
            if not self._tripped:
                return True
            now = self.clock()
            if now < self._open_until:
                self.skipped += 1
                return False
            # The probe: whatever becomes of it, nobody else waits on the server meanwhile.
            self._open_until = now + self.cooldown
            return True

    def record_success(self) -> None:
        """A call worked: close the breaker."""
        with self._lock:
            if self._tripped:
                logger.warning('%s storage is reachable again; caching resumed', self.name)
            self._consecutive = 0
            self._waited = 0.0
            self._tripped = False

    def record_failure(self, exc: BaseException, waited: float = 0.0) -> None:
        """A call failed: count it, log it (rate-limited), and open the breaker if due.

        Args:
            exc: The storage error, for the log message.
            waited: Seconds the failed call took.
        """
        with self._lock:
            self.failures += 1
            self._consecutive += 1
            self._waited += waited
            now = self.clock()
            over_budget = self.wait_budget is not None and self._waited >= self.wait_budget
            opened = self._consecutive >= self.threshold or over_budget
            if opened:
                self._tripped = True
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
