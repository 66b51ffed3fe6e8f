"""Size limits for the Redis backend, kept by Lua scripts so that several processes agree.

Theory of operation:

* Three bookkeeping keys sit beside a bounded collection's entries: a sorted set of cache keys
  scored by last use (``~lru``), a sorted set of those that have an expiry time, scored by it
  (``~exp``), and a hash of blob sizes (``~size``) with their total in a string (``~bytes``).
  Their names end in ``~name`` right after the collection, so SCAN of the collection's
  ``{prefix}*`` pattern never lists them.
* A write is one script: SET the value, update the bookkeeping, and if ZCARD or the byte total is
  over a limit, evict expired entries first and then the least recently used, down to 90% of each
  limit (`HEADROOM`). Redis runs a script atomically, so concurrent writers in any number of
  processes never leave the collection over its limits.
* Entries that Redis dropped by itself (native TTL, ``maxmemory`` eviction) leave their key in
  the bookkeeping; the eviction forgets them as it meets them, and only entries that still existed
  count as evicted. Until then they count against the limits, so a cache holds fewer entries
  than ``max_entries``, never more.
* One script removes at most `EVICT_BATCH` entries, so a script never blocks the server for long;
  a cache far over a new, lower limit shrinks over a few writes.
* A served read is only noted in an `AccessLog`; the pending read times travel with the next
  write's script, or go out as one ``ZADD XX GT`` after 100 reads or 30 seconds.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any, Optional

from ..errors import translate_errors
from .eviction import AccessLog, Clock, SizeLimits

# Missing redis-py is reported by the backend, which checks the same package.
with contextlib.suppress(ImportError):
    from redis import RedisError

__all__ = ['EVICT_BATCH', 'RedisBounds']

logger = logging.getLogger(__name__)

#: The most entries one write's script removes.
EVICT_BATCH = 1000

# KEYS: 1 ~lru, 2 ~exp, 3 ~size, 4 ~bytes. `drop` deletes one entry and its bookkeeping, and
# returns 1 if the entry still existed, and its recorded size.
_COMMON = """
local function drop(prefix, member)
  local size = tonumber(redis.call('HGET', KEYS[3], member) or '0')
  redis.call('HDEL', KEYS[3], member)
  redis.call('ZREM', KEYS[1], member)
  redis.call('ZREM', KEYS[2], member)
  redis.call('DECRBY', KEYS[4], size)
  return redis.call('DEL', prefix .. member), size
end
"""

# ARGV: 1 prefix, 2 member, 3 value, 4 px (0: none), 5 now, 6 expires ('' : none), 7 size,
# 8 max_entries, 9 max_size, 10 target entries, 11 target size (-1: no limit), 12 batch,
# 13.. pending read times as score, member pairs.
_WRITE = (
    _COMMON
    + """
local prefix, member, now = ARGV[1], ARGV[2], tonumber(ARGV[5])
for i = 13, #ARGV, 2 do
  redis.call('ZADD', KEYS[1], 'XX', 'GT', ARGV[i], ARGV[i + 1])
end
if tonumber(ARGV[4]) > 0 then
  redis.call('SET', prefix .. member, ARGV[3], 'PX', ARGV[4])
else
  redis.call('SET', prefix .. member, ARGV[3])
end
redis.call('ZADD', KEYS[1], now, member)
if ARGV[6] ~= '' then
  redis.call('ZADD', KEYS[2], ARGV[6], member)
else
  redis.call('ZREM', KEYS[2], member)
end
local old = tonumber(redis.call('HGET', KEYS[3], member) or '0')
redis.call('HSET', KEYS[3], member, ARGV[7])
local bytes = redis.call('INCRBY', KEYS[4], tonumber(ARGV[7]) - old)
local entries = redis.call('ZCARD', KEYS[1])
local max_e, max_s = tonumber(ARGV[8]), tonumber(ARGV[9])
local target_e, target_s, budget = tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12])
local function over()
  return (max_e >= 0 and entries > max_e) or (max_s >= 0 and bytes > max_s)
end
local function done()
  return (target_e < 0 or entries <= target_e) and (target_s < 0 or bytes <= target_s)
end
local victims, vanished = {}, 0
local function evict(members)
  for _, m in ipairs(members) do
    if done() or budget <= 0 then return end
    local existed, size = drop(prefix, m)
    entries, bytes, budget = entries - 1, bytes - size, budget - 1
    if existed == 1 then victims[#victims + 1] = m else vanished = vanished + 1 end
  end
end
if over() then
  evict(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, budget))
  while not done() and budget > 0 do
    local before = budget
    evict(redis.call('ZRANGE', KEYS[1], 0, math.min(budget, 100) - 1))
    if budget == before then break end
  end
