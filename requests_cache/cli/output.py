"""Small helpers that print for people or for scripts (``--json``)."""

from __future__ import annotations

import json
import re
import sys
from datetime import datetime, timezone
from enum import IntEnum
from typing import Any, Optional

from ._terminal import Style, clean, clean_text

__all__ = [
    'ExitCode',
    'emit_json',
    'error_summary',
    'human_size',
    'human_time',
    'printable',
    'warn',
]

#: The longest error message printed; the rest of a driver's message is left out.
MAX_ERROR_LENGTH = 300
# pymongo appends its whole topology description (600 characters and more) to a server selection
# timeout, and the timeouts it was configured with to every connection error.
_MONGO_TOPOLOGY = re.compile(r',? Topology Description: .*', re.DOTALL)
_MONGO_TIMEOUTS = re.compile(r' \(configured timeouts: [^)]*\)')
_MONGO_TIMEOUT = re.compile(r', Timeout: ([\d.]+s)$')


class ExitCode(IntEnum):
    """The exit codes scripts can rely on; ``--help`` and docs/cli.md document them."""

    OK = 0
    NOT_FOUND = 1  # show/explain of an unknown URL, a filter without a match, nothing to export
    USAGE = 2  # argparse's own code for a bad command line
    ERROR = 3  # storage, backend or network failure


def emit_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout, every non-ASCII or control character escaped."""
    print(json.dumps(data, indent=2, sort_keys=False, default=str))


def warn(message: str) -> None:
    """Print a one-line message on stderr, prefixed with the program name (escaped)."""
    prefix = Style.for_stream(sys.stderr)('requests-cache:', 'red')
    print(f'{prefix} {clean(message)}', file=sys.stderr)


def error_summary(exc: BaseException) -> str:
    """An exception's message on one line of at most `MAX_ERROR_LENGTH` characters."""
    message = _MONGO_TOPOLOGY.sub('', str(exc))
    message = _MONGO_TIMEOUTS.sub('', message)
    message = _MONGO_TIMEOUT.sub(r' (gave up after \1)', message)
    lines = message.strip().splitlines()
    first = lines[0] if lines else type(exc).__name__
    if len(first) > MAX_ERROR_LENGTH:
        first = first[: MAX_ERROR_LENGTH - 3] + '...'
    return first


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
    """A UTC timestamp to the second, labelled ``UTC``; ``never`` for None."""
    if value is None:
        return never
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return value.strftime('%Y-%m-%d %H:%M:%S UTC')


def printable(body: bytes, limit: Optional[int]) -> str:
    """Decode a body for a terminal: invalid bytes and control characters become escapes."""
    text = clean_text(body[:limit].decode('utf-8', 'backslashreplace'))
    if limit is not None and len(body) > limit:
        text += f'\n... ({len(body) - limit} more bytes; use --body to see all)'
    return text
