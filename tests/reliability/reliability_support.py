"""Shared helpers for the reliability tier (a module, not conftest, so tests can import it)."""

from __future__ import annotations

import os
import threading
from datetime import datetime, timedelta, timezone

#: Scale factor for the heavier `slow` variants and soak runs (RC_SOAK=10 for a long run).
SOAK = max(1, int(os.environ.get('RC_SOAK', '1') or '1'))


class StepClock:
    """An injectable, thread-safe clock: an aware UTC datetime that moves only by `advance`, or
    by ``step`` seconds on every read."""

    def __init__(self, step: float = 0.0) -> None:
        self.now = datetime(2030, 1, 1, tzinfo=timezone.utc)
        self.step = step
        self._lock = threading.Lock()

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        with self._lock:
            self.now += timedelta(seconds=seconds)

    def __call__(self) -> datetime:
        with self._lock:
            now = self.now
            self.now += timedelta(seconds=self.step)
            return now
