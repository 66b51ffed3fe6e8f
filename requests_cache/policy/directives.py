"""Parse caching headers once, at the edge, into frozen values.

Nothing here raises on any input: a malformed header is read the way RFC 9111 says a cache should
read it (usually "stale"), never as an exception.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional, Union

__all__ = [
    'MAX_DELTA_SECONDS',
    'CacheDirectives',
    'HeaderSource',
    'Validators',
    'header_values',
    'list_members',
    'parse_age',
    'parse_cache_control',
    'parse_http_date',
    'parse_validators',
]

#: RFC 9111 §1.2.2: a delta-seconds value too large to represent is taken as 2^31.
MAX_DELTA_SECONDS = 2**31

#: A header mapping, or a list of (name, value) pairs that may repeat a name.
HeaderSource = Union[Mapping[str, str], Iterable[tuple[str, str]]]

_DIRECTIVE = re.compile(
    r'\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^,\s]*))?\s*(?:,|$)'
)
_DIGITS = re.compile(r'[0-9]+')


def header_values(headers: HeaderSource, name: str) -> list[str]:
    """Return every value of header ``name`` (case-insensitive), one per field line."""
    lower = name.lower()
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [str(value) for key, value in items if key.lower() == lower]


@dataclass(frozen=True)
class CacheDirectives:
    """Cache-Control directives (RFC 9111 §5.2), plus ``Pragma: no-cache`` for requests.

    Delta-seconds directives are None when absent. A directive present with an invalid value
    reads as 0 for ``max-age`` (RFC 9111 §4.2.1: "consider ... invalid freshness information ...
    to be stale") and is ignored for the others. ``max_stale`` is ``float('inf')`` for a bare
    ``max-stale``, which accepts any staleness.
    """

    max_age: Optional[int] = None
    s_maxage: Optional[int] = None
    max_stale: Optional[float] = None
    min_fresh: Optional[int] = None
    stale_while_revalidate: Optional[int] = None
    stale_if_error: Optional[int] = None
    no_cache: bool = False
    no_store: bool = False
    no_transform: bool = False
    must_revalidate: bool = False
    proxy_revalidate: bool = False
    must_understand: bool = False
    private: bool = False
    public: bool = False
    immutable: bool = False
    only_if_cached: bool = False
    #: True when there was no Cache-Control field at all (for the Pragma fallback).
    absent: bool = True


_FLAGS = {
    'no-cache': 'no_cache',
    'no-store': 'no_store',
    'no-transform': 'no_transform',
    'must-revalidate': 'must_revalidate',
    'proxy-revalidate': 'proxy_revalidate',
    'must-understand': 'must_understand',
    'private': 'private',
    'public': 'public',
    'immutable': 'immutable',
    'only-if-cached': 'only_if_cached',
}
_DELTAS = {
    'max-age': 'max_age',
    's-maxage': 's_maxage',
    'max-stale': 'max_stale',
    'min-fresh': 'min_fresh',
    'stale-while-revalidate': 'stale_while_revalidate',
    'stale-if-error': 'stale_if_error',
}


def parse_cache_control(headers: HeaderSource, is_request: bool = False) -> CacheDirectives:
    """Parse every Cache-Control field line in ``headers`` into one `CacheDirectives`.

    Args:
        headers: Response or request headers.
        is_request: Honour ``Pragma: no-cache`` when there is no Cache-Control (RFC 9111 §5.4).
    """
    lines = header_values(headers, 'Cache-Control')
    values: dict[str, object] = {}
    for name, raw in _iter_directives(','.join(lines)):
        if name in _FLAGS:
            values[_FLAGS[name]] = True
        elif name in _DELTAS:
            field = _DELTAS[name]
            _merge_delta(values, field, _parse_delta(name, raw))
    if not lines and is_request:
        pragma = ','.join(header_values(headers, 'Pragma')).lower()
        values['no_cache'] = 'no-cache' in (p.strip() for p in pragma.split(','))
    for field in list(values):
        if values[field] is _INVALID:
            # A bad max-age makes the response stale; other bad deltas are ignored.
            values[field] = 0 if field == 'max_age' else None
    return CacheDirectives(absent=not lines, **values)  # type: ignore[arg-type]


_INVALID = object()


def _merge_delta(values: dict[str, object], field: str, parsed: object) -> None:
    # RFC 9111 §4.2.1: with duplicate directives "either the first occurrence should be used or
    # the response should be considered stale"; conflicting duplicates are the stale case.
    if field in values and values[field] != parsed:
        values[field] = _INVALID
    else:
        values.setdefault(field, parsed)


def _parse_delta(name: str, raw: Optional[str]) -> object:
    if raw is None:
        return float('inf') if name == 'max-stale' else _INVALID
    raw = raw[1:-1] if len(raw) >= 2 and raw[0] == raw[-1] == '"' else raw
    if not _DIGITS.fullmatch(raw):
        return _INVALID
    return _delta_seconds(raw)


def _delta_seconds(digits: str) -> int:
    # RFC 9111 §1.2.2: cap at 2^31. Checking the length first keeps int() away from Python's
    # limit on digit-string length (a ValueError past 4300 digits since 3.11).
    digits = digits.lstrip('0') or '0'
    return MAX_DELTA_SECONDS if len(digits) > 10 else min(int(digits), MAX_DELTA_SECONDS)


def _iter_directives(value: str) -> Iterable[tuple[str, Optional[str]]]:
    for part in _split_outside_quotes(value):
        match = _DIRECTIVE.fullmatch(part + ',') if part.strip() else None
        if match:
            yield match.group(1).lower(), match.group(2)


def list_members(value: str) -> list[str]:
    """The members of a list-based field value (RFC 9110 §5.6.1): split on commas outside quoted
    strings, surrounding whitespace stripped, empty members dropped."""
    return [member.strip() for member in _split_outside_quotes(value) if member.strip()]


def _split_outside_quotes(value: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif char == '\\' and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == ',' and not quoted:
            parts.append(''.join(current))
            current = []
            continue
        current.append(char)
    parts.append(''.join(current))
    return parts


def parse_age(headers: HeaderSource) -> Optional[int]:
    """The ``Age`` header in seconds, or None when absent or invalid (RFC 9111 §5.1).

    A list-based value (``Age: 7200, 0``, or several ``Age`` lines) counts by its first member;
    the rest is discarded, as §5.1 asks. A cache "SHOULD ignore" an invalid Age, so a negative,
    fractional or decorated first member reads as None.
    """
    lines = header_values(headers, 'Age')
    if not lines:
        return None
    first = lines[0].split(',', 1)[0].strip()
    return _delta_seconds(first) if _DIGITS.fullmatch(first) else None


_MONTHS = {
    m: i
    for i, m in enumerate(
        ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'], 1
    )
}
_DAY = r'(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)'
_LONG_DAY = r'(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)'
_MONTH = r'(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)'
_TIME = r'([0-9]{2}):([0-9]{2}):([0-9]{2})'
# RFC 9111 §4.2: HTTP-dates are case-sensitive, but a cache recipient should match their names
# case-insensitively (an Expires of "THU, 18 AUG 2050 02:01:18 gmt" is still a date).
_IMF_FIXDATE = re.compile(rf'{_DAY}, ([0-9]{{2}}) {_MONTH} ([0-9]{{4}}) {_TIME} GMT', re.I)
_RFC850 = re.compile(rf'{_LONG_DAY}, ([0-9]{{2}})-{_MONTH}-([0-9]{{2}}) {_TIME} GMT', re.I)
_ASCTIME = re.compile(rf'{_DAY} {_MONTH} ([0-9 ][0-9]) {_TIME} ([0-9]{{4}})', re.I)


def parse_http_date(value: Optional[str], now: Optional[datetime] = None) -> Optional[datetime]:
    """Parse an HTTP-date (RFC 9110 §5.6.7) strictly into an aware UTC datetime, else None.

    Accepts the IMF-fixdate, RFC 850 and asctime formats exactly, except that names are matched
    in any letter case (RFC 9111 §4.2); anything else (other zones, two-digit years outside
    RFC 850, missing commas, extra spaces...) is None.

    Args:
        value: The header value.
        now: The current time, to place an RFC 850 two-digit year in the right century
            (RFC 9110 §5.6.7: more than 50 years ahead means the past century).
    """
    if not value:
        return None
    try:
        if match := _IMF_FIXDATE.fullmatch(value):
            day, month, year, hh, mm, ss = match.groups()
            return _datetime(int(year), month, day, hh, mm, ss)
        if match := _RFC850.fullmatch(value):
            day, month, yy, hh, mm, ss = match.groups()
            return _datetime(_full_year(int(yy), now), month, day, hh, mm, ss)
        if match := _ASCTIME.fullmatch(value):
            month, day, hh, mm, ss, year = match.groups()
            return _datetime(int(year), month, day.strip(), hh, mm, ss)
    except ValueError:  # e.g. 31 Feb or hour 25
        return None
    return None


def _datetime(year: int, month: str, day: str, hh: str, mm: str, ss: str) -> datetime:
    month_number = _MONTHS[month.capitalize()]
    return datetime(year, month_number, int(day), int(hh), int(mm), int(ss), tzinfo=timezone.utc)


def _full_year(two_digits: int, now: Optional[datetime]) -> int:
    current = (now or datetime(2000, 1, 1, tzinfo=timezone.utc)).year
    year = current - current % 100 + two_digits
    return year - 100 if year > current + 50 else year


@dataclass(frozen=True)
class Validators:
    """The validators of a stored response (RFC 9110 §8.8)."""

    etag: Optional[str] = None
    last_modified: Optional[str] = None

    def __bool__(self) -> bool:
        return bool(self.etag or self.last_modified)


def parse_validators(headers: HeaderSource) -> Validators:
    """Read ``ETag`` and ``Last-Modified`` from response headers."""
    etags = header_values(headers, 'ETag')
    modified = header_values(headers, 'Last-Modified')
    return Validators(
        etags[0].strip() if etags else None, modified[0].strip() if modified else None
    )


# requests-cache 1.x helper, importable from here as in 1.x (defined in _directives_1x).
from ._directives_1x import set_request_headers as set_request_headers  # noqa: E402
