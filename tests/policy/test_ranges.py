"""Range requests answered from stored complete and partial responses (RFC 9110 §14, §13.1.5)."""

from __future__ import annotations

from typing import Any, Optional

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from requests_cache.policy.ranges import (
    ByteRange,
    ContentRange,
    RangeAnswer,
    if_range_holds,
    parse_content_range,
    parse_range,
    partial_covers,
    range_answer,
)

LAST_MODIFIED = 'Mon, 01 Jan 2024 08:00:00 GMT'
STORED = {'ETag': '"v1"', 'Last-Modified': LAST_MODIFIED}


@pytest.mark.parametrize(
    ('value', 'expected'),
    [
        ('bytes=0-1', ByteRange(first=0, last=1)),
        ('bytes=1-', ByteRange(first=1)),
        ('bytes=-5', ByteRange(suffix=5)),
        ('BYTES = 2 - 3 ', ByteRange(first=2, last=3)),
        ('bytes=0-0', ByteRange(first=0, last=0)),
        # Anything else is ignored: several ranges, other units, bad syntax.
        ('bytes=0-1, 3-4', None),
        ('items=0-1', None),
        ('bytes=1-0', None),
        ('bytes=-', None),
        ('bytes=', None),
        ('bytes=a-b', None),
        ('', None),
        (None, None),
    ],
)
def test_parse_range(value: Optional[str], expected: Optional[ByteRange]) -> None:
    """Only one byte range is read from a Range header; anything else is None."""
    assert parse_range(value) == expected


@pytest.mark.parametrize(
    ('byte_range', 'length', 'span'),
    [
        (ByteRange(first=0, last=1), 11, (0, 1)),
        (ByteRange(first=1), 11, (1, 10)),
        (ByteRange(suffix=1), 11, (10, 10)),
        (ByteRange(suffix=50), 11, (0, 10)),
        (ByteRange(first=5, last=50), 11, (5, 10)),
        # RFC 9110 §14.1.1: a first position past the end, or an empty suffix, is unsatisfiable.
        (ByteRange(first=11), 11, None),
        (ByteRange(suffix=0), 11, None),
        (ByteRange(suffix=3), 0, None),
    ],
)
def test_span(byte_range: ByteRange, length: int, span: Optional[tuple[int, int]]) -> None:
    """A range selects inclusive positions within a representation of a given length."""
    assert byte_range.span(length) == span


@given(
    first=st.integers(0, 100),
    last=st.one_of(st.none(), st.integers(0, 100)),
    length=st.integers(0, 100),
)
def test_span_stays_within_the_body(first: int, last: Optional[int], length: int) -> None:
    """Whatever the range, a span is never empty, reversed, or outside the body."""
    assume(last is None or last >= first)
    span = ByteRange(first=first, last=last).span(length)
    if span is not None:
        assert 0 <= span[0] <= span[1] < length


@pytest.mark.parametrize(
    ('value', 'expected'),
    [
        ('bytes 4-9/10', ContentRange(4, 9, 10)),
        ('bytes 0-4/*', ContentRange(0, 4, None)),
        ('Bytes 0-0/1', ContentRange(0, 0, 1)),
        ('bytes 4-9/9', None),
        ('bytes 9-4/10', None),
        ('bytes */10', None),
        ('bytes 0-4', None),
        ('', None),
    ],
)
def test_parse_content_range(value: str, expected: Optional[ContentRange]) -> None:
    """Content-Range holds one satisfied byte range and the complete length, or *."""
    assert parse_content_range(value) == expected


@pytest.mark.parametrize(
    ('if_range', 'stored', 'holds'),
    [
        (None, STORED, True),
        ('"v1"', STORED, True),
        ('"v2"', STORED, False),
        # RFC 9110 §13.1.5: entity tags compare strongly; a weak tag never matches.
        ('W/"v1"', STORED, False),
        ('"v1"', {'ETag': 'W/"v1"'}, False),
        ('"v1"', {}, False),
        (LAST_MODIFIED, STORED, True),
        ('Mon, 01 Jan 2024 09:00:00 GMT', STORED, False),
        (LAST_MODIFIED, {'ETag': '"v1"'}, False),
        ('not a date', STORED, False),
    ],
)
def test_if_range_holds(if_range: Optional[str], stored: dict[str, str], holds: bool) -> None:
    """If-Range holds for the same strong ETag, or exactly the stored Last-Modified."""
    request = {} if if_range is None else {'If-Range': if_range}
    assert if_range_holds(request, stored) is holds


COMPLETE_BODY = 11  # b'01234567890'


