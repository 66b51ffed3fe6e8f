"""Small helpers that print for people or for scripts (``--json``)."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from enum import IntEnum
from typing import Any, Optional

__all__ = ['ExitCode', 'emit_json', 'human_size', 'human_time', 'printable', 'warn']


class ExitCode(IntEnum):
    """The exit codes scripts can rely on; ``--help`` and docs/cli.md document them."""

    OK = 0
    NOT_FOUND = 1  # show/explain of an unknown URL, a filter without a match, nothing to export
    USAGE = 2  # argparse's own code for a bad command line
    ERROR = 3  # storage, backend or network failure


def emit_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout."""
    print(json.dumps(data, indent=2, sort_keys=False, default=str))


def warn(message: str) -> None:
    """Print a one-line message on stderr, prefixed with the program name."""
    print(f'requests-cache: {message}', file=sys.stderr)


def human_size(size: Optional[int]) -> str:
    """``1536`` -> ``'1.5 KiB'``; None (not measurable) -> ``'-'``."""
    if size is None:
        return '-'
    value = float(size)
    for unit in ('B', 'KiB', 'MiB', 'GiB'):
        if value < 1024 or unit == 'GiB':
            return f'{int(value)} {unit}' if unit == 'B' else f'{value:.1f} {unit}'
        value /= 1024
    raise AssertionError('unreachable')  # pragma: no cover


def human_time(value: Optional[datetime], never: str = 'never') -> str:
    """A UTC timestamp to the second, or ``never`` for None."""
    if value is None:
        return never
    return value.strftime('%Y-%m-%d %H:%M:%S')


def printable(body: bytes, limit: Optional[int]) -> str:
    """Decode a body for a terminal: invalid bytes and control characters become escapes."""
    text = body[:limit].decode('utf-8', 'backslashreplace')
    cleaned = ''.join(c if c.isprintable() or c in '\n\t' else repr(c)[1:-1] for c in text)
    if limit is not None and len(body) > limit:
        cleaned += f'\n... ({len(body) - limit} more bytes; use --body to see all)'
    return cleaned
