"""Where a cache's data lives in Redis: key names, and which keys share a Redis Cluster slot.

Every key is ``<namespace>:<collection>:<cache key>`` (collections: ``responses``,
``redirects``, ``meta``, ``lease``). How the keys of a cache map onto cluster slots is a
`SlotPolicy`, chosen once from the deployment:

=============  =======================================  ==========================================
policy         key of cache key ``k``                   used for
=============  =======================================  ==========================================
``SINGLE``     ``ns:responses:k``                       a single Redis server (the layout earlier
                                                        releases wrote, so their entries are found)
``PER_ENTRY``  ``ns:responses:{k}``                     Redis Cluster: ``k`` is the hash tag, so
                                                        the keys of one entry (its response, its
                                                        redirect alias, its lease) share one slot,
                                                        and entries spread over every master
``NAMESPACE``  ``{ns}:responses:k``                     Redis Cluster with ``max_entries`` or
                                                        ``max_size`` (the eviction scripts touch
                                                        every key of the cache), or a namespace
                                                        that already has a hash tag (``{ns}``):
                                                        the whole cache is in one slot
=============  =======================================  ==========================================

Keys that do not have the chosen layout (written by another layout, or by something else) are
never read as entries: they are listed by no iteration, and ``clear()`` still deletes them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Optional

__all__ = ['COLLECTIONS', 'KeyLayout', 'SlotPolicy', 'has_hash_tag']

#: The collections of one cache.
COLLECTIONS = ('responses', 'redirects', 'meta', 'lease')
_GLOB_SPECIAL = '\\*?[]'


class SlotPolicy(enum.Enum):
    """How a cache's keys are spread over Redis Cluster slots (see the module docstring)."""

    SINGLE = 'single'
    PER_ENTRY = 'per-entry'
    NAMESPACE = 'namespace'


def has_hash_tag(text: str) -> bool:
    """True if Redis Cluster would hash only part of ``text``: a ``{`` followed later by a ``}``
    with something in between."""
    start = text.find('{')
    return start >= 0 and text.find('}', start + 2) > start


@dataclass(frozen=True)
class KeyLayout:
    """The key names of one cache.

    Attributes:
        namespace: The namespace as written in keys (braces added for ``NAMESPACE``).
        policy: How keys map onto cluster slots.
    """

    namespace: str
    policy: SlotPolicy = SlotPolicy.SINGLE

    @classmethod
    def choose(cls, namespace: str, cluster: bool, bounded: bool) -> KeyLayout:
        """The layout for a cache on a single server or a cluster.

        Args:
            namespace: The cache's namespace.
            cluster: The client is a Redis Cluster client.
            bounded: The cache has ``max_entries`` or ``max_size``.
        """
        if not cluster:
            return cls(namespace, SlotPolicy.SINGLE)
        if has_hash_tag(namespace):
            return cls(namespace, SlotPolicy.NAMESPACE)
        if bounded:
            return cls(f'{{{namespace}}}', SlotPolicy.NAMESPACE)
        return cls(namespace, SlotPolicy.PER_ENTRY)

    def prefix(self, collection: str) -> str:
        """What every key of ``collection`` starts with."""
        return f'{self.namespace}:{collection}:'

    def key(self, collection: str, key: str) -> bytes:
        """The Redis key of cache key ``key`` in ``collection``."""
        if self.policy is SlotPolicy.PER_ENTRY:
            key = f'{{{key}}}'
        return (self.prefix(collection) + key).encode('utf-8', 'surrogatepass')

    def parse(self, collection: str, raw: bytes) -> Optional[str]:
        """The cache key of Redis key ``raw`` of ``collection``; None if it has another layout."""
        prefix = self.prefix(collection).encode('utf-8', 'surrogatepass')
        if not raw.startswith(prefix):
            return None
        rest = raw[len(prefix) :]
        if self.policy is SlotPolicy.PER_ENTRY:
            if len(rest) < 2 or rest[:1] != b'{' or rest[-1:] != b'}':
                return None
            rest = rest[1:-1]
        return rest.decode('utf-8', 'surrogatepass')

    def pattern(self, collection: str) -> str:
        """A SCAN ``MATCH`` pattern for every key of ``collection``, whatever its layout."""
        prefix = self.prefix(collection)
        return ''.join(f'\\{c}' if c in _GLOB_SPECIAL else c for c in prefix) + '*'
