"""Leases in Redis: ``SET <lease key> <token> NX PX <ttl>`` to take one, a compare-and-delete
script to release it. Redis expires a lease itself, on its own clock, so a holder that died
loses it after the ttl, and ``SET NX`` lets exactly one waiter take it over.

A lease key is ``<namespace>:lease:<cache key>`` in the cache's `KeyLayout`: on Redis Cluster it
shares its entry's slot.
"""

from __future__ import annotations

import contextlib
from typing import Any, Optional

from ..errors import translate_errors
from .leases import LeaseStore
from .redis_keys import KeyLayout

with contextlib.suppress(ImportError):  # reported by the backend, which checks the same package
    from redis import RedisError

__all__ = ['RedisLeases']

# KEYS: 1 lease key. ARGV: 1 token. Deletes the lease only if the token still holds it.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisLeases(LeaseStore):
    """Leases as Redis keys with a native expiry.

    Args:
        connection: A redis-py client (``Redis`` or ``RedisCluster``).
        layout: The cache's key layout.
    """

    def __init__(self, connection: Any, layout: KeyLayout) -> None:
        self.connection = connection
        self.layout = layout
        self._release = connection.register_script(_RELEASE)

    def _key(self, key: str) -> bytes:
        return self.layout.key('lease', key)

    def acquire(self, key: str, token: str, ttl: float) -> bool:
        """See `LeaseStore.acquire`."""
        with translate_errors('redis', RedisError):
            return bool(self.connection.set(self._key(key), token, nx=True, px=_ms(ttl)))

    def release(self, key: str, token: str) -> bool:
        """See `LeaseStore.release`."""
        with translate_errors('redis', RedisError):
            return bool(self._release(keys=[self._key(key)], args=[token]))

    def holder(self, key: str) -> Optional[tuple[str, float]]:
        """See `LeaseStore.holder`."""
        with translate_errors('redis', RedisError):
            pipeline = self.connection.pipeline(transaction=False)
            pipeline.get(self._key(key))
            pipeline.pttl(self._key(key))
            token, pttl = pipeline.execute()
        if token is None or pttl == -2:
            return None
        # -1 (no expiry) cannot come from us; treat it as "check again soon".
        remaining = pttl / 1000 if pttl > 0 else 0.001
        return (token.decode() if isinstance(token, bytes) else str(token)), remaining


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))
