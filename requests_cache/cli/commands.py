"""The commands on one response, and cleanup: show, delete, clear, vacuum.

Each takes the open cache and the parsed options, prints its result and returns an exit code.
(``info`` and ``list`` have modules of their own.)
"""

from __future__ import annotations

import argparse
import sys

from ..backends import BaseCache
from ..backends.sqlite import SQLiteCache
from ..models import utcnow
from ._terminal import Style, clean
from .backend import disk_size, location
from .entries import Scan, find_response
from .output import ExitCode, emit_json, human_size, human_time, printable, warn

__all__ = ['clear', 'delete', 'show', 'vacuum']

PREVIEW_BYTES = 500


def show(cache: BaseCache, args: argparse.Namespace) -> int:
    """Show one stored response: metadata, headers and the body (a preview by default)."""
    entry = find_response(cache, args.target)
    if entry is None:
        if args.target in cache.responses:
            warn(f'the entry {args.target} cannot be read (corrupt, or another format)')
        else:
            warn(f'nothing stored for {args.target}')
        return ExitCode.NOT_FOUND
    response = entry.response
    limit = None if args.body else PREVIEW_BYTES
    body = printable(response.content or b'', limit)
    if args.json:
        data = entry.row().as_dict(utcnow())
        data['reason'] = response.reason
        data['headers'] = response.header_pairs()
        data['request_headers'] = dict(response.request.headers)
        data['body'] = body
        emit_json(data)
        return ExitCode.OK
    style = Style.for_stream(sys.stdout)
    expired = style(' (expired)', 'yellow') if entry.is_expired(utcnow()) else ''
    reason = f' {clean(response.reason)}' if response.reason else ''
    print(style(f'{clean(response.request.method)} {clean(response.url)}', 'bold'))
    print(f'Key:      {clean(entry.key)}')
    print(f'Status:   {style.status(response.status_code)}{reason}')
    print(f'Created:  {human_time(response.created_at)}')
    print(f'Expires:  {human_time(response.expires)}{expired}')
    print(f'Size:     {human_size(response.size)}')
    print('\nHeaders:')
    for name, value in response.header_pairs():
        print(f'  {style(clean(name), "cyan")}: {clean(value)}')
    print('\nBody:')
    print(body)
    return ExitCode.OK


def delete(cache: BaseCache, args: argparse.Namespace) -> int:
    """Delete expired, old, unreadable or URL-matching responses; print how many went."""
    keys: list[str] = []
    if args.url:
        keys = [entry.key for entry in Scan(cache, args.url, label='Reading')]
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
        where = clean(location(cache, args.backend))
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
    where = clean(location(cache, args.backend))
    if args.json:
        emit_json({'vacuumed': True, 'size_before': before, 'size_after': after})
    else:
        print(f'Vacuumed {where}: {human_size(before)} -> {human_size(after)}')
    return ExitCode.OK