end
return {victims, vanished, entries, bytes}
"""
)

# ARGV: 1 prefix, 2.. members. Returns how many entries still existed.
_DELETE = (
    _COMMON
    + """
local deleted = 0
for i = 2, #ARGV do
  local existed = drop(ARGV[1], ARGV[i])
  deleted = deleted + existed
end
return deleted
"""
)


class RedisBounds:
    """The bookkeeping and eviction of one bounded Redis collection.

    Args:
        connection: A redis-py client.
        prefix: The collection's key prefix, ending in ``:``.
        limits: The bounds to hold.
        clock: Returns Unix time, for recency and expiry; a seam for tests.
    """

    def __init__(
        self, connection: Any, prefix: str, limits: SizeLimits, clock: Clock = time.time
    ) -> None:
        self.connection = connection
        self.prefix = prefix
        self.limits = limits
        self.clock = clock
        #: Served reads not yet written to the ``~lru`` set.
        self.access_log = AccessLog(clock=clock)
        base = prefix.rstrip(':')
        self.keys = [_encode(f'{base}~{name}') for name in ('lru', 'exp', 'size', 'bytes')]
        self._write = connection.register_script(_WRITE)
        self._delete = connection.register_script(_DELETE)

    def write(
        self, key: str, value: Any, px: Optional[int], expires: Optional[float], size: int
    ) -> list[str]:
        """Store a value and evict if a limit is exceeded, in one atomic script.

        Args:
            key: The cache key (without prefix).
            value: The blob.
            px: Native time to live in milliseconds, or None.
            expires: Expiry time as Unix time, or None.
            size: The blob's size in bytes.

        Returns:
            The keys of entries that were evicted (not those Redis had already dropped).
        """
        self.access_log.forget([key])  # this write is more recent than a pending read
        target_entries, target_size = self.limits.targets()
        args: list[Any] = [
            _encode(self.prefix),
            _encode(key),
            value,
            px or 0,
            repr(self.clock()),
            '' if expires is None else repr(expires),
            size,
            _or_minus_one(self.limits.max_entries),
            _or_minus_one(self.limits.max_size),
            _or_minus_one(target_entries),
            _or_minus_one(target_size),
            EVICT_BATCH,
        ]
        for accessed, read_key in self.access_log.drain():
            args += [repr(accessed), _encode(read_key)]
        with translate_errors('redis', RedisError):
            raw_victims, vanished, entries, size_now = self._write(keys=self.keys, args=args)
        victims = [_decode(v) for v in raw_victims]
        if victims or vanished:
            logger.debug(
                'Evicted %d entries and forgot %d that Redis had dropped from %s; '
                'now %d entries, %d bytes (limits %s)',
                len(victims),
                vanished,
                self.prefix,
                entries,
                size_now,
                self.limits,
            )
        return victims

    def delete(self, keys: list[str]) -> int:
        """Delete entries and their bookkeeping.

        Returns:
            How many of them existed.
        """
        self.access_log.forget(keys)
        deleted = 0
        for start in range(0, len(keys), 500):
            args = [_encode(self.prefix), *(_encode(k) for k in keys[start : start + 500])]
            with translate_errors('redis', RedisError):
                deleted += int(self._delete(keys=self.keys, args=args))
        return deleted

    def touch(self, key: str) -> None:
        """Note a served read; the ``~lru`` set is updated in batches."""
        if self.access_log.record(key):
            self.flush()

    def flush(self) -> None:
        """Write pending read times in one ``ZADD XX GT``: never re-adds a deleted key, and never
        moves a key back behind a more recent write by another process."""
        pending = self.access_log.drain()
        if pending:
            mapping = {_encode(key): accessed for accessed, key in pending}
            with translate_errors('redis', RedisError):
                self.connection.zadd(self.keys[0], mapping, xx=True, gt=True)

    def clear(self) -> None:
        """Forget every read and delete the bookkeeping keys (the entries are the caller's)."""
        self.access_log.drain()
        with translate_errors('redis', RedisError):
            self.connection.delete(*self.keys)


def _or_minus_one(limit: Optional[int]) -> int:
    return -1 if limit is None else limit


def _encode(text: str) -> bytes:
    return text.encode('utf-8', 'surrogatepass')


def _decode(raw: Any) -> str:
    return raw.decode('utf-8', 'surrogatepass') if isinstance(raw, bytes) else str(raw)
