"""Time dumps and loads of each serializer format for 1 KiB and 1 MiB bodies.

Run from the repository root::

    .venv/bin/python benchmarks/serializers.py [--repeat 7] [--number N]

Each cell is the median of ``--repeat`` timeit runs, per call. Every timed loads result is
checked against the original response, so a fast but wrong format cannot win.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import timeit
from typing import Callable

from requests.structures import CaseInsensitiveDict

from requests_cache.models import CachedRequest, CachedResponse
from requests_cache.serializers import SerializerPipeline, init_serializer

FORMATS = ('pickle', 'binary', 'json', 'yaml', 'bson')
NOISE = 1.05
SIZES = {'1 KiB': 1024, '1 MiB': 1024 * 1024}


def sample_response(size: int) -> CachedResponse:
    """A typical JSON API response with a random (incompressible) body of ``size`` bytes."""
    request = CachedRequest(
        url='https://api.example.com/items?page=2',
        headers=CaseInsensitiveDict({'Accept': 'application/json', 'User-Agent': 'bench'}),
    )
    return CachedResponse.build(
        url='https://api.example.com/items?page=2',
        status_code=200,
        reason='OK',
        headers=[
            ('Content-Type', 'application/json'),
            ('Cache-Control', 'max-age=300'),
            ('ETag', '"abc123"'),
            ('Set-Cookie', 'a=1'),
            ('Set-Cookie', 'b=2'),
        ],
        body=os.urandom(size),
        encoding='utf-8',
        request=request,
        cache_key='bench',
    )


def check_round_trip(
    pipeline: SerializerPipeline, blob: object, response: CachedResponse
) -> Callable[[], None]:
    """A loads call that fails loudly if the result differs from ``response``."""

    def loads_and_check() -> None:
        loaded = pipeline.loads(blob, 'bench')
        if loaded.content != response.content or loaded.headers != response.headers:
            raise AssertionError(f'{pipeline.name} did not round-trip')

    return loads_and_check


def measure(
    response: CachedResponse, repeat: int, number: int
) -> dict[str, tuple[float, float, int]]:
    """Median seconds per dumps and loads call, and blob size, for every format.

    Formats take turns within each repeat, so a slow warm-up or a noisy neighbour does not land
    on one format only.
    """
    pipelines = {name: init_serializer(name) for name in FORMATS}
    calls: dict[str, tuple[Callable[[], object], Callable[[], None]]] = {}
    sizes = {}
    for name, pipeline in pipelines.items():
        blob = pipeline.dumps(response)
        sizes[name] = len(blob)
        calls[name] = (
            lambda p=pipeline: p.dumps(response),  # type: ignore[misc]
            check_round_trip(pipeline, blob, response),
        )
        calls[name][1]()  # fail fast, before any timing
    timings: dict[str, tuple[list[float], list[float]]] = {n: ([], []) for n in FORMATS}
    for _ in range(repeat + 1):  # the first round is a warm-up and is dropped below
        for name, (dumps, loads) in calls.items():
            timings[name][0].append(timeit.timeit(dumps, number=number) / number)
            timings[name][1].append(timeit.timeit(loads, number=number) / number)
    return {
        name: (statistics.median(d[1:]), statistics.median(lo[1:]), sizes[name])
        for name, (d, lo) in timings.items()
    }


def main() -> int:
    """Print one table per body size, with ratios against pickle (lower is faster)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeat', type=int, default=7)
    parser.add_argument('--number', type=int, default=0, help='calls per run (default: auto)')
    args = parser.parse_args()
    slower = []
    for label, size in SIZES.items():
        response = sample_response(size)
        number = args.number or (2000 if size <= 1024 else 20)
        results = measure(response, args.repeat, number)
        base_dumps, base_loads, _ = results['pickle']
        print(f'\n{label} body (per call, median of {args.repeat} runs x {number} calls)')
        print(
            f'{"format":<8} {"dumps us":>10} {"x pickle":>9} {"loads us":>10} {"x pickle":>9}'
            f' {"bytes":>9}'
        )
        for name, (dumps_time, loads_time, length) in results.items():
            print(
                f'{name:<8} {dumps_time * 1e6:>10.1f} {dumps_time / base_dumps:>9.2f}'
                f' {loads_time * 1e6:>10.1f} {loads_time / base_loads:>9.2f} {length:>9}'
            )
        dumps_time, loads_time, _ = results['binary']
        # Why the 5% margin: on a shared machine two runs of the same code differ by that much.
        if dumps_time > base_dumps * NOISE or loads_time > base_loads * NOISE:
            slower.append(label)
    if slower:
        print(f'\nbinary is more than 5% slower than pickle for: {", ".join(slower)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
