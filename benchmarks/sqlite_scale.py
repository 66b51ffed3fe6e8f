"""Worker side: SQLite hit latency with a small table and with a big one.

Filling a table with 100,000 or 1,000,000 entries through HTTP would take far longer than the
measurement, so real responses are stored through the session and the rest of the table is
filled in SQL with copies of a real row under random 32-hex-digit keys (the shape of a BLAKE2b
key). The b-tree then has the depth and the page count of a real cache of that size.
"""

from __future__ import annotations

import sqlite3
import time

import requests
from bodies import SMALL, body
from workloads import BenchmarkError, Origin, check, prime, stats

__all__ = ['sqlite_scale']


def fill(db_path: str, total: int) -> float:
    """Add filler rows to the ``responses`` table until it holds ``total`` rows; return seconds.

    Raises:
        BenchmarkError: The database has no ``responses`` table with a text primary key.
    """
    start = time.perf_counter()
    connection = sqlite3.connect(db_path, timeout=30)
    try:
        columns = connection.execute('PRAGMA table_info(responses)').fetchall()
        keys = [name for _, name, _, _, _, pk in columns if pk]
        if len(keys) != 1:
            raise BenchmarkError(f'{db_path}: no single-column primary key in responses')
        key = keys[0]
        others = [name for _, name, *_ in columns if name != key]
        have = connection.execute('SELECT COUNT(*) FROM responses').fetchone()[0]
        missing = total - have
        if missing > 0:
            # A recursive CTE inserts in one statement and one transaction: ~1 s per 100k rows.
            cols = ', '.join(f'"{name}"' for name in others)
            connection.execute(
                f'INSERT OR IGNORE INTO responses ("{key}", {cols}) '
                'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) '
                f'SELECT lower(hex(randomblob(16))), {cols} FROM n, '
                '(SELECT * FROM responses LIMIT 1)',
                (missing,),
            )
            connection.commit()
        have = connection.execute('SELECT COUNT(*) FROM responses').fetchone()[0]
        if have < total * 0.999:  # a few random keys may collide and be ignored
            raise BenchmarkError(f'{db_path}: filled to {have} rows, wanted {total}')
    finally:
        connection.close()
    return time.perf_counter() - start


def sqlite_scale(
    session: requests.Session, origin: Origin, db_path: str, sizes: list[int], probes: int, n: int
) -> dict:
    """Hit latency on ``probes`` real entries as the table grows through ``sizes`` rows."""
    urls = prime(session, origin, 'scale', SMALL, probes)
    result: dict = {'probes': probes}
    for size in sizes:
        fill_s = fill(db_path, size)
        for i, url in enumerate(urls):  # one untimed pass: hot keys' pages are in the page cache
            check(session.get(url), body(SMALL, i), True, 'scale')
        samples = []
        for i in range(n):
            start = time.perf_counter_ns()
            response = session.get(urls[i % probes])
            samples.append(time.perf_counter_ns() - start)
            check(response, body(SMALL, i % probes), True, 'scale')
        result[str(size)] = {**stats(samples), 'fill_s': fill_s}
    origin.expect_count('scale', probes)
    return result
