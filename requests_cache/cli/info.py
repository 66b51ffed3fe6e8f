"""``info``: where a cache is, how big, how many entries and how many expired.

The counts come from the backend's own bookkeeping (SQLite's ``expires`` and ``size`` columns,
MongoDB's ``expires`` field), so ``info`` answers at once however large the cache is. ``--scan``
reads every entry as well, for what only the entries themselves can tell: how many cannot be
read, the oldest and newest, the total body size, and the expired count where no index has it.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import Any, Optional

from ..backends import BaseCache
from ..models import utcnow
from ._terminal import Style, clean
from .backend import disk_size, location
from .entries import Scan
from .output import ExitCode, emit_json, human_size, human_time
from .stats import stats_line

__all__ = ['info']


def info(cache: BaseCache, args: argparse.Namespace) -> int:
    """Summarize the cache: where it is, how big, how many entries and expired, statistics."""
    now = utcnow()
    stats = cache.persisted_stats()
    summary: dict[str, Any] = {
        'backend': args.backend,
        'location': location(cache, args.backend),
        'entries': len(cache.responses),
        'expired': cache.responses.count_expired(now),
        'invalid': None,
        'redirects': len(cache.redirects),
        'stored_bytes': cache.responses.stored_size(),
        'body_bytes': None,
        'size_on_disk': disk_size(cache),
        'oldest': None,
        'newest': None,
        'stats': stats.as_dict(),
    }
    if args.scan:
        summary.update(_scanned(cache, now, summary['expired']))
    if args.json:
        emit_json(summary)
    else:
        _print(summary, stats_line(stats), args.scan)
    return ExitCode.OK


def _scanned(cache: BaseCache, now: datetime, expired: Optional[int]) -> dict[str, Any]:
    """What reading every entry adds to the summary."""
    body_bytes = expired_seen = 0
    oldest: Optional[datetime] = None
    newest: Optional[datetime] = None
    scan = Scan(cache, label='Reading')
    for entry in scan:
        response = entry.response
        body_bytes += response.size
        expired_seen += entry.is_expired(now)
        created = response.created_at
        oldest = created if oldest is None or created < oldest else oldest
        newest = created if newest is None or created > newest else newest
    return {
        'invalid': len(scan.unreadable),
        'expired': expired if expired is not None else expired_seen,
        'body_bytes': body_bytes,
        'oldest': oldest.isoformat() if oldest else None,
        'newest': newest.isoformat() if newest else None,
    }


def _print(summary: dict[str, Any], statistics: str, scanned: bool) -> None:
    style = Style.for_stream(sys.stdout)
    rows = [
        ('Backend', summary['backend']),
        ('Location', clean(summary['location'])),
        ('Entries', f'{summary["entries"]} ({_expired(summary, style)})'),
        ('Redirects', summary['redirects']),
        ('Stored', human_size(summary['stored_bytes'])),
        ('Size on disk', human_size(summary['size_on_disk'])),
    ]
    if scanned:
        unreadable = summary['invalid']
        rows += [
            ('Unreadable', style(str(unreadable), 'red') if unreadable else '0'),
            ('Body bytes', human_size(summary['body_bytes'])),
            ('Oldest', human_time(_parse(summary['oldest']), '-')),
            ('Newest', human_time(_parse(summary['newest']), '-')),
        ]
    rows.append(('Statistics', statistics))
    for label, value in rows:
        print(f'{label + ":":<14}{value}')


def _expired(summary: dict[str, Any], style: Style) -> str:
    expired = summary['expired']
    if expired is None:
        return f'expired: not indexed by the {summary["backend"]} backend; see info --scan'
    text = f'{expired} expired'
    return style(text, 'yellow') if expired else text


def _parse(value: Optional[str]) -> Optional[datetime]:
    return datetime.fromisoformat(value) if value else None
