"""Runner side: turn the workers' outputs into Markdown tables, ratios and the issue's targets.

Every number is the median over passes of each pass's median; a pass whose worker failed a
correctness check is left out and the failure is listed instead.
"""

from __future__ import annotations

import statistics
from typing import Any

from .contenders import CACHECONTROL, FLOOR, OURS, REQUESTS, REQUESTS_CACHE

__all__ = ['errors', 'render']

Runs = dict[tuple[str, str], list[dict[str, Any]]]
BACKENDS = ('memory', 'sqlite', 'filesystem', 'redis', 'redis-near')
#: Ours with the Redis near-cache is compared with the peers' plain Redis backends (they have no
#: near-cache), and with our own memory backend.
PEER_BACKEND = {'redis-near': 'redis'}
NEAR_LIMIT = 1.5  # a Redis hit through the near-cache, as a multiple of a memory hit
#: Column title -> path into a worker's results.
METRICS = {
    'miss µs': ('miss', 'miss', 'median_us'),
    'plain µs': ('miss', 'plain', 'median_us'),
    'miss overhead µs': ('miss', 'overhead_us'),
    'hit 1 KiB µs': ('warm1k', 'median_us'),
    'hit 100 KiB µs': ('warm100k', 'median_us'),
    '8-thread µs/hit': ('threaded', 'threaded_us_per_op'),
    '8-thread scaling': ('threaded', 'scaling'),
}
RSS_LIMIT = 1500  # bytes per cached 1 KiB response; "1.5 KB", read strictly


def median(runs: list[dict[str, Any]], path: tuple[str, ...]) -> float | None:
    """Median of the value at ``path`` over the successful runs, or None if there is none."""
    values = []
    for run in runs:
        value: Any = run.get('results', {})
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, (int, float)) and not run.get('error'):
            values.append(value)
    return statistics.median(values) if values else None


