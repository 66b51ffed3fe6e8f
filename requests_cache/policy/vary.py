"""Vary (RFC 9111 §4.1): which stored variant answers a request.

A response with ``Vary`` is stored twice: under the request's key (the most recent variant, so
the cache can see that the URL varies) and under a variant key that also hashes the values of the
headers ``Vary`` names, as the request carried them. A later request is served only from the
variant key its own header values select, so one user's variant (say, for another
``Authorization``) is never served to another. Values are hashed, never stored.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .directives import HeaderSource, header_values, list_members

__all__ = ['VaryRule', 'normalize_vary_value', 'parse_vary', 'variant_key', 'vary_values_match']

_SPACES = re.compile(r'\s+')
#: Whitespace around parameter delimiters is optional (RFC 9110 §5.6.6).
_PARAM_SPACES = re.compile(r'\s*([;=])\s*')
#: Request headers whose values are case-insensitive tokens (RFC 9110 §12.5), so ``en-US`` and
#: ``en-us`` select the same variant.
_CASE_INSENSITIVE = frozenset(
    {'accept', 'accept-charset', 'accept-encoding', 'accept-language', 'content-type'}
)
#: Preference lists whose order carries no meaning (the weights do, RFC 9110 §12.4.2), so
#: ``en, de`` and ``de, en`` select the same variant.
_UNORDERED = frozenset({'accept', 'accept-charset', 'accept-encoding', 'accept-language'})
#: A weight: ``q=1.0`` and ``q=1`` mean the same, and 1 is the default (RFC 9110 §12.4.2).
_QVALUE = re.compile(r';q=(0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)(?=;|$)', re.I)


@dataclass(frozen=True)
class VaryRule:
    """The parsed ``Vary`` header: the names it lists (lower case), or ``matches_nothing``."""

    names: tuple[str, ...] = ()
    #: ``Vary: *``: a stored response that never matches a later request (§4.1).
    matches_nothing: bool = False

    def __bool__(self) -> bool:
        return bool(self.names) or self.matches_nothing


#: The rule of a response without ``Vary`` (most of them: parsed on every hit).
_NO_VARY = VaryRule()


def parse_vary(headers: HeaderSource) -> VaryRule:
    """Parse every ``Vary`` line; ``*`` anywhere wins, empty members are skipped."""
    lines = header_values(headers, 'Vary')
    if not lines:
        return _NO_VARY
    members = [m.strip().lower() for line in lines for m in line.split(',')]
    members = [m for m in members if m]
    if '*' in members:
        return VaryRule(matches_nothing=True)
    return VaryRule(tuple(sorted(set(members))))


def normalize_vary_value(name: str, value: str) -> str:
    """A request header value as Vary compares it (RFC 9111 §4.1).

    Members of the list are trimmed and their inner whitespace collapsed, empty members dropped;
    for a header (``name``, lower case) with case-insensitive values, lower-cased; for an
    ``Accept*`` preference list, weights written canonically and members sorted.
    """
    members = [_normalize_member(name, member) for member in list_members(value)]
    if name in _UNORDERED:
        members.sort()
    return ','.join(members)


def _normalize_member(name: str, member: str) -> str:
    text = _PARAM_SPACES.sub(r'\1', _SPACES.sub(' ', member))
    if name in _CASE_INSENSITIVE:
        text = text.lower()
    if name in _UNORDERED:
        text = _QVALUE.sub(_canonical_weight, text)
    return text


def _canonical_weight(match: re.Match[str]) -> str:
    weight = match.group(1)
    if '.' in weight:
        weight = weight.rstrip('0').rstrip('.')
    return '' if weight == '1' else f';q={weight}'


def variant_key(primary_key: str, rule: VaryRule, request_headers: Mapping[str, Any]) -> str:
    """The key of the variant that ``request_headers`` select under ``rule``.

    Values are normalized the way §4.1 allows (see `normalize_vary_value`), several lines
    joined as one list. A header that is absent differs from one that is present but empty.
    """
    lowered: dict[str, list[str]] = {}
    for name, value in request_headers.items():
        lowered.setdefault(str(name).lower(), []).append(str(value))
    parts = [primary_key]
    for name in rule.names:
        values = lowered.get(name)
        selected = '\x01' if values is None else normalize_vary_value(name, ','.join(values))
        parts.append(f'{name}\0{selected}')
    return hashlib.blake2b('\0\0'.join(parts).encode(), digest_size=16).hexdigest()


def vary_values_match(
    rule: VaryRule,
    stored_request_headers: HeaderSource,
    request_headers: HeaderSource,
    unstored_names: Iterable[str] = (),
) -> bool:
    """True if a request selects the stored response under its ``Vary`` rule (RFC 9111 §4.1).

    Each named header must have the same normalized value in the request that stored the
    response and in this one; absent and empty differ. Headers in ``unstored_names`` were never
    stored (credentials): their values were checked through the variant key instead.
    """
    if rule.matches_nothing:
        return False
    skipped = {name.lower() for name in unstored_names}
    names = [name for name in rule.names if name not in skipped]
    if not names:
        return True
    stored = _values_by_name(stored_request_headers)
    current = _values_by_name(request_headers)
    return all(
        normalize_vary_value(name, stored.get(name, _ABSENT))
        == normalize_vary_value(name, current.get(name, _ABSENT))
        for name in names
    )


#: Stands for a header the request did not carry; never equal to a real (normalized) value.
_ABSENT = '\x01'


def _values_by_name(headers: HeaderSource) -> dict[str, str]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    values: dict[str, list[str]] = {}
    for name, value in items:
        values.setdefault(str(name).lower(), []).append(str(value))
    return {name: ','.join(parts) for name, parts in values.items()}
