"""Which response headers a cache keeps (RFC 9111 §3.1) and the Age it reports (§5.1)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

__all__ = ['HOP_BY_HOP', 'storable_headers', 'with_age']

#: RFC 9110 §7.6.1: connection-specific headers, meaningless once the connection is gone.
HOP_BY_HOP = frozenset(
    {
        'connection',
        'keep-alive',
        'proxy-connection',
        'proxy-authenticate',
        'proxy-authorization',
        'te',
        'trailer',
        'transfer-encoding',
        'upgrade',
    }
)


def storable_headers(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop hop-by-hop headers and the headers a ``Connection`` header names."""
    lowered = [(name.lower(), name, value) for name, value in pairs]
    named = {
        token.strip().lower()
        for lower, _, value in lowered
        if lower == 'connection'
        for token in value.split(',')
    }
    dropped = HOP_BY_HOP | named if named else HOP_BY_HOP
    return [(name, value) for lower, name, value in lowered if lower not in dropped]


def with_age(pairs: Iterable[tuple[str, str]], age: timedelta) -> list[tuple[str, str]]:
    """Replace any ``Age`` header with the current age in whole seconds (RFC 9111 §5.1)."""
    seconds = max(0, int(age.total_seconds()))
    return [(n, v) for n, v in pairs if n.lower() != 'age'] + [('Age', str(seconds))]
