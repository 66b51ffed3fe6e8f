"""Statistics that survive the process: each cache writes its counters to its ``meta`` storage.

Theory of operation:

* Each cache object's `CacheStats` (``cache.stats``) is written as one small JSON record under a
  key of its own, ``stats:<host>:<pid>:<random>``, holding its totals. No process ever reads,
  changes and writes back a record another process writes, so concurrent writers never lose
  each other's counts; readers add the records up (`StatsSummary.add_up`).
* A record is written when a session is closed (and by `BaseCache.close`), at interpreter exit
  for caches still alive, and on the write path (misses, stores, revalidations) once
  ``cache.stats_interval`` seconds have passed since the last write. A fresh hit never writes.
* ``reset_stats()`` writes a new reset token, then deletes every record. A process still running
  sees the new token at its next write, and from then on writes only what it counted since its
  previous write (so what it counted shortly before the reset, after that write, survives it).
* A ``fork()``ed child starts a record of its own from zero, so it never overwrites its parent's.
* Records of caches that are gone are merged, so they do not pile up (issue 15, item 10: 2,000
  short-lived sessions left 2,000 records). Before each write, a recorder claims the records of
  dead writers by deleting them (a delete succeeds for one claimant only: SQLite's row count,
  ``unlink``, Redis' ``DEL``) and adds their counts to its own record, written right after. Dead
  means: on this host, a process that no longer runs, or a cache object of this process that was
  closed or no longer exists; on another host, a record not updated for `REMOTE_STALE_SECONDS`.
  If the write fails, the claimed records are put back. A recorder that finds its own record
  gone (merged by another host that took it for dead, or reset) counts only what is new since
  its last write.
* Writing statistics never raises, whatever ``strict`` says: they are diagnostics, and a failure
  must not break a request or ``close()``. It is logged at WARNING and tried again an interval on.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import secrets
import socket
import threading
import time
import weakref
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Optional

from ..stats import BREAKDOWNS, FIELDS, StatsRecord, StatsSummary, Totals

if TYPE_CHECKING:
    from .base import BaseCache

__all__ = [
    'DEFAULT_STATS_INTERVAL',
    'REMOTE_STALE_SECONDS',
    'RESET_KEY',
    'STATS_PREFIX',
    'StatsRecorder',
    'parse_record',
]

logger = logging.getLogger(__name__)

#: Seconds between writes of a cache's statistics on the write path.
DEFAULT_STATS_INTERVAL = 30.0
#: Keys of statistics records in ``meta`` start with this.
STATS_PREFIX = 'stats:'
#: The ``meta`` key of the token that the last persisted reset wrote.
RESET_KEY = 'stats-reset'
#: A record from another host not updated for this long is taken as dead and merged (a week).
REMOTE_STALE_SECONDS = 7 * 24 * 3600.0

_UNSEEN = object()  # this recorder has not read the reset token yet
#: The totals of a cache that has counted nothing.
_NOTHING: Totals = {'counts': {}, **{part: {} for part in BREAKDOWNS.values()}}
#: What a record holds: every counter, then each breakdown by reason.
_PARTS = ('counts', *BREAKDOWNS.values())
_HOST = socket.gethostname()


class StatsRecorder:
    """Writes one cache's statistics to its ``meta`` storage, and reads everyone's back.

    Args:
        cache: Its ``stats``, ``meta`` and ``stats_interval`` are read at each write, so they may
            be replaced after construction.
        clock: Monotonic seconds, for the interval between writes; a seam for tests.
    """

    def __init__(self, cache: BaseCache, clock: Callable[[], float] = time.monotonic) -> None:
        # A weak reference: the cache owns its recorder, and a cycle would keep a dropped cache
        # (and its connections) alive until the garbage collector runs.
        self._cache = weakref.ref(cache)
        self.clock = clock
        self._lock = threading.Lock()
        # None until the first write-path event starts the first interval (read lazily, so a
        # test may swap the clock after construction).
        self._last_write: Optional[float] = None
        #: True once the cache was closed: its record may then be merged by other writers.
        self.closed = False
        self._start(_NOTHING)
        _LIVE.add(self)

    @property
    def cache(self) -> BaseCache:
        """The cache this recorder writes for.

        Raises:
            ReferenceError: The cache no longer exists.
        """
        cache = self._cache()
        if cache is None:
            raise ReferenceError('the cache of this StatsRecorder was garbage-collected')
        return cache

    def _start(self, base: Totals) -> None:
        """Begin a new record; ``base`` is what was counted before it and belongs elsewhere."""
        self._pid = os.getpid()
        #: This recorder's key in ``meta``.
        self.record_id = f'{STATS_PREFIX}{_HOST}:{self._pid}:{secrets.token_hex(4)}'
        self._base = self._written = base
        self._epoch: object = _UNSEEN
        # Counts of dead writers' records merged into ours, and whether ours was written yet.
        self._absorbed: Totals = _NOTHING
        self._has_written = False

    def write_if_due(self) -> None:
        """Write if ``cache.stats_interval`` seconds have passed since the last write."""
        interval, now = self.cache.stats_interval, self.clock()
        if self._last_write is None:
            self._last_write = now
        if interval is None or now - self._last_write < interval:
            return
        if self._lock.acquire(blocking=False):  # else another thread is writing right now
            try:
                self._write()
            finally:
                self._lock.release()

    def write(self, failure_level: int = logging.WARNING) -> bool:
        """Write now, unless persistence is off; True if a record was written.

        Nothing is written when nothing was counted since the last write.

        Args:
            failure_level: The logging level of a failure to write.
        """
        if self.cache.stats_interval is None:
            return False
        with self._lock:
            return self._write(failure_level)

    def close(self) -> bool:
        """Write a last time, then let other writers merge our record; True if written."""
        written = self.write()
        self.closed = True
        return written

    def _write(self, failure_level: int = logging.WARNING) -> bool:
        self._last_write = self.clock()
        if os.getpid() != self._pid:  # forked without the at-fork hook (it normally runs)
            self._start(self._written)
        totals = self.cache.stats.totals()
        if totals == self._written:
            return False
        breaker = self.cache.breaker
        if breaker is not None and breaker.is_open:  # the server is down: do not wait for it
            logger.debug('Not writing statistics to %s: storage is unreachable', self.cache)
            return False
        claimed: dict[str, Any] = {}
        try:
            self._check_reset()
            self._check_own_record()
            claimed = self._claim_dead_records()
            self.cache.meta[self.record_id] = self._record(totals)
        except Exception as exc:  # any driver error: statistics must never break the caller
            logger.log(failure_level, 'Could not write statistics to %s: %r', self.cache, exc)
            self._put_back(claimed)
            return False
        self._written = totals
        self._has_written = True
        logger.debug('Wrote statistics %s to %s', self.record_id, self.cache)
        return True

    def _check_reset(self) -> None:
        """After a reset by any process, count only from our previous write on."""
        token = _text(self.cache.meta.get(RESET_KEY))
        if token != self._epoch:
            if self._epoch is not _UNSEEN:
                self._base = self._written
                self._absorbed = _NOTHING
            self._epoch = token

    def _check_own_record(self) -> None:
        """After our record was merged by another writer (or deleted), count only new events."""
        if self._has_written and self.cache.meta.get(self.record_id) is None:
            logger.debug('Statistics record %s was merged or deleted elsewhere', self.record_id)
            self._base = self._written
            self._absorbed = _NOTHING

    def _claim_dead_records(self) -> dict[str, Any]:
        """Delete the records of dead writers and add their counts to ours; return them."""
        meta, claimed = self.cache.meta, {}
        live = _live_record_ids()
        now = self.cache.now()
        for key in list(meta):
            if not key.startswith(STATS_PREFIX) or key == self.record_id:
                continue
            value = meta.get(key)
            record = parse_record(value) if value is not None else None
            if record is None or not _is_dead(key, record, live, now):
                continue
            try:
                del meta[key]  # only one claimant's delete succeeds
            except KeyError:
                continue
            claimed[key] = value
            self._absorbed = _add(self._absorbed, _totals_of(record))
        if claimed:
            logger.debug('Merged %d statistics records of dead writers', len(claimed))
        return claimed

    def _put_back(self, claimed: dict[str, Any]) -> None:
        """Our write failed: restore the records we claimed, so their counts are not lost."""
        for key, value in claimed.items():
            try:
                self.cache.meta[key] = value
            except Exception as exc:  # the storage is failing; nothing more we can do
                logger.warning('Could not restore statistics record %s: %r', key, exc)
                continue
            parsed = parse_record(value)
            if parsed is not None:
                self._absorbed = _subtract(self._absorbed, _totals_of(parsed))

    def _record(self, totals: Totals) -> str:
        # Version 1 records without misses_by_reason or revalidations_by_outcome read as empty.
        record: dict[str, Any] = {
            'version': 1,
            'host': _HOST,
            'pid': self._pid,
            'updated': self.cache.now().isoformat(),
        }
        for part in _PARTS:
            new = _minus(totals.get(part, {}), self._base.get(part, {}))
            record[part] = _plus(new, self._absorbed.get(part, {}))
        return json.dumps(record, sort_keys=True)

    def load(self) -> StatsSummary:
        """Every statistics record in ``meta``, added up; unreadable records are skipped.

        Raises:
            StorageError: The storage failed.
        """
        meta, records = self.cache.meta, []
        for key in list(meta):
            if not key.startswith(STATS_PREFIX):
                continue
            value = meta.get(key)  # None: deleted while we looked
            record = parse_record(value) if value is not None else None
            if record is not None:
                records.append(record)
            elif value is not None:
                logger.warning('Skipping unreadable statistics record %s', key)
        return StatsSummary.add_up(records)

    def reset(self) -> None:
        """Delete every process's record; this one starts over from what it counted so far.

        Raises:
            StorageError: The storage failed.
        """
        token = secrets.token_hex(8)
        with self._lock:
            meta = self.cache.meta
            # The token first: a process that writes between the two steps then writes only
            # what it counted since its previous write, not its whole history.
            meta[RESET_KEY] = token
            meta.bulk_delete([k for k in list(meta) if k.startswith(STATS_PREFIX)])
            self._base = self._written = self.cache.stats.totals()
            self._absorbed = _NOTHING
            self._epoch = token
        logger.debug('Reset persisted statistics of %s', self.cache)

    def _after_fork(self) -> None:
        self._lock = threading.Lock()
        cache = self._cache()
        self._start(cache.stats.totals() if cache is not None else _NOTHING)


def parse_record(value: Any) -> Optional[StatsRecord]:
    """A stored record as a `StatsRecord`, or None if it is not one we can read."""
    try:
        data = json.loads(_text(value) or '')
        updated = datetime.fromisoformat(data['updated'])
        updated = (
            updated.astimezone(timezone.utc)
            if updated.tzinfo
            else updated.replace(tzinfo=timezone.utc)
        )
        return StatsRecord(
            host=str(data['host']),
            pid=int(data['pid']),
            updated=updated,
            counts={k: int(v) for k, v in data['counts'].items() if k in FIELDS},
            stale_by_reason=_reasons(data['stale_by_reason']),
            misses_by_reason=_reasons(data.get('misses_by_reason', {})),
            revalidations_by_outcome=_reasons(data.get('revalidations_by_outcome', {})),
        )
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def _reasons(data: Any) -> dict[str, int]:
    return {str(k): int(v) for k, v in data.items()}


def _minus(
    totals: Mapping[str, int], base: Mapping[str, int], keep_negative: bool = False
) -> dict[str, int]:
    differences = {k: v - base.get(k, 0) for k, v in totals.items()}
    if keep_negative:
        differences.update({k: -v for k, v in base.items() if k not in totals})
    return {k: v for k, v in differences.items() if v}


def _totals_of(record: StatsRecord) -> Totals:
    return {part: dict(getattr(record, part)) for part in _PARTS}


def _add(first: Totals, second: Totals) -> Totals:
    return {part: _plus(first.get(part, {}), second.get(part, {})) for part in _PARTS}


def _subtract(first: Totals, second: Totals) -> Totals:
    return {
        part: _minus(first.get(part, {}), second.get(part, {}), keep_negative=True)
        for part in _PARTS
    }


def _plus(first: Mapping[str, int], second: Mapping[str, int]) -> dict[str, int]:
    summed = dict(first)
    for key, value in second.items():
        summed[key] = summed.get(key, 0) + value
    return {k: v for k, v in summed.items() if v}


def _live_record_ids() -> set[str]:
    """The records of this process's cache objects that still exist."""
    return {r.record_id for r in list(_LIVE) if r._cache() is not None and not r.closed}


def _is_dead(key: str, record: StatsRecord, live: set[str], now: datetime) -> bool:
    """Whether the writer of a record is gone for good (see the module docstring)."""
    if record.host != _HOST:
        return (now - record.updated).total_seconds() > REMOTE_STALE_SECONDS
    if record.pid == os.getpid():
        return key not in live
    return not _process_exists(record.pid)


def _process_exists(pid: int) -> bool:
    if os.name == 'nt':  # os.kill() would end the process there; assume it runs
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it runs, as another user
        return True
    return True


def _text(value: Any) -> Optional[str]:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


_LIVE: weakref.WeakSet[StatsRecorder] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for recorder in list(_LIVE):
        recorder._after_fork()


@atexit.register
def _write_at_exit() -> None:
    # Scripts often never close their session (and install_cache() users cannot). Quietly:
    # a server may be gone by now, and the process is ending anyway.
    for recorder in list(_LIVE):
        if recorder._cache() is not None and not recorder.closed:
            recorder.write(logging.DEBUG)


if hasattr(os, 'register_at_fork'):  # POSIX; Windows has no fork()
    os.register_at_fork(after_in_child=_after_fork_in_child)