def table(headers: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table; floats get one decimal (two below 10), None shows as "-"."""

    def cell(value: Any) -> str:
        if value is None:
            return '-'
        if isinstance(value, float) and value.is_integer() and abs(value) >= 1000:
            return f'{int(value):,}'  # counts, such as entries
        if isinstance(value, float):
            return f'{value:.2f}' if abs(value) < 10 else f'{value:.1f}'
        return str(value)

    lines = ['| ' + ' | '.join(headers) + ' |', '|' + '---|' * len(headers)]
    lines += ['| ' + ' | '.join(cell(value) for value in row) + ' |' for row in rows]
    return '\n'.join(lines)


def ratio(ours: float | None, theirs: float | None) -> float | None:
    """``ours / theirs``, or None when either is missing or the divisor is not positive."""
    if ours is None or theirs is None or theirs <= 0:
        return None
    return ours / theirs


def _main_table(runs: Runs) -> str:
    rows = [
        [f'{contender} / {backend}'] + [median(outputs, path) for path in METRICS.values()]
        for (contender, backend), outputs in runs.items()
    ]
    return table(['contender / backend', *METRICS], rows)


def _ratio_rows(runs: Runs) -> list[list[Any]]:
    rows = []
    for backend in BACKENDS:
        ours = runs.get((OURS, backend), [])
        for title in ('hit 1 KiB µs', 'hit 100 KiB µs', 'miss overhead µs', '8-thread µs/hit'):
            path = METRICS[title]
            value = median(ours, path)
            peer_backend = PEER_BACKEND.get(backend, backend)
            peers = [median(runs.get((peer, peer_backend), []), path) for peer in PEERS]
            rows.append([backend, title, value, *peers, *(ratio(value, p) for p in peers)])
    return rows


PEERS = (REQUESTS_CACHE, CACHECONTROL)


def _memory_table(runs: Runs) -> str:
    rows = [
        [contender, median(outputs, ('memory', 'entries')), median(outputs, _PER_ENTRY)]
        for (contender, _backend), outputs in runs.items()
    ]
    return table(['contender (memory backend)', 'entries', 'RSS bytes per entry'], rows)


_PER_ENTRY = ('memory', 'bytes_per_entry')


def _scale_table(runs: Runs, sizes: tuple[int, ...]) -> str:
    rows = []
    for (contender, _backend), outputs in runs.items():
        hits = [median(outputs, ('sqlite_scale', str(size), 'median_us')) for size in sizes]
        fills = [median(outputs, ('sqlite_scale', str(size), 'fill_s')) for size in sizes]
        rows.append([contender, *hits, ratio(hits[-1], hits[0]), sum(f or 0 for f in fills)])
    headers = [f'hit µs @ {size:,}' for size in sizes]
    return table(['contender (sqlite)', *headers, f'{sizes[-1]:,} / {sizes[0]:,}', 'fill s'], rows)


def targets(results: dict[str, Runs], sizes: tuple[int, ...]) -> list[list[Any]]:
    """The issue's targets: [target, measured, met]."""
    runs, rows = results['main'], []

    def verdict(value: float | None, limit: float) -> str:
        return 'n/a' if value is None else ('met' if value <= limit else 'NOT met')

    for backend in BACKENDS:
        for peer, limit in ((REQUESTS_CACHE, 0.30), (CACHECONTROL, 0.8)):
            if (peer, PEER_BACKEND.get(backend, backend)) not in runs:
                continue
            worst = _worst_hit_ratio(runs, backend, peer)
            rows.append([f'{backend} hit <= {limit}x {peer}', worst, verdict(worst, limit)])
    near = _worst_hit_ratio(runs, 'redis-near', OURS, 'memory')
    rows.append(
        [f'redis-near hit <= {NEAR_LIMIT}x ours / memory hit', near, verdict(near, NEAR_LIMIT)]
    )
    for backend in BACKENDS:
        overhead = ratio(
            median(runs.get((OURS, backend), []), METRICS['miss overhead µs']),
            median(
                runs.get((REQUESTS_CACHE, PEER_BACKEND.get(backend, backend)), []),
                METRICS['miss overhead µs'],
            ),
        )
        rows.append(
            [f'{backend} miss overhead <= 0.3x {REQUESTS_CACHE}', overhead, verdict(overhead, 0.3)]
        )
    plain = median(runs.get((REQUESTS, 'none'), []), METRICS['hit 1 KiB µs'])
    mem_hit = median(runs.get((OURS, 'memory'), []), METRICS['hit 1 KiB µs'])
    rows.append(
        [
            'memory hit faster than plain requests (ratio)',
            ratio(mem_hit, plain),
            verdict(ratio(mem_hit, plain), 1.0),
        ]
    )
    per_entry = median(results['memory'].get((OURS, 'memory'), []), _PER_ENTRY)
    rows.append(
        [
            f'RSS per cached 1 KiB response <= {RSS_LIMIT} B',
            per_entry,
            verdict(per_entry, RSS_LIMIT),
        ]
    )
    scale = results['sqlite_scale'].get((OURS, 'sqlite'), [])
    big = ratio(
        *(median(scale, ('sqlite_scale', str(s), 'median_us')) for s in (sizes[-1], sizes[0]))
    )
    rows.append([f'sqlite hit @ {sizes[-1]:,} <= 1.2x @ {sizes[0]:,}', big, verdict(big, 1.2)])
    for backend in BACKENDS:
        scaling = median(runs.get((OURS, backend), []), METRICS['8-thread scaling'])
        if scaling is not None:
            # Under the GIL, 8 threads cannot beat one; the target is "no lock collapse".
            rows.append(
                [
                    f'{backend} 8-thread throughput >= 0.9x 1-thread',
                    scaling,
                    'n/a' if scaling is None else ('met' if scaling >= 0.9 else 'NOT met'),
                ]
            )
    return rows


def _worst_hit_ratio(
    runs: Runs, backend: str, peer: str, peer_backend: str | None = None
) -> float | None:
    """The larger of the 1 KiB and 100 KiB hit ratios of ours on ``backend`` to ``peer`` on
    ``peer_backend`` (by default the backend that compares with ``backend``)."""
    peer_backend = peer_backend or PEER_BACKEND.get(backend, backend)
    values = [
        ratio(
            median(runs.get((OURS, backend), []), METRICS[t]),
            median(runs.get((peer, peer_backend), []), METRICS[t]),
        )
        for t in ('hit 1 KiB µs', 'hit 100 KiB µs')
    ]
    known = [v for v in values if v is not None]
    return max(known) if known else None


def errors(results: dict[str, Runs]) -> list[str]:
    """Every failed worker, as "kind: contender / backend: message"."""
    return [
        f'{kind}: {contender} / {backend}: {output["error"]}'
        for kind, runs in results.items()
        for (contender, backend), outputs in runs.items()
        for output in outputs
        if output.get('error')
    ]


def render(results: dict[str, Runs], sizes: tuple[int, ...]) -> str:
    """The whole report as Markdown."""
    ratio_headers = ['backend', 'metric', OURS, *PEERS, f'ours / {PEERS[0]}', f'ours / {PEERS[1]}']
    versions = sorted(
        {
            f'{name} {version}'
            for runs in results.values()
            for outputs in runs.values()
            for output in outputs
            for name, version in output.get('versions', {}).items()
        }
    )
    parts = [
        '## All contenders (median µs per request; lower is better)',
        _main_table(results['main']),
        f'Baselines: `{REQUESTS}` sends every request to the origin; '
        f'`{FLOOR}` is a dict of pickles.',
        '## Ours vs the peers',
        table(ratio_headers, _ratio_rows(results['main'])),
        '## Memory per cached 1 KiB response',
        _memory_table(results['memory']),
        '## SQLite hit latency by table size',
        _scale_table(results['sqlite_scale'], sizes),
        '## Targets',
        table(['target', 'measured', 'status'], targets(results, sizes)),
        'Versions seen: ' + ', '.join(versions),
    ]
    failed = errors(results)
    if failed:
        parts += ['## FAILED checks', '\n'.join(f'- {line}' for line in failed)]
    return '\n\n'.join(parts)
