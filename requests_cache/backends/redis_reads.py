"""Reading a Redis value without trusting its size (issue 15, item 5).

A plain ``GET`` of a 400 MB value planted in the cache's namespace raised MemoryError in the
caller. ``GETRANGE key 0 limit`` returns at most ``limit + 1`` bytes in the same single round
trip: a value that fits comes back whole, and a longer one shows itself by its length without
ever being transferred.
"""

from __future__ import annotations

from typing import Any, Optional

__all__ = ['get_within']


def get_within(
    connection: Any, raw_key: bytes, limit: Optional[int]
) -> tuple[Optional[bytes], int]:
    """The value at ``raw_key`` if it is at most ``limit`` bytes.

    An empty value reads as missing: ``GETRANGE`` answers a missing key with an empty string,
    and asking ``EXISTS`` as well would cost a round trip and could see a value written in
    between. Nothing this package stores is empty.

    Args:
        connection: A redis-py client.
        raw_key: The full key.
        limit: The most bytes to read; None reads any value with a plain ``GET``.

    Returns:
        ``(value, size)``: the value (None if missing, empty or too large) and, for a value too
        large, a size over ``limit`` (its full size is not fetched).
    """
    if limit is None:
        value = connection.get(raw_key)
        return value or None, len(value or b'')
    value = connection.getrange(raw_key, 0, limit)
    if len(value) > limit:
        return None, len(value)
    return (bytes(value), len(value)) if value else (None, 0)
