"""The ``requests-cache`` command: inspect and manage a cache from a shell.

Run ``requests-cache --help`` (or ``python -m requests_cache --help``) for commands and examples.
Exit codes: 0 success, 1 nothing found, 2 usage error, 3 storage, backend or network error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Callable, Optional

import requests

from ..backends import BaseCache
from ..errors import ConfigurationError, MissingDependencyError, StorageError
from . import commands
from .backend import choose_cache, open_cache
from .explain import explain, explain_fetched
from .har import export_har
from .info import info
from .listing import list_
from .migrate import migrate
from .output import ExitCode, error_summary, warn
from .parser import DEFAULT_CACHE, GLOBAL_DEFAULTS, build_parser
from .stats import stats

__all__ = ['ExitCode', 'main']

Command = Callable[[BaseCache, argparse.Namespace], int]

COMMANDS: dict[str, Command] = {
    'info': info,
    'list': list_,
    'show': commands.show,
    'delete': commands.delete,
    'clear': commands.clear,
    'vacuum': commands.vacuum,
    'stats': stats,
    'explain': explain,
    'export': export_har,
    'migrate': migrate,
}


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit code (the console script exits with it).

    Args:
        argv: Arguments without the program name (default: ``sys.argv[1:]``).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        choose_cache(args, DEFAULT_CACHE)
    except ValueError as exc:
        parser.error(str(exc))
    for name, default in GLOBAL_DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, default)
    if args.command == 'delete' and not _has_criteria(args):
        # Deleting everything is `clear`, which asks first; an empty delete is a mistake.
        parser.error('delete needs at least one of --expired, --older-than, --invalid, --url')
    try:
        return _run(args)
    except (StorageError, MissingDependencyError) as exc:
        warn(error_summary(exc))
        return ExitCode.ERROR
    except requests.RequestException as exc:
        warn(f'network error: {error_summary(exc)}')
        return ExitCode.ERROR
    except BrokenPipeError:
        # The reader went away (`requests-cache list | head`): not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.OK
    except OSError as exc:  # e.g. export --har into a directory that does not exist
        warn(error_summary(exc))
        return ExitCode.ERROR
    except ConfigurationError as exc:
        warn(error_summary(exc))
        return ExitCode.USAGE
    except KeyboardInterrupt:
        return 130  # the shell's convention for SIGINT


def _has_criteria(args: argparse.Namespace) -> bool:
    return bool(args.expired or args.invalid or args.url or args.older_than is not None)


def _run(args: argparse.Namespace) -> int:
    command = COMMANDS[args.command]
    if args.command == 'explain' and args.fetch:
        # Judging a fresh answer from the origin needs no cache at all.
        return explain_fetched(args)
    cache = open_cache(args, create=args.command == 'migrate')
    try:
        return command(cache, args)
    finally:
        cache.close()
