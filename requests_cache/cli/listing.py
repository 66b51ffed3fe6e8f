"""``list``: one line (or JSON object) per stored response, printed as it is read.

Without ``--sort`` nothing is held back: the first lines appear at once however large the cache
is, and ``requests-cache list | head`` stops reading when ``head`` has enough. ``--sort`` and
``--reverse`` must read every entry first; they keep only the small `Row` of each.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

from ..backends import BaseCache
from ..models import utcnow
from ._terminal import Style, clean
from .entries import Row, Scan
from .output import ExitCode, human_size, human_time, warn

__all__ = ['SORT_KEYS', 'list_']

#: ``--sort`` name -> sort key; "expires" puts never-expiring entries last.
SORT_KEYS: dict[str, Callable[[Row], object]] = {
    'url': lambda r: r.url,
    'created': lambda r: r.created_at,
    'expires': lambda r: (r.expires is None, r.expires or r.created_at),
    'size': lambda r: r.size,
}
#: Widths of the text columns: status, size, created, expires (with " (expired)").
_WIDTHS = (6, 10, 23, 33)
_HEADER = ('STATUS', 'SIZE', 'CREATED', 'EXPIRES', 'METHOD URL')


def list_(cache: BaseCache, args: argparse.Namespace) -> int:
    """List stored responses, filtered by URL glob and expiry, as stored or in the order asked."""
    now = utcnow()
    buffered = bool(args.sort or args.reverse)
    # A progress bar only while nothing is printed: a buffered list prints after reading.
    scan = Scan(cache, args.url, label='Reading' if buffered else None)
    rows: Iterable[Row] = (entry.row() for entry in scan)
    if args.expired:
        rows = (row for row in rows if row.is_expired(now))
    if buffered:
        rows = sorted(rows, key=SORT_KEYS[args.sort or 'url'], reverse=args.reverse)  # type: ignore[arg-type]
    count = _print_json(rows, now) if args.json else _print_text(rows, now)
    if scan.unreadable:
        count_text = '1 entry' if len(scan.unreadable) == 1 else f'{len(scan.unreadable)} entries'
        warn(
            f'{count_text} could not be read (corrupt, or written by another format); '
            'requests-cache delete --invalid removes them'
        )
    return ExitCode.OK if count or not (args.url or args.expired) else ExitCode.NOT_FOUND


def _print_json(rows: Iterable[Row], now: datetime) -> int:
    """A JSON array, one object per line, written as the rows come."""
    count = 0
    sys.stdout.write('[')
    for count, row in enumerate(rows, 1):
        text = json.dumps(row.as_dict(now))
        sys.stdout.write(f'{"," if count > 1 else ""}\n  {text}')
    sys.stdout.write('\n]\n')
    return count


def _print_text(rows: Iterable[Row], now: datetime) -> int:
    """Aligned lines; on a terminal, a header row first and some colour."""
    style = Style.for_stream(sys.stdout)
    if sys.stdout.isatty():
        print(style(_header(), 'bold'))
    count = 0
    for line in _lines(rows, now, style):
        print(line)
        count += 1
    return count


def _header() -> str:
    status, size, created, expires, rest = _HEADER
    widths = _WIDTHS
    return (
        f'{status:<{widths[0]}}  {size:>{widths[1]}}  {created:<{widths[2]}}  '
        f'{expires:<{widths[3]}}  {rest}'
    )


def _lines(rows: Iterable[Row], now: datetime, style: Style) -> Iterator[str]:
    for row in rows:
        expires = human_time(row.expires)
        if row.is_expired(now):
            expires += ' (expired)'
            expires = style(f'{expires:<{_WIDTHS[3]}}', 'yellow')
        else:
            expires = f'{expires:<{_WIDTHS[3]}}'
        status = style.status(row.status) + ' ' * (_WIDTHS[0] - len(str(row.status)))
        yield (
            f'{status}  {human_size(row.size):>{_WIDTHS[1]}}  {human_time(row.created_at)}  '
            f'{expires}  {clean(row.method)} {clean(row.url)}'
        )
