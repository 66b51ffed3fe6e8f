"""Hit/miss statistics: thread-safe counters, cheap enough for the hit path, and their sum over
every process that wrote them to a cache.

A session counts its own requests in ``session.stats``, and also adds them to
``session.cache.stats``, which every session sharing that backend adds to. A cache writes its
``stats`` to its backend now and then (see `requests_cache.backends.stats_store`), and
`StatsSummary` adds those records up: ``cache.persisted_stats()``. OpenTelemetry metrics, when
turned on, are read from ``cache.stats`` too (`requests_cache.otel`): every figure is counted
once, here.
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

__all__ = [
    'BREAKDOWNS',
    'FORWARDED_WITHOUT_LOOKUP',
    'CacheStats',
    'StatsRecord',
    'StatsSummary',
    'Totals',
    'hit_ratio',
]

FIELDS = (
    'hits',
    'stale',
    'misses',
    'revalidations',
    'stores',
    'bytes_stored',
    'bytes_saved',
    'read_errors',
    'write_errors',
    'evictions',
)
#: The counters broken down by a reason, and the name of each breakdown.
BREAKDOWNS = {
    'stale': 'stale_by_reason',
    'misses': 'misses_by_reason',
    'revalidations': 'revalidations_by_outcome',
}
#: Miss reasons of requests the cache did not look up (RFC 9211 ``fwd=bypass``, ``fwd=method``):
#: they are misses, but not lookups, so the hit ratio leaves them out.
FORWARDED_WITHOUT_LOOKUP = ('bypass', 'method')

#: Every counter and every breakdown: ``{'counts': {...}, 'stale_by_reason': {...}, ...}``.
Totals = dict[str, dict[str, int]]


class CacheStats:
    """Counters of what a cache did.

    Attributes (all ints): ``hits`` (fresh responses served from the cache), ``stale`` (stale
    responses served, by rule in `stale_by_reason`), ``misses`` (requests the cache did not
    answer from storage, by reason in `misses_by_reason`: the RFC 9211 ``fwd`` values
    ``uri-miss``, ``vary-miss``, ``miss``, ``stale``, ``request``, ``bypass``, ``method``, and
    ``only-if-cached`` for a 504), ``revalidations`` (conditional requests for a stored response,
    by outcome in `revalidations_by_outcome`: ``not-modified``, ``modified``, ``failed``),
    ``stores`` and ``bytes_stored`` (responses written, body bytes), ``bytes_saved`` (body bytes
    handed over from storage instead of from the origin), ``read_errors`` and ``write_errors``
    (storage failures that were skipped), ``evictions`` (entries removed to respect a size
    limit).
    """

    FIELDS = FIELDS

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Totals since creation; reset() moves the zero instead, so what was written to a
        # backend (`totals`) never goes down. Breakdowns are keyed (counter, reason).
        self._counts: Counter[Any] = Counter()
        self._zero: Counter[Any] = Counter()
        _LIVE.add(self)

    def add(self, name: str, amount: int = 1, reason: Optional[str] = None) -> None:
        """Add to one counter (and to its ``reason``, for a counter in `BREAKDOWNS`).

        Raises:
            ValueError: ``name`` is not one of `FIELDS`, or has no breakdown to give a reason to.
        """
        if name not in FIELDS:
            raise ValueError(f'unknown statistic {name!r}; allowed: {", ".join(FIELDS)}')
        if reason is not None and name not in BREAKDOWNS:
            raise ValueError(
                f'statistic {name!r} has no breakdown by reason; only {", ".join(BREAKDOWNS)} do'
            )
        with self._lock:
            self._counts[name] += amount
            if reason is not None:
                self._counts[name, reason] += amount

    def add_stale(self, reason: str) -> None:
        """Count a stale response served, by the rule that allowed it."""
        self.add('stale', 1, reason)

    def add_served(self, stale_rule: Optional[str], body_bytes: int) -> None:
        """Count a response served from storage: a hit, or stale by ``stale_rule``; and the
        body bytes the origin did not have to send."""
        with self._lock:
            counts = self._counts
            if stale_rule is None:
                counts['hits'] += 1
            else:
                counts['stale'] += 1
                counts['stale', stale_rule] += 1
            counts['bytes_saved'] += body_bytes

    @property
    def stale_by_reason(self) -> dict[str, int]:
        """Stale responses served, per rule (``stale-if-error``, ``max-stale``...)."""
        return self._breakdown('stale')

    @property
    def misses_by_reason(self) -> dict[str, int]:
        """Misses, per reason (``uri-miss``, ``vary-miss``, ``stale``, ``bypass``...)."""
        return self._breakdown('misses')

    @property
    def revalidations_by_outcome(self) -> dict[str, int]:
        """Revalidations, per outcome (``not-modified``, ``modified``, ``failed``)."""
        return self._breakdown('revalidations')

    def _breakdown(self, name: str) -> dict[str, int]:
        with self._lock:
            return _part(self._counts, self._zero, name)

    @property
    def hit_ratio(self) -> float:
        """Hits and stale responses over all lookups; 0.0 before any request."""
        return hit_ratio(self.as_dict(), self.misses_by_reason)

    def as_dict(self) -> dict[str, int]:
        """A consistent copy of every counter."""
        with self._lock:
            return {name: self._counts[name] - self._zero[name] for name in FIELDS}

    def totals(self) -> Totals:
        """Every counter and breakdown since this object was made, ignoring `reset`.

        Returns:
            A dict of dicts: ``counts`` (each counter), and each breakdown of `BREAKDOWNS`
            (``stale_by_reason``...), with zero counts left out.
        """
        with self._lock:
            return _totals(self._counts, Counter())

    def reset(self) -> None:
        """Set every counter back to zero (statistics already written to a backend stay)."""
        with self._lock:
            self._zero = self._counts.copy()

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
        misses_by_reason: Misses, per reason, summed.
        revalidations_by_outcome: Revalidations, per outcome, summed.
    """

    counts: Mapping[str, int] = field(default_factory=dict)
    stale_by_reason: Mapping[str, int] = field(default_factory=dict)
    records: int = 0
    processes: int = 0
    first_update: Optional[datetime] = None
    last_update: Optional[datetime] = None
    misses_by_reason: Mapping[str, int] = field(default_factory=dict)
    revalidations_by_outcome: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def add_up(cls, records: Iterable[StatsRecord]) -> StatsSummary:
        """Sum records read from a backend."""
        counts: Counter[str] = Counter()
        parts: dict[str, Counter[str]] = {part: Counter() for part in BREAKDOWNS.values()}
        processes, times = set(), []
        for record in records:
            counts.update(record.counts)
            for part, reasons in record.breakdowns().items():
                parts[part].update(reasons)
            processes.add((record.host, record.pid))
            times.append(record.updated)
        return cls(
            counts={name: counts[name] for name in FIELDS},
            records=len(times),
            processes=len(processes),
            first_update=min(times, default=None),
            last_update=max(times, default=None),
            **{part: dict(sorted(reasons.items())) for part, reasons in parts.items()},
        )

    @property
    def hit_ratio(self) -> float:
        """Hits and stale responses over all lookups; 0.0 before any request."""
        return hit_ratio(self.counts, self.misses_by_reason)

    def as_dict(self) -> dict[str, Any]:
        """Every counter, the hit ratio, the breakdowns and the record metadata, ready for
        JSON."""
        return {
            **{name: self.counts.get(name, 0) for name in FIELDS},
            'hit_ratio': round(self.hit_ratio, 4),
            **{part: dict(getattr(self, part)) for part in BREAKDOWNS.values()},
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
    misses_by_reason: Mapping[str, int] = field(default_factory=dict)
    revalidations_by_outcome: Mapping[str, int] = field(default_factory=dict)

    def breakdowns(self) -> dict[str, Mapping[str, int]]:
        """Each breakdown of `BREAKDOWNS` by its name."""
        return {part: getattr(self, part) for part in BREAKDOWNS.values()}


def hit_ratio(
    counts: Mapping[str, int], misses_by_reason: Optional[Mapping[str, int]] = None
) -> float:
    """Hits and stale responses over lookups (hits, stale responses and misses, less the
    requests that bypassed the cache); 0.0 if there were none."""
    served = counts.get('hits', 0) + counts.get('stale', 0)
    reasons = misses_by_reason or {}
    not_looked_up = sum(reasons.get(reason, 0) for reason in FORWARDED_WITHOUT_LOOKUP)
    total = served + counts.get('misses', 0) - not_looked_up
    return served / total if total > 0 else 0.0


def _part(counts: Counter[Any], zero: Counter[Any], name: str) -> dict[str, int]:
    return {
        key[1]: value - zero[key]
        for key, value in counts.items()
        if isinstance(key, tuple) and key[0] == name and value - zero[key]
    }


def _totals(counts: Counter[Any], zero: Counter[Any]) -> Totals:
    plain = {k: v - zero[k] for k, v in counts.items() if isinstance(k, str) and v - zero[k]}
    totals = {'counts': plain}
    for name, part in BREAKDOWNS.items():
        totals[part] = _part(counts, zero, name)
    return totals


_LIVE: weakref.WeakSet[CacheStats] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for stats in list(_LIVE):
        stats._after_fork()


if hasattr(os, 'register_at_fork'):  # POSIX; Windows has no fork()
    os.register_at_fork(after_in_child=_after_fork_in_child)
