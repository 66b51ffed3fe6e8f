"""User expiration settings: parsing ``expire_after`` values and matching ``urls_expire_after``.

Every accepted input is normalized once, at construction, into an `ExpireAfter`: a `timedelta`,
an aware UTC `datetime`, or one of the `Special` values. Everything downstream works with that
type only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from enum import IntEnum
from fnmatch import fnmatch
from typing import Optional, Union

from ..errors import ConfigurationError
from ._expiration_1x import add_tzinfo as add_tzinfo  # 1.x names of this module
from ._expiration_1x import get_expiration_datetime as get_expiration_datetime
from ._expiration_1x import get_expiration_seconds as get_expiration_seconds
from ._expiration_1x import get_url_expiration as get_url_expiration
from ._expiration_1x import logger as logger
from ._expiration_1x import utcnow as utcnow

__all__ = [
    'DO_NOT_CACHE',
    'EXPIRE_IMMEDIATELY',
    'NEVER_EXPIRE',
    'ExpireAfter',
    'ExpireAfterInput',
    'Seconds',
    'Special',
    'UrlPattern',
    'expiry_time',
    'match_url_rule',
    'parse_expire_after',
    'parse_urls_expire_after',
]


class Special(IntEnum):
    """Expiration values with a meaning of their own.

    They are integers so that code written for requests-cache, which passes ``-1`` and ``0``, keeps
    working; the ``DO_NOT_CACHE`` value is the one requests-cache 1.x used.
    """

    NEVER_EXPIRE = -1
    EXPIRE_IMMEDIATELY = 0
    DO_NOT_CACHE = 0x0D0E0200020704


class Seconds(timedelta):
    """A lifetime given as a number of seconds: a `timedelta` that also equals that number.

    ``CachedSession(expire_after=60).settings.expire_after == 60`` holds, as in requests-cache
    1.x, and ``repr`` shows the value given; everything else treats it as ``timedelta(seconds=60)``.
    """

    given: float

    def __new__(cls, given: float) -> Seconds:
        self = super().__new__(cls, seconds=given)
        self.given = given
        return self

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return bool(self.given == other)
        return super().__eq__(other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = timedelta.__hash__

    def __repr__(self) -> str:
        return repr(self.given)

    def __str__(self) -> str:
        return str(self.given)

    def __reduce__(self) -> tuple[type[Seconds], tuple[float]]:
        return Seconds, (self.given,)


NEVER_EXPIRE = Special.NEVER_EXPIRE
EXPIRE_IMMEDIATELY = Special.EXPIRE_IMMEDIATELY
DO_NOT_CACHE = Special.DO_NOT_CACHE

ExpireAfter = Union[timedelta, datetime, Special]
ExpireAfterInput = Union[None, int, float, timedelta, datetime]
UrlPattern = Union[str, 're.Pattern[str]']

_ALLOWED = (
    'None, -1 (NEVER_EXPIRE), 0 (EXPIRE_IMMEDIATELY), DO_NOT_CACHE, a number of seconds >= 0, '
    'a timedelta >= 0, or a datetime (naive ones are UTC)'
)


def parse_expire_after(value: object, name: str = 'expire_after') -> ExpireAfter:
    """Validate and normalize one expiration value.

    Args:
        value: A value as a user writes it; ``None`` means "never expire"; a naive datetime is
            taken as UTC.
        name: The parameter name, used in error messages.

    Returns:
        A `timedelta`, an aware UTC `datetime`, `NEVER_EXPIRE` or `DO_NOT_CACHE`.

    Raises:
        ConfigurationError: The value is of an allowed type but out of range, or of another type.
    """
    if value is None:
        return Special.NEVER_EXPIRE
    if isinstance(value, Special):
        return _normalize_special(value)
    # bool is an int subclass, but expire_after=True is always a mistake.
    if isinstance(value, bool) or not isinstance(value, (int, float, timedelta, datetime)):
        raise ConfigurationError(f'{name}={value!r} is not valid; allowed: {_ALLOWED}')
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            # A naive datetime is UTC, as requests-cache 1.x read stored and given expiry times.
            value = value.replace(tzinfo=timezone.utc)
        try:
            return value.astimezone(timezone.utc)
        except OverflowError:  # e.g. datetime.max in a zone west of UTC
            raise ConfigurationError(f'{name}={value!r} is out of range') from None
    if isinstance(value, timedelta):
        if value < timedelta(0):
            raise ConfigurationError(f'{name}={value!r} is negative; allowed: {_ALLOWED}')
        return value
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigurationError(f'{name}={value!r} is not a finite number; allowed: {_ALLOWED}')
    if value in (Special.NEVER_EXPIRE, Special.DO_NOT_CACHE):
        return Special(int(value))
    if value < 0:
        raise ConfigurationError(f'{name}={value!r} is negative; allowed: {_ALLOWED}')
    try:
        return Seconds(value)
    except OverflowError:
        raise ConfigurationError(f'{name}={value!r} is too large; allowed: {_ALLOWED}') from None


def _normalize_special(value: Special) -> ExpireAfter:
    # EXPIRE_IMMEDIATELY is an ordinary zero lifetime: stored, but stale at once.
    return timedelta(0) if value is Special.EXPIRE_IMMEDIATELY else value


def parse_urls_expire_after(
    rules: Optional[Mapping[UrlPattern, object]],
) -> tuple[tuple[UrlPattern, ExpireAfter], ...]:
    """Validate ``urls_expire_after`` into an ordered tuple of ``(pattern, ExpireAfter)`` pairs.

    Raises:
        ConfigurationError: A pattern is not a string or compiled regex, or a value is invalid.
    """
    if rules is None:
        return ()
    if not isinstance(rules, Mapping):
        raise ConfigurationError(
            f'urls_expire_after={rules!r} is not valid; pass a dict of {{pattern: expire_after}}'
        )
    parsed = []
    for pattern, value in rules.items():
        if not isinstance(pattern, (str, re.Pattern)):
            raise ConfigurationError(
                f'urls_expire_after pattern {pattern!r} is not valid; '
                'allowed: a glob string or a compiled regular expression'
            )
        parsed.append((pattern, parse_expire_after(value, f'urls_expire_after[{pattern!r}]')))
    return tuple(parsed)


def match_url_rule(
    url: str, rules: Iterable[tuple[UrlPattern, ExpireAfter]]
) -> Optional[ExpireAfter]:
    """Return the value of the first rule whose pattern matches ``url``, or None.

    A glob matches the URL without its scheme, as a prefix (``'site.com/api'`` matches
    ``'https://site.com/api/v1?x=1'``); a compiled regex is searched anywhere in the full URL.
    """
    for pattern, value in rules:
        if _url_matches(url, pattern):
            return value
    return None


def _url_matches(url: str, pattern: UrlPattern) -> bool:
    if isinstance(pattern, re.Pattern):
        return pattern.search(url) is not None
    bare_url = url.split('://', 1)[-1]
    bare_pattern = pattern.split('://', 1)[-1].rstrip('*') + '*'
    return fnmatch(bare_url, bare_pattern)


def expiry_time(expire_after: ExpireAfter, now: datetime) -> Optional[datetime]:
    """Turn an expiration value into an absolute UTC expiry time; None means never.

    Raises:
        ValueError: ``expire_after`` is `DO_NOT_CACHE`, which has no expiry time.
    """
    if expire_after is Special.NEVER_EXPIRE:
        return None
    if expire_after is Special.DO_NOT_CACHE:
        raise ValueError('DO_NOT_CACHE has no expiry time')
    if isinstance(expire_after, datetime):
        return expire_after
    assert isinstance(expire_after, timedelta)
    try:
        return now + expire_after
    except OverflowError:
        return None
