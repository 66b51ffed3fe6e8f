"""Hit/miss statistics: thread-safe counters, cheap enough for the hit path, and their sum over
every process that wrote them to a cache.

A session counts its own requests in ``session.stats``, and also adds them to
``session.cache.stats``, which every session sharing that backend adds to. A cache writes its
``stats`` to its backend now and then (see `requests_cache.backends.stats_store`), and
`StatsSummary` adds those records up: ``cache.persisted_stats()``.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Optional

__all__ = ['CacheStats', 'StatsRecord', 'StatsSummary', 'hit_ratio']

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


class CacheStats:
    """Counters of what a cache did.

    Attributes (all ints): ``hits`` (fresh responses served), ``stale`` (stale responses served,
    broken down by rule in `stale_by_reason`), ``misses`` (requests sent to the origin),
    ``revalidations`` (304 answers that freshened a stored response), ``stores`` and
    ``bytes_stored`` (responses written), ``read_errors`` and ``write_errors`` (storage failures
    that were skipped), ``evictions`` (entries removed to respect a size limit).
    """

    FIELDS = FIELDS

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Totals since creation; reset() moves the zero instead, so what was written to a
        # backend (`totals`) never goes down.
        self._counts: Counter[str] = Counter()
        self._stale: Counter[str] = Counter()
        self._zero: Counter[str] = Counter()
        self._stale_zero: Counter[str] = Counter()
        _LIVE.add(self)

    def add(self, name: str, amount: int = 1) -> None:
        """Add to one counter.

        Raises:
            ValueError: ``name`` is not one of `FIELDS`.
        """
        if name not in FIELDS:
            raise ValueError(f'unknown statistic {name!r}; allowed: {", ".join(FIELDS)}')
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
            return _nonzero(self._stale, self._stale_zero)

    @property
    def hit_ratio(self) -> float:
        """Hits and stale responses over all lookups; 0.0 before any request."""
        return hit_ratio(self.as_dict())

    def as_dict(self) -> dict[str, int]:
        """A consistent copy of every counter."""
        with self._lock:
            return {name: self._counts[name] - self._zero[name] for name in FIELDS}

    def totals(self) -> tuple[dict[str, int], dict[str, int]]:
        """Every counter and `stale_by_reason` since this object was made, ignoring `reset`.

        Returns:
            ``(counts, stale_by_reason)``, with zero counts left out.
        """
        with self._lock:
            return _nonzero(self._counts, Counter()), _nonzero(self._stale, Counter())

    def reset(self) -> None:
        """Set every counter back to zero (statistics already written to a backend stay)."""
        with self._lock:
            self._zero = self._counts.copy()
            self._stale_zero = self._stale.copy()

    def _after_fork(self) -> None:
        # Another thread of the parent may have held the lock at fork(): the child's copy would
        # stay locked forever.
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> int:
        if name in FIELDS:
            with self._lock:
                return self._counts[name] - self._zero[name]
        raise AttributeError(name)

    def __repr__(self) -> str:
        counts = ', '.join(f'{k}={v}' for k, v in self.as_dict().items())
        return f'CacheStats({counts})'


@dataclass(frozen=True)
class StatsSummary:
    """The statistics of every process that wrote them to one cache, added up.

    Counters are readable as attributes, as on `CacheStats` (``summary.hits``).

    Args:
        counts: Each counter of `CacheStats.FIELDS`, summed over every record.
        stale_by_reason: Stale responses served, per rule, summed.
        records: How many records were added up (one per cache object per process).
        processes: How many distinct processes (host and pid) wrote them.
        first_update: When the oldest record was last written (None: no record).
        last_update: When the newest record was last written (None: no record).
    """

    counts: Mapping[str, int] = field(default_factory=dict)
    stale_by_reason: Mapping[str, int] = field(default_factory=dict)
    records: int = 0
    processes: int = 0
    first_update: Optional[datetime] = None
    last_update: Optional[datetime] = None

    @classmethod
    def add_up(cls, records: Iterable[StatsRecord]) -> StatsSummary:
        """Sum records read from a backend."""
        counts: Counter[str] = Counter()
        stale: Counter[str] = Counter()
        processes, times = set(), []
        for record in records:
            counts.update(record.counts)
            stale.update(record.stale_by_reason)
            processes.add((record.host, record.pid))
            times.append(record.updated)
        return cls(
            counts={name: counts[name] for name in FIELDS},
            stale_by_reason=dict(sorted(stale.items())),
            records=len(times),
            processes=len(processes),
            first_update=min(times, default=None),
            last_update=max(times, default=None),
        )

    @property
    def hit_ratio(self) -> float:
        """Hits and stale responses over all lookups; 0.0 before any request."""
        return hit_ratio(self.counts)

    def as_dict(self) -> dict[str, Any]:
        """Every counter, the hit ratio and the record metadata, ready for JSON."""
        return {
            **{name: self.counts.get(name, 0) for name in FIELDS},
            'hit_ratio': round(self.hit_ratio, 4),
            'stale_by_reason': dict(self.stale_by_reason),
            'records': self.records,
            'processes': self.processes,
            'first_update': self.first_update.isoformat() if self.first_update else None,
            'last_update': self.last_update.isoformat() if self.last_update else None,
        }

    def __getattr__(self, name: str) -> int:
        if name in FIELDS:
            return self.counts.get(name, 0)
        raise AttributeError(name)


@dataclass(frozen=True)
class StatsRecord:
    """What one cache object in one process wrote: its counters since it started (or since the
    last persisted reset), and who wrote them when."""

    host: str
    pid: int
    updated: datetime
    counts: Mapping[str, int]
    stale_by_reason: Mapping[str, int]


def hit_ratio(counts: Mapping[str, int]) -> float:
    """Hits and stale responses over hits, stale responses and misses; 0.0 if all are zero."""
    served = counts.get('hits', 0) + counts.get('stale', 0)
    total = served + counts.get('misses', 0)
    return served / total if total else 0.0


def _nonzero(counts: Counter[str], zero: Counter[str]) -> dict[str, int]:
    return {k: v - zero[k] for k, v in counts.items() if v - zero[k]}


_LIVE: weakref.WeakSet[CacheStats] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for stats in list(_LIVE):
        stats._after_fork()


if hasattr(os, 'register_at_fork'):  # POSIX; Windows has no fork()
    os.register_at_fork(after_in_child=_after_fork_in_child)
