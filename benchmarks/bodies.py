"""Deterministic response bodies and URL paths shared by the origin server and the workers.

Standard library only: the worker imports this as a top-level module inside the peers' venvs.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

#: The body sizes the workloads use, in bytes.
SMALL = 1024
LARGE = 100 * 1024

#: Path prefix the origin answers with its request counter; these requests are never counted.
COUNT_PREFIX = '/_count/'


@lru_cache(maxsize=4096)
def body(size: int, n: int) -> bytes:
    """The body served for item ``n`` of ``size`` bytes: a per-item 64-byte pattern, repeated.

    Every item differs, so a cache that mixed up two keys would fail the byte-exact check.
    """
    pattern = hashlib.blake2b(f'{size}/{n}'.encode()).digest()
    repeats = size // len(pattern) + 1
    return (pattern * repeats)[:size]


def item_path(namespace: str, size: int, n: int) -> str:
    """The URL path of item ``n``; the namespace keeps each worker's counter separate."""
    return f'/{namespace}/{size}/{n}'


def parse_item_path(path: str) -> tuple[str, int, int]:
    """Invert `item_path`.

    Raises:
        ValueError: The path is not an item path.
    """
    namespace, size, n = path.lstrip('/').split('?', 1)[0].split('/')
    return namespace, int(size), int(n)
