"""The argument parser: global options, one subcommand per task, and help with examples."""

from __future__ import annotations

import argparse
from typing import Any

from .. import __version__
from ..backends import BACKEND_CLASSES
from ..policy import ExpireAfter
from .entries import parse_age, parse_expire_after_text
from .stats import HELP as STATS_HELP

__all__ = ['DEFAULT_CACHE', 'GLOBAL_DEFAULTS', 'build_parser']

EXAMPLES = """\
examples:
  requests-cache info                          summary of ./http_cache.sqlite
  requests-cache info demo_cache.sqlite        the same for another file
  requests-cache list ~/.cache/app             a filesystem cache: its directory
  requests-cache list --url '*/api/*' --sort size
  requests-cache list --expired --json         expired entries, for a script
  requests-cache show https://example.com/     headers, expiry and a body preview
  requests-cache delete --expired --older-than 2d
  requests-cache clear --yes && requests-cache vacuum
  requests-cache explain https://example.com/ --fetch --cache-control
  requests-cache stats                         hits, misses, hit ratio of every process
  requests-cache export --har cache.har        open it in the browser's network tab
  requests-cache -c new_cache migrate old_cache.sqlite --trust-pickle
  requests-cache --backend redis --connection-url redis://127.0.0.1:6379/0 -c my_app info

exit codes:
  0  success
  1  nothing found (unknown URL for show/explain, no match for a filter, nothing to export)
  2  usage error (bad option or value)
  3  storage, backend or network error (missing cache, unreachable server, missing extra)
"""

#: The cache a command works on when none is named: ./http_cache.sqlite.
DEFAULT_CACHE = 'http_cache'
#: Global options may go before or after the command; these are their defaults (the cache and
#: the backend are chosen by `requests_cache.cli.backend.choose_cache`).
GLOBAL_DEFAULTS: dict[str, Any] = {
    'connection_url': None,
    'serializer': None,
    'timeout': 5.0,
    'json': False,
}


def build_parser() -> argparse.ArgumentParser:
    """The ``requests-cache`` parser; global options are accepted before or after a command."""
    parser = argparse.ArgumentParser(
        prog='requests-cache',
        description='Inspect and manage a requests-cache cache.',
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[_global_options()],
    )
    parser.add_argument('--version', action='version', version=f'%(prog)s {__version__}')
    commands = parser.add_subparsers(dest='command', metavar='COMMAND', required=True)

    info_cmd = _command(commands, 'info', 'summary: location, entries, size, expired')
    info_cmd.add_argument(
        '--scan',
        action='store_true',
        help='also read every entry: unreadable ones, oldest, newest, body bytes',
    )

    list_cmd = _command(commands, 'list', 'stored URLs with status, size, expiry')
    _url_filter(list_cmd)
    list_cmd.add_argument('--expired', action='store_true', help='only expired responses')
    list_cmd.add_argument(
        '--sort',
        choices=['url', 'created', 'expires', 'size'],
        help='sort order (reads every entry first); default: as stored, printed as read',
    )
    list_cmd.add_argument('--reverse', action='store_true', help='reverse the sort order')

    show_cmd = _command(commands, 'show', 'one response: headers, expiry, body')
    show_cmd.add_argument('target', metavar='URL|KEY', help='a GET URL or a cache key')
    show_cmd.add_argument('--body', action='store_true', help='the whole body, not 500 bytes')

    delete_cmd = _command(commands, 'delete', 'delete responses by criteria')
    delete_cmd.add_argument('--expired', action='store_true', help='expired responses')
    delete_cmd.add_argument(
        '--older-than', type=_age, metavar='AGE', help='created before AGE ago: 3600, 1h, 2d, 1w'
    )
    delete_cmd.add_argument('--invalid', action='store_true', help='entries that cannot be read')
    _url_filter(delete_cmd)

    clear_cmd = _command(commands, 'clear', 'delete everything')
    clear_cmd.add_argument('-y', '--yes', action='store_true', help='do not ask for confirmation')

    _command(commands, 'vacuum', 'shrink the SQLite file after deletes')

    stats_cmd = _command(commands, 'stats', 'hit/miss statistics of every process', STATS_HELP)
    stats_cmd.add_argument(
        '--reset', action='store_true', help='print the totals, then delete every record'
    )

    explain_cmd = _command(commands, 'explain', 'would a URL be cached, and why')
    explain_cmd.add_argument('url', metavar='URL')
    explain_cmd.add_argument(
        '--fetch', action='store_true', help='GET the URL now (not stored) and judge the answer'
    )
    explain_cmd.add_argument(
        '--cache-control', action='store_true', help='honour Cache-Control (cache_control=True)'
    )
    explain_cmd.add_argument(
        '--expire-after',
        type=_expire_after,
        metavar='AGE',
        help='session expire_after: 3600, 1h, never, do-not-cache',
    )

    migrate_cmd = _command(
        commands,
        'migrate',
        'copy a requests-cache 1.x cache into this one (given with -c)',
        cache_argument=False,
    )
    migrate_cmd.add_argument(
        'source', metavar='SOURCE', help='the 1.x SQLite file, or its filesystem cache directory'
    )
    migrate_cmd.add_argument(
        '--trust-pickle',
        action='store_true',
        help='allow unpickling the source: 1.x SQLite caches store pickles, and unpickling runs '
        'any code the data names, so pass this only for a file nobody else could have written',
    )

    export_cmd = _command(commands, 'export', 'write stored responses as HAR 1.2')
    export_cmd.add_argument('--har', required=True, metavar='FILE', help='output file, - = stdout')
    _url_filter(export_cmd)
    return parser


def _command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    summary: str,
    description: str = '',
    cache_argument: bool = True,
) -> argparse.ArgumentParser:
    command = commands.add_parser(
        name,
        help=summary,
        description=description or summary[0].upper() + summary[1:] + '.',
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[_global_options()],
    )
    if cache_argument:
        # Optional and first, so `show URL` and `show CACHE URL` both parse.
        command.add_argument(
            'cache_path',
            nargs='?',
            metavar='CACHE',
            help='the cache, as -c takes it: a SQLite file, or a filesystem cache directory',
        )
    return command


def _global_options() -> argparse.ArgumentParser:
    # SUPPRESS keeps a subcommand's unset option from overwriting one given before the command.
    options = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    group = options.add_argument_group('cache selection and output')
    group.add_argument(
        '-b',
        '--backend',
        choices=sorted(set(BACKEND_CLASSES) - {'memory'}),
        help='storage backend (default: filesystem for a directory, else sqlite)',
    )
    group.add_argument(
        '-c',
        '--cache',
        metavar='NAME',
        help='cache name: a path for sqlite/filesystem, a namespace or table otherwise '
        '(default: http_cache)',
    )
    group.add_argument(
        '--connection-url',
        '--redis-url',
        metavar='URL',
        dest='connection_url',
        help='server URL for redis (redis://host:6379/0), mongodb/gridfs, or a dynamodb endpoint',
    )
    group.add_argument('--serializer', metavar='NAME', help='serializer the cache was written with')
    group.add_argument(
        '--timeout', type=float, metavar='SECONDS', help='network timeout (default: 5)'
    )
    group.add_argument('--json', action='store_true', help='machine-readable JSON on stdout')
    return options


def _url_filter(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--url', metavar='GLOB', help="only URLs matching a glob: '*/api/*'")


def _age(text: str) -> float:
    try:
        return parse_age(text).total_seconds()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _expire_after(text: str) -> ExpireAfter:
    try:
        return parse_expire_after_text(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f'{exc}, never, do-not-cache') from None
