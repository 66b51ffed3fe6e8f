"""``stats``: what every process that used the cache counted, added up; ``--reset`` starts over.

Sessions write their cache's counters to the backend (see
`requests_cache.backends.stats_store`); this command only reads them, and never writes a record
of its own.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from ..backends import BaseCache
from ..backends.stats_store import DEFAULT_STATS_INTERVAL
from ..stats import StatsSummary
from ._terminal import clean
from .backend import location
from .output import ExitCode, emit_json, human_size, human_time

__all__ = ['HELP', 'stats', 'stats_line']

#: The description of ``requests-cache stats --help``.
HELP = f"""\
Statistics of every process that used this cache, added up.

Counted: hits (fresh responses served), stale responses served (by the rule that allowed them:
stale-if-error, stale-while-revalidate, max-stale, only-if-cached), misses (requests not answered
from storage, by RFC 9211 reason: uri-miss, vary-miss, miss, stale, request, bypass, method; or
only-if-cached for a 504), revalidations (conditional requests, by outcome: not-modified,
modified, failed), stores and bytes stored, bytes saved (body bytes served from storage instead
of the origin), storage read and write errors that were skipped, and evictions (responses removed
to respect max_entries or max_size). The hit ratio leaves out requests that bypassed the cache.

Each process writes a record of its own, and this command adds them up. A session writes its
cache's counts when it is closed, and while it stores responses at most every
{DEFAULT_STATS_INTERVAL:g} seconds (cache.stats_interval), so a process that is still running may
be that far behind. Processes, records: one record per cache object per process.
--reset prints the totals, then deletes every record; running processes go on from zero."""


def stats(cache: BaseCache, args: argparse.Namespace) -> int:
    """Print the persisted statistics of the cache; with ``--reset``, then delete them."""
    summary = cache.persisted_stats()
    if args.reset:
        cache.reset_stats()
    if args.json:
        emit_json({'location': location(cache, args.backend), **summary.as_dict(), **_reset(args)})
        return ExitCode.OK
    where = clean(location(cache, args.backend))
    if not summary.records:
        print(f'No statistics recorded in {where} yet.')
        print(
            'Sessions write them at close, and every '
            f'{DEFAULT_STATS_INTERVAL:g} s while they store responses.'
        )
        return ExitCode.OK
    for label, value in _rows(summary, where):
        print(f'{label + ":":<15}{value}')
    if args.reset:
        print(f'Reset: deleted {_plural(summary.records, "record")}')
    return ExitCode.OK


def stats_line(summary: StatsSummary) -> str:
    """One line for ``info``: lookups, hit ratio and how many processes recorded them."""
    if not summary.records:
        return 'none recorded'
    s = '' if summary.processes == 1 else 'es'
    return (
        f'{summary.hits} hits, {summary.stale} stale, {summary.misses} misses '
        f'({summary.hit_ratio:.1%} served from cache), {summary.processes} process{s}'
    )


def _rows(summary: StatsSummary, where: str) -> list[tuple[str, Any]]:
    return [
        ('Location', where),
        ('Hits', summary.hits),
        ('Stale served', _with_reasons(summary.stale, summary.stale_by_reason)),
        ('Misses', _with_reasons(summary.misses, summary.misses_by_reason)),
        ('Hit ratio', f'{summary.hit_ratio:.1%}'),
        ('Stores', summary.stores),
        ('Bytes stored', human_size(summary.bytes_stored)),
        ('Bytes saved', human_size(summary.bytes_saved)),
        ('Revalidations', _with_reasons(summary.revalidations, summary.revalidations_by_outcome)),
        ('Read errors', summary.read_errors),
        ('Write errors', summary.write_errors),
        ('Evictions', summary.evictions),
        ('Processes', f'{summary.processes} ({_plural(summary.records, "record")})'),
        ('First update', human_time(summary.first_update, '-')),
        ('Last update', human_time(summary.last_update, '-')),
    ]


def _with_reasons(total: int, reasons: Mapping[str, int]) -> Any:
    # The reasons are read from storage, which anyone who can write to it controls.
    shares = ', '.join(f'{clean(reason)} {count}' for reason, count in reasons.items())
    return f'{total} ({shares})' if shares else total


def _reset(args: argparse.Namespace) -> dict[str, Any]:
    return {'reset': True} if args.reset else {}


def _plural(count: int, noun: str) -> str:
    return f'{count} {noun}{"" if count == 1 else "s"}'