@pytest.mark.parametrize(
    ('request_headers', 'stored_headers', 'expected'),
    [
        ({'Range': 'bytes=0-1'}, {}, RangeAnswer(0, 2, 'bytes 0-1/11')),
        ({'Range': 'bytes=1-'}, {}, RangeAnswer(1, 11, 'bytes 1-10/11')),
        ({'Range': 'bytes=-1'}, {}, RangeAnswer(10, 11, 'bytes 10-10/11')),
        ({'Range': 'bytes=5-500'}, {}, RangeAnswer(5, 11, 'bytes 5-10/11')),
        ({'Range': 'bytes=0-1', 'If-Range': '"v1"'}, STORED, RangeAnswer(0, 2, 'bytes 0-1/11')),
        # Served whole: no Range, a Range to ignore, a failed If-Range, an encoded body.
        ({}, {}, None),
        ({'Range': 'bytes=0-1,4-5'}, {}, None),
        ({'Range': 'bytes=20-'}, {}, None),
        ({'Range': 'lines=1-2'}, {}, None),
        ({'Range': 'bytes=0-1', 'If-Range': '"v0"'}, STORED, None),
        ({'Range': 'bytes=0-1'}, {'Content-Encoding': 'gzip'}, None),
    ],
)
def test_range_answer_from_a_complete_response(
    request_headers: dict[str, str], stored_headers: dict[str, str], expected: Any
) -> None:
    """A stored 200 answers a satisfiable single range with its slice, else goes whole."""
    answer = range_answer('GET', request_headers, 200, stored_headers, COMPLETE_BODY)
    assert answer == expected


def test_range_answer_is_for_get_only() -> None:
    """RFC 9110 §14.2: Range is defined for GET; a HEAD gets the stored response as it is."""
    assert range_answer('HEAD', {'Range': 'bytes=0-1'}, 200, {}, COMPLETE_BODY) is None


PARTIAL = {'Content-Range': 'bytes 4-9/10', 'ETag': '"v1"'}
UNKNOWN_LENGTH = {'Content-Range': 'bytes 4-9/*'}


@pytest.mark.parametrize(
    ('request_headers', 'stored_headers', 'expected'),
    [
        ({'Range': 'bytes=4-9'}, PARTIAL, RangeAnswer(0, 6, 'bytes 4-9/10')),
        ({'Range': 'bytes=6-8'}, PARTIAL, RangeAnswer(2, 5, 'bytes 6-8/10')),
        ({'Range': 'bytes=6-'}, PARTIAL, RangeAnswer(2, 6, 'bytes 6-9/10')),
        ({'Range': 'bytes=-1'}, PARTIAL, RangeAnswer(5, 6, 'bytes 9-9/10')),
        ({'Range': 'bytes=-5'}, PARTIAL, RangeAnswer(1, 6, 'bytes 5-9/10')),
        ({'Range': 'bytes=6-8', 'If-Range': '"v1"'}, PARTIAL, RangeAnswer(2, 5, 'bytes 6-8/10')),
        ({'Range': 'bytes=5-7'}, UNKNOWN_LENGTH, RangeAnswer(1, 4, 'bytes 5-7/*')),
        # Not covered: bytes it does not hold, a place it cannot know, a failed If-Range.
        ({'Range': 'bytes=0-4'}, PARTIAL, None),
        ({'Range': 'bytes=-7'}, PARTIAL, None),
        ({'Range': 'bytes=5-'}, UNKNOWN_LENGTH, None),
        ({'Range': 'bytes=-2'}, UNKNOWN_LENGTH, None),
        ({'Range': 'bytes=6-8', 'If-Range': '"v2"'}, PARTIAL, None),
        ({}, PARTIAL, None),
    ],
)
def test_range_answer_from_a_partial_response(
    request_headers: dict[str, str], stored_headers: dict[str, str], expected: Any
) -> None:
    """A stored 206 answers the ranges it holds, cut at the right offsets."""
    assert range_answer('GET', request_headers, 206, stored_headers, 6) == expected
    covers = partial_covers('GET', request_headers, stored_headers)
    assert covers is (expected is not None)


def test_partial_body_that_disagrees_with_its_range_is_never_cut() -> None:
    """A stored 206 whose body is not as long as its Content-Range says is not sliced."""
    assert range_answer('GET', {'Range': 'bytes=6-8'}, 206, PARTIAL, 5) is None


def test_partial_covers_only_get() -> None:
    """A HEAD request is not answered from stored partial content."""
    assert partial_covers('HEAD', {'Range': 'bytes=4-9'}, PARTIAL) is False
