"""Faults: killed writers, a Redis restart, corrupt stored entries and bodies cut short."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import sqlite3
import struct
import subprocess
import sys
import textwrap
import time

import msgpack
import pytest
import requests
from reliability_support import SOAK

from requests_cache.backends.resilience import CircuitBreaker
from requests_cache.serializers import binary_serializer
from requests_cache.serializers.checksums import TRAILER
from requests_cache.serializers.pipeline import sealed

_KILLED_WRITER = textwrap.dedent(
    """
    import hashlib, sys
    from requests_cache.backends import init_backend
    from requests_cache.models import CachedResponse
    backend, location, prefix = sys.argv[1], sys.argv[2], sys.argv[3]
    cache = init_backend(location, backend)
    i = 0
    while True:
        key = f'{prefix}-{i}'
        body = hashlib.sha256(key.encode()).digest() * 2048  # 64 KiB, derived from the key
        response = CachedResponse.build(
            url=f'http://127.0.0.1/{key}', status_code=200, reason='OK',
            headers=[('Content-Type', 'application/octet-stream')], body=body, cache_key=key,
        )
        cache.save_response(response, key)
        print(key, flush=True)  # acknowledged: save_response returned
        i += 1
    """
)


def _expected_body(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest() * 2048


def _kill_writers(backend: str, location: str, rounds: int, seed: int) -> list[str]:
    """Start a writer ``rounds`` times and SIGKILL it after a random number of writes."""
    rng = random.Random(seed)
    acknowledged: list[str] = []
    for n in range(rounds):
        process = subprocess.Popen(
            [sys.executable, '-c', _KILLED_WRITER, backend, location, f'r{n}'],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert process.stdout is not None
        for _ in range(rng.randint(1, 25)):
            line = process.stdout.readline()
            if not line.endswith('\n'):
                break
            acknowledged.append(line.strip())
        # The writer is somewhere inside its next save_response (or between two).
        os.kill(process.pid, signal.SIGKILL)
        rest, _ = process.communicate(timeout=30)
        acknowledged.extend(line for line in rest.splitlines(keepends=True) if line.endswith('\n'))
        assert process.returncode == -signal.SIGKILL
    return [key.strip() for key in acknowledged]


def _lost_and_corrupt(cache, keys) -> tuple[int, int]:
    """How many acknowledged keys are missing, and how many have the wrong body."""
    lost = corrupt = 0
    for key in keys:
        response = cache.get_response(key)
        if response is None:
            lost += 1
        elif response.content != _expected_body(key):
            corrupt += 1
    return lost, corrupt


def test_sigkill_sqlite_writer(tmp_path, figures):
    """A SQLite writer SIGKILLed mid-write 20 times leaves an intact file with every acked write."""
    from requests_cache.backends.sqlite import SQLiteCache

    db = tmp_path / 'killed.sqlite'
    keys = _kill_writers('sqlite', str(db), 20 * SOAK, seed=20261124)
    with sqlite3.connect(db) as connection:
        integrity = connection.execute('PRAGMA integrity_check').fetchone()[0]
    connection.close()
    cache = SQLiteCache(db)
    lost, corrupt = _lost_and_corrupt(cache, keys)
    rows = len(cache.responses)
    cache.close()
    figures.record(
        'fault_sigkill_sqlite',
        kills=20 * SOAK,
        acknowledged=len(keys),
        rows=rows,
        integrity_check=integrity,
        corrupt=corrupt,
        lost=lost,
    )
    assert integrity == 'ok'
    assert (corrupt, lost) == (0, 0)


def test_sigkill_filesystem_writer(tmp_path, figures):
    """A filesystem writer SIGKILLed mid-write 20 times leaves no partial file and loses no ack."""
    from requests_cache.backends.filesystem import FileCache

    location = tmp_path / 'killed'
    keys = _kill_writers('filesystem', str(location), 20 * SOAK, seed=20261125)
    cache = FileCache(location)
    files = len(cache.responses.paths())
    temp_files = len(list((location / 'responses').glob('??/.tmp-*')))
    partial = 0
    for key in list(cache.responses):
        try:
            cache.serializer.loads(cache.responses[key], key)
        except Exception:
            partial += 1
    # Files whose key header itself is unreadable are not listed by iteration: count them too.
    partial += files - len(list(cache.responses))
    lost, corrupt = _lost_and_corrupt(cache, keys)
    figures.record(
        'fault_sigkill_filesystem',
        kills=20 * SOAK,
        acknowledged=len(keys),
        files=files,
        leftover_temp_files=temp_files,
        partial_files=partial,
        corrupt=corrupt,
        lost=lost,
    )
    assert (partial, corrupt, lost) == (0, 0, 0)


def test_redis_restart_mid_run(origin, make_session, reliability_redis, figures):
    """Redis stopped and restarted mid-run fails no request; caching resumes after the restart."""
    session = make_session('redis')
    ticks = [0.0]
    session.cache.breaker = CircuitBreaker('redis', clock=lambda: ticks[0])
    urls = [origin.url(f'/redis-restart/{i}') for i in range(20)]
    failures: list[str] = []

    def phase(before_each=None) -> tuple[float, list[float], int]:
        """Fetch every URL twice; returns the mean and all latencies in ms and the hit count."""
        latencies, hits = [], 0
        for url in urls + urls:
            if before_each:
                before_each()
            start = time.perf_counter()
            try:
                response = session.get(url)
                hits += bool(response.from_cache)
                if response.content != f'body of {url[len(origin.base_url) :]}'.encode():
                    failures.append(f'wrong body for {url}')
            except Exception as exc:
                failures.append(repr(exc))
            latencies.append((time.perf_counter() - start) * 1000)
        return sum(latencies) / len(latencies), latencies, hits

    up_mean, _, up_hits = phase()
    reliability_redis.stop()
    try:
        down_mean, down_latencies, down_hits = phase()
    finally:
        reliability_redis.start()

    def cool_down_over() -> None:
        ticks[0] += 31  # past the breaker's cool-down, so a probe may go through

    back_mean, _, back_hits = phase(cool_down_over)
    figures.record(
        'fault_redis_restart',
        requests=len(urls) * 6,
        failed_requests=len(failures),
        mean_ms_up=round(up_mean, 2),
        mean_ms_down=round(down_mean, 2),
        first_ms_down=round(down_latencies[0], 2),
        max_ms_down=round(max(down_latencies), 2),
        added_mean_latency_ms=round(down_mean - up_mean, 2),
        mean_ms_after_restart=round(back_mean, 2),
        hits_up=up_hits,
        hits_down=down_hits,
        hits_after_restart=back_hits,
        breaker_failures=session.cache.breaker.failures,
        breaker_skipped=session.cache.breaker.skipped,
        first_failure=failures[0] if failures else None,
    )
    assert failures == []
    assert up_hits == len(urls)
    assert back_hits > 0
    # Bounded added latency: a refused connection fails fast and the breaker then skips Redis,
    # so no request waits for the client's 2 s socket timeout.
    assert max(down_latencies) < 1000
    assert session.cache.breaker.skipped > 0


# --- corrupt entries ----------------------------------------------------------------------------
_TAG = binary_serializer.tag.encode()
_FRAME = struct.Struct('>IQ')


def _frame(meta: object, body: bytes = b'') -> bytes:
    """A blob with a valid tag and checksum around ``meta``, so the shape checks must catch it."""
    packed = msgpack.packb(meta, use_bin_type=True)
    return sealed(_FRAME.pack(len(packed), len(body)) + packed + body, _TAG)


def _bad_blobs(good: bytes) -> dict[str, object]:
    """Stored values that are not a readable entry, by name."""
    return {
        'garbage': b'\x93\x00\xffgarbage' * 20,
        'empty': b'',
        'tag_only': _TAG,
        'truncated_half': good[: len(good) // 2],
        'truncated_by_one': good[:-1],
        'padded': good + b'\x00',
        'wrong_shape_dict': _frame({'foo': 'bar'}),
        'wrong_shape_types': _frame({'url': 5, 'status': 'x', 'headers': 7, 'request': []}),
        'wrong_shape_list': _frame([1, 2, 3]),
        'huge_lengths': sealed(_FRAME.pack(2**31, 2**60) + b'x', _TAG),
        # The blob as the format wrote it before checksums: a miss (issue 15, item 4).
        'wrong_version_old': b'rc/binary/2\n' + good[len(_TAG) : -TRAILER.size],
        'wrong_version_future': sealed(good[len(_TAG) : -TRAILER.size], b'rc/binary/999\n'),
        'foreign_format': b'rc/json/1\n{"url": "x"}',
        'pickle_blob': b'\x80\x05\x95\x0b\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01a\x94K\x01s.',
        'text_value': 'not bytes at all',
    }


@pytest.mark.parametrize('backend', ['memory', 'sqlite', 'filesystem', 'redis'])
def test_corrupt_entries_are_misses(backend, origin, make_session, figures):
    """Garbage, empty, truncated, wrong-shape and wrong-version entries are refetched quietly."""
    session = make_session(backend)
    exceptions: list[str] = []
    bogus = refetched = restored = 0
    variants = dict.fromkeys(_bad_blobs(b''))
    if backend == 'filesystem':
        variants['raw_file_garbage'] = None
    for name in variants:
        path = f'/corrupt/{name}'
        url = origin.route(path, headers={'Content-Type': 'text/plain'})
        first = session.get(url)
        key = first.cache_key
        blob = _bad_blobs(session.cache.responses[key])
        if name == 'raw_file_garbage':
            session.cache.responses.path_for(key).write_bytes(b'\x00\x01not a cache file')
        else:
            session.cache.responses[key] = blob[name]
        try:
            second = session.get(url)
            third = session.get(url)
        except Exception as exc:
            exceptions.append(f'{name}: {exc!r}')
            continue
        expected = f'body of {path}'.encode()
        if second.from_cache or second.status_code != 200 or second.content != expected:
            bogus += 1
        refetched += origin.count(path) == 2
        restored += bool(third.from_cache and third.content == expected)
    figures.record(
        f'fault_corrupt_entries_{backend}',
        variants=len(variants),
        exceptions=len(exceptions),
        bogus_responses=bogus,
        served_from_origin=refetched,
        stored_again=restored,
        first_exception=exceptions[0] if exceptions else None,
    )
    assert exceptions == []
    assert bogus == 0
    assert refetched == len(variants)


@pytest.mark.parametrize('backend', ['memory', 'sqlite'])
def test_truncated_bodies_are_never_stored(backend, origin, make_session, figures):
    """A body cut short (short Content-Length or missing last chunk) is never stored."""
    session = make_session(backend)
    outcomes: dict[str, str] = {}
    routes = {
        'content_length': {'truncate': 10},
        'chunked': {'chunk_size': 5, 'truncate': 1},
    }
    for route_name, route in routes.items():
        for mode in ('plain', 'iter_content', 'raw_read'):
            path = f'/truncated/{route_name}/{mode}'
            url = origin.route(path, body=b'x' * 100, **route)
            try:
                if mode == 'plain':
                    session.get(url)
                elif mode == 'iter_content':
                    for _ in session.get(url, stream=True).iter_content(7):
                        pass
                else:
                    session.get(url, stream=True).raw.read()
                outcomes[f'{route_name}/{mode}'] = 'no error'
            except requests.RequestException as exc:
                outcomes[f'{route_name}/{mode}'] = type(exc).__name__
            except Exception as exc:  # urllib3 errors from raw.read() are not wrapped by requests
                outcomes[f'{route_name}/{mode}'] = type(exc).__name__
    stored = len(session.cache.responses)
    figures.record(
        f'fault_truncated_bodies_{backend}',
        requests=len(outcomes),
        stored=stored,
        outcomes=json.dumps(outcomes, sort_keys=True),
    )
    assert stored == 0
