"""What reaches a terminal: stored values with control characters escaped, colour, a progress bar.

Everything printed from a cache came from an origin server or from whoever can write to the
storage, so it is escaped before it is printed (issue 15, item 8): an ESC or OSC sequence in a
stored header could otherwise retitle the window, clear the screen or write to the clipboard
(OSC 52). Only our own colour codes are ever written raw, and only to a terminal.

JSON output needs nothing more: ``json.dumps`` (with ``ensure_ascii``, its default) escapes every
control character, DEL and everything beyond ASCII.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any, Optional, TextIO, TypeVar

__all__ = ['Progress', 'Style', 'clean', 'clean_text', 'progress']

T = TypeVar('T')

#: Seconds between two redraws of the progress bar.
_REDRAW_SECONDS = 0.1
_BAR_WIDTH = 24


def clean(value: Any) -> str:
    """One line of text for a terminal: every character that is not printable is escaped.

    Escaped: C0 and C1 controls (ESC, BEL, CR, LF...), DEL, and the invisible format characters
    (bidi overrides and isolates, zero-width characters), as ``\\x1b`` or ``\\u202e``.
    """
    text = value if isinstance(value, str) else str(value)
    if text.isprintable():  # the common case, checked in C
        return text
    return ''.join(c if c.isprintable() else _escape(c) for c in text)


def clean_text(text: str) -> str:
    """Like `clean`, for multi-line text (a body): newlines and tabs are kept."""
    lines = text.split('\n')
    return '\n'.join(line if line.isprintable() else _clean_line(line) for line in lines)


def _clean_line(line: str) -> str:
    return ''.join(c if c.isprintable() or c == '\t' else _escape(c) for c in line)


def _escape(char: str) -> str:
    # repr() spells every non-printable character as \xNN, \uNNNN or \UNNNNNNNN.
    return repr(char)[1:-1]


class Style:
    """Colour for one output stream: on only for a terminal, and never with ``NO_COLOR`` set.

    See https://no-color.org: any non-empty ``NO_COLOR`` turns colour off; so does
    ``TERM=dumb``.
    """

    _CODES = {'bold': '1', 'dim': '2', 'red': '31', 'green': '32', 'yellow': '33', 'cyan': '36'}

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    @classmethod
    def for_stream(cls, stream: TextIO) -> Style:
        """The style for ``stream``: coloured only if it is a terminal that wants colour."""
        return cls(_isatty(stream) and _colour_allowed())

    def __call__(self, text: str, style: str) -> str:
        """``text`` in ``style`` (a name of `_CODES`), or unchanged without colour."""
        if not self.enabled or not style:
            return text
        return f'\x1b[{self._CODES[style]}m{text}\x1b[0m'

    def status(self, code: int) -> str:
        """A status code, coloured by its class: 2xx green, 3xx cyan, 4xx and 5xx red."""
        style = {2: 'green', 3: 'cyan', 4: 'red', 5: 'red'}.get(code // 100, '')
        return self(str(code), style)


def _colour_allowed() -> bool:
    return not os.environ.get('NO_COLOR') and os.environ.get('TERM') != 'dumb'


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


class Progress:
    """A progress bar on stderr, drawn only when stderr is a terminal.

    Scripts that capture stderr never see it, and it is erased before anything else is printed.

    Args:
        label: What is being done ("Exporting").
        total: How many items are expected; the bar never claims more than 100%.
        stream: Where to draw (default: ``sys.stderr``).
    """

    def __init__(self, label: str, total: int, stream: Optional[TextIO] = None) -> None:
        self.stream = stream or sys.stderr
        self.label = label
        self.total = max(total, 0)
        self.count = 0
        self.enabled = _isatty(self.stream)
        self._drawn_at = 0.0
        self._width = 0

    def advance(self, count: int = 1) -> None:
        """Count ``count`` more items; redraw at most every 0.1 s."""
        self.count += count
        if self.enabled:
            now = time.monotonic()
            if now - self._drawn_at >= _REDRAW_SECONDS or self.count == self.total:
                self._drawn_at = now
                self._draw()

    def _draw(self) -> None:
        total = max(self.total, self.count)
        done = self.count / total if total else 1.0
        filled = int(done * _BAR_WIDTH)
        bar = '#' * filled + '.' * (_BAR_WIDTH - filled)
        line = f'{self.label} [{bar}] {self.count}/{total} {done:4.0%}'
        self._width = max(self._width, len(line))
        self.stream.write('\r' + line)
        self.stream.flush()

    def close(self) -> None:
        """Erase the bar, so the next line starts clean."""
        if self.enabled and self._width:
            self.stream.write('\r' + ' ' * self._width + '\r')
            self.stream.flush()
            self._width = 0


def progress(items: Iterable[T], total: int, label: str) -> Iterator[T]:
    """Yield ``items`` while a `Progress` bar counts them on a terminal's stderr."""
    bar = Progress(label, total)
    try:
        for item in items:
            bar.advance()
            yield item
    finally:
        bar.close()
