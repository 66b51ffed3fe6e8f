"""Hit/miss statistics: thread-safe counters, cheap enough for the hit path.

A session counts its own requests in ``session.stats``, and also adds them to
``session.cache.stats``, which every session sharing that backend adds to.
"""

from __future__ import annotations

import threading
from collections import Counter

__all__ = ['CacheStats']


class CacheStats:
    """Counters of what a cache did.

    Attributes (all ints): ``hits`` (fresh responses served), ``stale`` (stale responses served,
    broken down by rule in `stale_by_reason`), ``misses`` (requests sent to the origin),
    ``revalidations`` (304 answers that freshened a stored response), ``stores`` and
    ``bytes_stored`` (responses written), ``read_errors`` and ``write_errors`` (storage failures
    that were skipped), ``evictions`` (entries removed to respect a size limit).
    """

    FIELDS = (
        'hits',
        'stale',
        'misses',
        'revalidations',
        'stores',
        'bytes_stored',
        'read_errors',
        'write_errors',
        'evictions',
    )

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._stale: Counter[str] = Counter()

    def add(self, name: str, amount: int = 1) -> None:
        """Add to one counter.

        Raises:
            ValueError: ``name`` is not one of `FIELDS`.
        """
        if name not in self.FIELDS:
            raise ValueError(f'unknown statistic {name!r}; allowed: {", ".join(self.FIELDS)}')
        with self._lock:
            self._counts[name] += amount

    def add_stale(self, reason: str) -> None:
        """Count a stale response served, by the rule that allowed it."""
        with self._lock:
            self._counts['stale'] += 1
            self._stale[reason] += 1

    @property
    def stale_by_reason(self) -> dict[str, int]:
        """Stale responses served, per rule (``stale-if-error``, ``max-stale``...)."""
        with self._lock:
            return dict(self._stale)

    @property
    def hit_ratio(self) -> float:
        """Hits and stale responses over all lookups; 0.0 before any request."""
        counts = self.as_dict()
        served = counts['hits'] + counts['stale']
        total = served + counts['misses']
        return served / total if total else 0.0

    def as_dict(self) -> dict[str, int]:
        """A consistent copy of every counter."""
        with self._lock:
            return {name: self._counts[name] for name in self.FIELDS}

    def reset(self) -> None:
        """Set every counter back to zero."""
        with self._lock:
            self._counts.clear()
            self._stale.clear()

    def __getattr__(self, name: str) -> int:
        if name in CacheStats.FIELDS:
            with self._lock:
                return self._counts[name]
        raise AttributeError(name)

    def __repr__(self) -> str:
        counts = ', '.join(f'{k}={v}' for k, v in self.as_dict().items())
        return f'CacheStats({counts})'
