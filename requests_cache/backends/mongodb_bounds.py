"""``max_entries`` for the MongoDB and GridFS backends.

Theory of operation:

* A bounded collection's documents carry ``accessed`` (Unix time of the last write or served
  read), indexed, beside the ``expires`` field they already have; a second index on
  ``(expires, accessed)`` finds expired documents without a scan, and has a different key
  pattern from the optional TTL index on ``expires``, so the two never conflict.
* After a write, `estimated_document_count` (collection metadata, O(1)) is compared with the
  limit. Over it, pending read times are written, and the oldest-expired documents, then the
  least recently used, are deleted until the collection is at 90% of the limit (`HEADROOM`).
* Several processes may evict at once; they pick the same oldest documents, so they delete
  mostly the same ones rather than twice as many. Between a write and its count, other writers
  may add documents: the collection can be over the limit by about the number of concurrent
  writers, until the next write.
* A served read is only noted in an `AccessLog`; read times go out as one ``update_many`` with
  ``$max`` every 100 reads or 30 seconds, and before each eviction. The reads of one batch share
  its newest read time.
* ``max_size`` is refused: MongoDB keeps no running total of document sizes that a write could
  check without a scan.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from typing import Any, Callable, Optional

from .eviction import AccessLog, Clock, SizeLimits, reject_limits, select_victims
from .mongodb_calls import MongoCalls

__all__ = ['MAX_SIZE_REASON', 'MongoBounds', 'accessed_field', 'mongo_limits']

logger = logging.getLogger(__name__)

#: Why MongoDB and GridFS refuse ``max_size``.
MAX_SIZE_REASON = (
    'MongoDB keeps no running total of document sizes that a write could check without a scan; '
    'bound the cache with max_entries, and let a TTL index (ttl=...) remove expired responses'
)
_ACCESSED_INDEX = 'accessed'
_EXPIRED_INDEX = 'expires_accessed'


def mongo_limits(backend: str, max_entries: Any, max_size: Any) -> SizeLimits:
    """Validate the limits a MongoDB-based backend accepts.

    Raises:
        ConfigurationError: ``max_size`` is set, or ``max_entries`` is not None or an int >= 0.
    """
    reject_limits(backend, MAX_SIZE_REASON, max_size=max_size)
    return SizeLimits.create(max_entries)


class MongoBounds:
    """Recency and eviction for one bounded collection.

    Args:
        collection: The collection whose documents count (for GridFS: ``<bucket>.files``).
        limits: The bounds to hold (only ``max_entries``).
        delete: Deletes documents by ``_id`` (GridFS also deletes their chunks).
        clock: Returns Unix time, for recency and expiry; a seam for tests.
        calls: Runs pymongo calls (see `requests_cache.backends.mongodb_calls`).
    """

    def __init__(
        self,
        collection: Any,
        limits: SizeLimits,
        delete: Callable[[list[str]], None],
        clock: Clock = time.time,
        calls: Optional[MongoCalls] = None,
    ) -> None:
        self.collection = collection
        self.limits = limits
        self.delete = delete
        self.clock = clock
        self.calls = calls or MongoCalls(None)
        #: Served reads not yet written to the ``accessed`` field.
        self.access_log = AccessLog(clock=clock)
        self._indexed = False

    def ensure_indexes(self) -> None:
        """Create the ``accessed`` and ``(expires, accessed)`` indexes, once per process."""
        if self._indexed:
            return
        with self.calls():
            self.collection.create_index('accessed', name=_ACCESSED_INDEX)
            self.collection.create_index([('expires', 1), ('accessed', 1)], name=_EXPIRED_INDEX)
        self._indexed = True

    def stamp(self, key: str) -> float:
        """The ``accessed`` value for a write of ``key``, which supersedes any pending read."""
        self.access_log.forget([key])
        return self.clock()

    def after_write(self) -> list[str]:
        """Evict if the collection is over ``max_entries``.

        Returns:
            The ``_id`` of every evicted document.
        """
        limit = self.limits.max_entries
        if limit is None:
            return []
        with self.calls():
            entries = int(self.collection.estimated_document_count())
        if entries <= limit:
            return []
        self.ensure_indexes()
        self.flush()
        victims = self._choose(entries)
        self.delete(victims)
        logger.debug(
            'Evicted %d of %d documents from %s (max_entries=%d)',
            len(victims),
            entries,
            self.collection.name,
            limit,
        )
        return victims

    def _choose(self, entries: int) -> list[str]:
        # No more than needed from each index: the rest of the list is never looked at.
        wanted = entries - (self.limits.targets()[0] or 0)
        now = datetime.fromtimestamp(self.clock(), timezone.utc)
        with self.calls():
            expired = self.collection.find({'expires': {'$lte': now}}, {'_id': 1})
            expired_ids = [doc['_id'] for doc in expired.sort('expires', 1).limit(wanted)]
            oldest = self.collection.find({}, {'_id': 1}).sort('accessed', 1).limit(wanted)
            oldest_ids = [doc['_id'] for doc in oldest]
        candidates = [(key, 0) for key in expired_ids + oldest_ids]
        return select_victims(candidates, entries, 0, self.limits)

    def touch(self, key: str) -> None:
        """Note a served read; ``accessed`` is written in batches."""
        if self.access_log.record(key):
            self.flush()

    def flush(self) -> None:
        """Write pending read times in one ``update_many``; ``$max`` never moves a document
        back behind a newer write by another process, and deleted documents stay deleted."""
        pending = self.access_log.drain()
        if pending:
            newest = max(accessed for accessed, _ in pending)
            keys = [key for _, key in pending]
            with self.calls():
                self.collection.update_many({'_id': {'$in': keys}}, {'$max': {'accessed': newest}})

    def forget(self, keys: list[str]) -> None:
        """Drop pending reads of deleted keys."""
        self.access_log.forget(keys)


def accessed_field(bounds: Optional[MongoBounds], key: str) -> dict[str, float]:
    """The extra ``accessed`` field of a write, or nothing for an unbounded collection."""
    return {} if bounds is None else {'accessed': bounds.stamp(key)}
