"""How long deleting the expired half of a large SQLite cache takes (the expiry index at work).

Fills a cache with N entries (half already expired) straight through SQL, then times
``cache.delete(expired=True)`` and checks that exactly the unexpired half is left.

Run it with: python -m benchmarks.delete_expired [--entries 1000000]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

from requests_cache import SQLiteCache


def fill(path: Path, entries: int) -> None:
    """Insert ``entries`` rows, the even ones expired an hour ago, in one transaction."""
    now = time.time()
    rows = (
        (f'key-{i:08d}', b'x' * 200, now - 3600 if i % 2 == 0 else now + 3600, 200)
        for i in range(entries)
    )
    with sqlite3.connect(path) as connection:
        connection.executemany(
            'INSERT INTO responses (key, value, expires, size) VALUES (?, ?, ?, ?)', rows
        )


def main() -> None:
    """Fill, delete the expired half, and print the timing."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--entries', type=int, default=1_000_000)
    entries = parser.parse_args().entries
    with tempfile.TemporaryDirectory() as tmp:
        cache = SQLiteCache(Path(tmp) / 'big')
        assert cache.db_path is not None
        start = time.perf_counter()
        fill(cache.db_path, entries)
        filled = time.perf_counter() - start
        start = time.perf_counter()
        cache.delete(expired=True)
        deleted = time.perf_counter() - start
        left = len(cache.responses)
        cache.close()
    assert left == entries // 2, left
    print(f'entries: {entries:,}; fill: {filled:.1f} s')
    print(f'delete(expired=True) of {entries - left:,} expired entries: {deleted:.2f} s')


if __name__ == '__main__':
    main()
