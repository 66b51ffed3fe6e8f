"""The inspection and cleanup commands: info, list, show, delete, clear, vacuum.

Each takes the open cache and the parsed options, prints its result and returns an exit code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime

from ..backends import BaseCache
from ..backends.sqlite import SQLiteCache
from ..models import utcnow
from .backend import disk_size, location
from .entries import Entry, find_response, read_entries
from .output import ExitCode, emit_json, human_size, human_time, printable, warn
from .stats import stats_line

__all__ = ['clear', 'delete', 'info', 'list_', 'show', 'vacuum']

PREVIEW_BYTES = 500

#: ``--sort`` name -> sort key; "created" and "expires" put never-expiring entries last.
SORT_KEYS: dict[str, Callable[[Entry], object]] = {
    'url': lambda e: e.response.url,
    'created': lambda e: e.response.created_at,
    'expires': lambda e: (e.response.expires is None, e.response.expires or utcnow()),
    'size': lambda e: e.response.size,
}


def info(cache: BaseCache, args: argparse.Namespace) -> int:
    """Summarize the cache: where it is, how big, how many entries and expired, statistics."""
    now = utcnow()
    entries, invalid = read_entries(cache)
    created = [e.response.created_at for e in entries]
    persisted = cache.persisted_stats()
    summary = {
        'backend': args.backend,
        'location': location(cache, args.backend),
        'entries': len(entries),
        'redirects': len(cache.redirects),
        'invalid': len(invalid),
        'expired': sum(e.is_expired(now) for e in entries),
        'body_bytes': sum(e.response.size for e in entries),
        'size_on_disk': disk_size(cache),
        'oldest': min(created).isoformat() if created else None,
        'newest': max(created).isoformat() if created else None,
        'stats': persisted.as_dict(),
    }
    if args.json:
        emit_json(summary)
        return ExitCode.OK
    rows = [
        ('Backend', summary['backend']),
        ('Location', summary['location']),
        ('Entries', f'{len(entries)} ({summary["expired"]} expired, {len(invalid)} unreadable)'),
        ('Redirects', summary['redirects']),
        ('Body bytes', human_size(summary['body_bytes'])),
        ('Size on disk', human_size(summary['size_on_disk'])),
        ('Oldest', human_time(min(created), '-') if created else '-'),
        ('Newest', human_time(max(created), '-') if created else '-'),
        ('Statistics', stats_line(persisted)),
    ]
    for label, value in rows:
        print(f'{label + ":":<14}{value}')
    return ExitCode.OK


def list_(cache: BaseCache, args: argparse.Namespace) -> int:
    """List stored responses, filtered by URL glob and expiry, in the order asked for."""
    now = utcnow()
    entries, _ = read_entries(cache, args.url)
    if args.expired:
        entries = [e for e in entries if e.is_expired(now)]
    entries.sort(key=SORT_KEYS[args.sort], reverse=args.reverse)  # type: ignore[arg-type]
    if args.json:
        emit_json([e.as_dict(now) for e in entries])
    else:
        for entry in entries:
            print(_list_line(entry, now))
    return ExitCode.OK if entries or not (args.url or args.expired) else ExitCode.NOT_FOUND


def _list_line(entry: Entry, now: datetime) -> str:
    response = entry.response
    expires = human_time(response.expires)
    if entry.is_expired(now):
        expires += ' (expired)'
    size = human_size(response.size)
    return (
        f'{response.status_code}  {size:>10}  {human_time(response.created_at)}  '
        f'{expires:<29}  {response.request.method} {response.url}'
    )


def show(cache: BaseCache, args: argparse.Namespace) -> int:
    """Show one stored response: metadata, headers and the body (a preview by default)."""
    entry = find_response(cache, args.target)
    if entry is None:
        warn(f'nothing stored for {args.target}')
        return ExitCode.NOT_FOUND
    response = entry.response
    limit = None if args.body else PREVIEW_BYTES
    body = printable(response.content or b'', limit)
    if args.json:
        data = entry.as_dict(utcnow())
        data['headers'] = list(response.raw.headers.items())
        data['request_headers'] = dict(response.request.headers)
        data['body'] = body
        emit_json(data)
        return ExitCode.OK
    expired = ' (expired)' if entry.is_expired(utcnow()) else ''
    print(f'{response.request.method} {response.url}')
    print(f'Key:      {entry.key}')
    print(f'Status:   {response.status_code} {response.reason or ""}'.rstrip())
    print(f'Created:  {human_time(response.created_at)} UTC')
    print(f'Expires:  {human_time(response.expires)}{" UTC" if response.expires else ""}{expired}')
    print(f'Size:     {human_size(response.size)}')
    print('\nHeaders:')
    for name, value in response.raw.headers.items():
        print(f'  {name}: {value}')
    print('\nBody:')
    print(body)
    return ExitCode.OK


def delete(cache: BaseCache, args: argparse.Namespace) -> int:
    """Delete expired, old, unreadable or URL-matching responses; print how many went."""
    keys: list[str] = []
    if args.url:
        keys = [e.key for e in read_entries(cache, args.url)[0]]
    before = len(cache.responses)
    cache.delete(*keys, expired=args.expired, invalid=args.invalid, older_than=args.older_than)
    deleted = before - len(cache.responses)
    if args.json:
        emit_json({'deleted': deleted})
    else:
        print(f'Deleted {deleted} response{"" if deleted == 1 else "s"}')
    return ExitCode.OK


def clear(cache: BaseCache, args: argparse.Namespace) -> int:
    """Delete everything, after a confirmation on a terminal unless ``--yes``."""
    count = len(cache.responses)
    if not args.yes and sys.stdin.isatty():
        # The question goes to stderr, so stdout carries only the result (and stays valid JSON).
        where = location(cache, args.backend)
        print(f'Delete all {count} responses from {where}? [y/N] ', end='', file=sys.stderr)
        sys.stderr.flush()
        if sys.stdin.readline().strip().lower() not in ('y', 'yes'):
            print('Nothing deleted')
            return ExitCode.OK
    cache.clear()
    if args.json:
        emit_json({'deleted': count})
    else:
        print(f'Cleared {count} response{"" if count == 1 else "s"}')
    return ExitCode.OK


def vacuum(cache: BaseCache, args: argparse.Namespace) -> int:
    """Give free pages back to the file system (SQLite only; other backends need nothing)."""
    if not isinstance(cache, SQLiteCache):
        message = f'The {args.backend} backend frees space by itself; vacuum is not needed.'
        if args.json:
            emit_json({'vacuumed': False, 'message': message})
        else:
            print(message)
        return ExitCode.OK
    before = disk_size(cache)
    # VACUUM cannot run inside a transaction, so not through connections.write().
    cache.connections.read('VACUUM')
    cache.connections.read('PRAGMA wal_checkpoint(TRUNCATE)')
    after = disk_size(cache)
    if args.json:
        emit_json({'vacuumed': True, 'size_before': before, 'size_after': after})
    else:
        print(
            f'Vacuumed {location(cache, args.backend)}: {human_size(before)} -> {human_size(after)}'
        )
    return ExitCode.OK
