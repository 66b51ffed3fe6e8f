"""Range requests answered from the cache (RFC 9110 §14, RFC 9111 §3.3-3.4).

A stored complete (200) response answers a ``Range: bytes=...`` request with a 206 holding the
requested slice; a stored partial (206) response answers a range request it covers. Only single
byte ranges are cut; for anything else (several ranges, other units, a bad header) a complete
response is served whole, which RFC 9110 §14.2 allows ("A server MAY ignore the Range header
field"), and a partial one is not used. Bodies are stored decoded, so a response with a
``Content-Encoding`` (whose ranges count encoded bytes) is never cut, nor stored partial.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from .directives import HeaderSource, header_values, parse_http_date, parse_validators

__all__ = [
    'ByteRange',
    'ContentRange',
    'RangeAnswer',
    'if_range_holds',
    'parse_content_range',
    'parse_range',
    'partial_covers',
    'partial_refusal',
    'range_answer',
]

_RANGE = re.compile(r'bytes\s*=\s*([0-9]*)\s*-\s*([0-9]*)\s*', re.I)
_CONTENT_RANGE = re.compile(r'bytes ([0-9]+)-([0-9]+)/([0-9]+|\*)', re.I)


@dataclass(frozen=True)
class ByteRange:
    """One byte range of a ``Range`` header (RFC 9110 §14.1.2).

    ``first``-``last`` (``last`` None: to the end), or the last ``suffix`` bytes.
    """

    first: Optional[int] = None
    last: Optional[int] = None
    suffix: Optional[int] = None

    def span(self, length: int) -> Optional[tuple[int, int]]:
        """The inclusive positions this range selects in ``length`` bytes; None when it selects
        nothing (RFC 9110 §14.1.1: unsatisfiable)."""
        if self.suffix is not None:
            if self.suffix == 0 or length == 0:
                return None
            return max(0, length - self.suffix), length - 1
        assert self.first is not None
        if self.first >= length:
            return None
        last = length - 1 if self.last is None else min(self.last, length - 1)
        return self.first, last


@dataclass(frozen=True)
class ContentRange:
    """The ``Content-Range`` of a 206 response: inclusive positions and the complete length
    (None when the origin sent ``*``)."""

    first: int
    last: int
    complete_length: Optional[int]

    @property
    def size(self) -> int:
        """How many bytes the partial response holds."""
        return self.last - self.first + 1


@dataclass(frozen=True)
class RangeAnswer:
    """Serve ``body[start:stop]`` of the stored response as a 206 with this ``Content-Range``."""

    start: int
    stop: int
    content_range: str


def parse_range(value: Optional[str]) -> Optional[ByteRange]:
    """A ``Range`` header holding exactly one byte range, else None (other units, several
    ranges, bad syntax: RFC 9110 §14.2 lets a recipient ignore those)."""
    match = _RANGE.fullmatch(value.strip()) if value else None
    if match is None:
        return None
    first, last = match.groups()
    if not first:
        return ByteRange(suffix=int(last)) if last else None
    if last and int(last) < int(first):
        return None
    return ByteRange(first=int(first), last=int(last) if last else None)


def parse_content_range(value: Optional[str]) -> Optional[ContentRange]:
    """A ``Content-Range: bytes first-last/length`` value (RFC 9110 §14.4), else None."""
    match = _CONTENT_RANGE.fullmatch(value.strip()) if value else None
    if match is None:
        return None
    first, last, length = match.groups()
    complete = None if length == '*' else int(length)
    if int(last) < int(first) or (complete is not None and int(last) >= complete):
        return None
    return ContentRange(int(first), int(last), complete)


def if_range_holds(request_headers: HeaderSource, stored_headers: HeaderSource) -> bool:
    """Whether the request's ``If-Range`` (if any) matches the stored response (RFC 9110
    §13.1.5): an entity tag by strong comparison, a date by exact match with Last-Modified."""
    values = header_values(request_headers, 'If-Range')
    if not values:
        return True
    condition = values[0].strip()
    validators = parse_validators(stored_headers)
    if condition.startswith(('"', 'W/')):
        strong = not condition.startswith('W/') and validators.etag is not None
        return strong and validators.etag == condition
    if validators.last_modified is None or parse_http_date(condition) is None:
        return False
    return parse_http_date(condition) == parse_http_date(validators.last_modified)


def partial_refusal(response_headers: HeaderSource) -> str:
    """Why a 206 response cannot be stored, or an empty string (RFC 9111 §3.3)."""
    stored_range = _content_range(response_headers)
    if stored_range is None:
        return 'partial content without a single byte range in Content-Range is not stored'
    if _encoded(response_headers):
        return 'partial content with a Content-Encoding is not stored (bodies are kept decoded)'
    lengths = {v.strip() for v in header_values(response_headers, 'Content-Length')}
    if lengths and lengths != {str(stored_range.size)}:
        return 'partial content whose Content-Length disagrees with its Content-Range is not stored'
    return ''


def partial_covers(
    method: str, request_headers: HeaderSource, stored_headers: HeaderSource
) -> bool:
    """Whether a stored 206 response holds everything a request asks for."""
    return _partial_span(method, request_headers, stored_headers) is not None


def range_answer(
    method: str,
    request_headers: HeaderSource,
    status: int,
    stored_headers: HeaderSource,
    body_length: int,
) -> Optional[RangeAnswer]:
    """The slice of a stored response that answers a range request, or None to serve the stored
    response as it is (no ``Range``, a ``Range`` to ignore, or an ``If-Range`` that fails for a
    complete response, which then goes whole, RFC 9110 §13.1.5).

    Args:
        method: The request method; ranges apply to GET only (RFC 9110 §14.2).
        request_headers: The request headers.
        status: The stored status: 200 (complete) or 206 (partial).
        stored_headers: The stored response headers.
        body_length: The length of the stored (decoded) body.
    """
    if method.upper() != 'GET' or not header_values(request_headers, 'Range'):
        return None
    if status == 206:
        found = _partial_span(method, request_headers, stored_headers)
        if found is None:
            return None
        (first, last), stored = found
        if stored.size != body_length:
            return None  # a body that disagrees with its Content-Range: never cut it
        total = '*' if stored.complete_length is None else str(stored.complete_length)
        offset = stored.first
        return RangeAnswer(first - offset, last - offset + 1, f'bytes {first}-{last}/{total}')
    if status != 200 or _encoded(stored_headers):
        return None
    if not if_range_holds(request_headers, stored_headers):
        return None
    requested = parse_range(header_values(request_headers, 'Range')[0])
    span = requested.span(body_length) if requested else None
    if span is None:
        return None
    first, last = span
    return RangeAnswer(first, last + 1, f'bytes {first}-{last}/{body_length}')


def _partial_span(
    method: str, request_headers: HeaderSource, stored_headers: HeaderSource
) -> Optional[tuple[tuple[int, int], ContentRange]]:
    """The requested span and the stored range, when a stored 206 covers the request."""
    ranges = header_values(request_headers, 'Range')
    if method.upper() != 'GET' or len(ranges) != 1:
        return None
    requested, stored = parse_range(ranges[0]), _content_range(stored_headers)
    if requested is None or stored is None:
        return None
    if not if_range_holds(request_headers, stored_headers):
        return None
    span = _span_within(requested, stored)
    if span is None or span[0] < stored.first or span[1] > stored.last:
        return None
    return span, stored


def _span_within(requested: ByteRange, stored: ContentRange) -> Optional[tuple[int, int]]:
    if stored.complete_length is not None:
        return requested.span(stored.complete_length)
    # Without the complete length only a closed first-last range can be placed.
    if requested.first is None or requested.last is None:
        return None
    return requested.first, requested.last


def _content_range(headers: HeaderSource) -> Optional[ContentRange]:
    values = header_values(headers, 'Content-Range')
    return parse_content_range(values[0]) if len(values) == 1 else None


def _encoded(headers: HeaderSource) -> bool:
    codings = {
        coding.strip().lower()
        for line in header_values(headers, 'Content-Encoding')
        for coding in line.split(',')
    }
    return bool(codings - {'', 'identity'})
