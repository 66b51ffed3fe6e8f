"""Conditional requests and 304 handling (RFC 9111 §4.3)."""

from __future__ import annotations

from collections.abc import Iterable

from .directives import HeaderSource, header_values, parse_validators

__all__ = ['conditional_headers', 'freshen_headers']

# RFC 9111 §3.2: headers a 304 must not overwrite, because they describe the stored body.
_KEEP_FROM_STORED = frozenset({'content-length', 'content-encoding', 'transfer-encoding'})


def conditional_headers(stored_headers: HeaderSource) -> dict[str, str]:
    """The headers that turn a request into a conditional one for a stored response.

    ``If-None-Match`` comes from ``ETag``, ``If-Modified-Since`` from ``Last-Modified``; empty
    when the stored response has neither validator.
    """
    validators = parse_validators(stored_headers)
    headers = {}
    if validators.etag:
        headers['If-None-Match'] = validators.etag
    if validators.last_modified:
        headers['If-Modified-Since'] = validators.last_modified
    return headers


def freshen_headers(
    stored_headers: Iterable[tuple[str, str]], not_modified_headers: HeaderSource
) -> list[tuple[str, str]]:
    """Update stored header pairs with the headers of a 304 response (RFC 9111 §4.3.4).

    Every header the 304 carries replaces all stored values of that name, except the ones that
    describe the stored body; the other stored headers are kept in order.
    """
    new_pairs = [
        (str(name), str(value))
        for name in _names(not_modified_headers)
        if name.lower() not in _KEEP_FROM_STORED
        for value in header_values(not_modified_headers, name)
    ]
    replaced = {name.lower() for name, _ in new_pairs}
    kept = [(n, v) for n, v in stored_headers if n.lower() not in replaced]
    return kept + new_pairs


def _names(headers: HeaderSource) -> list[str]:
    items = headers.items() if hasattr(headers, 'items') else headers
    seen: dict[str, str] = {}
    for name, _ in items:
        seen.setdefault(name.lower(), name)
    return list(seen.values())
