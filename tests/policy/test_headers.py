"""Which response headers a cache keeps (RFC 9111 §3.1) and the Age it reports (§5.1)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from requests_cache.policy.headers import HOP_BY_HOP, storable_headers, with_age


def test_hop_by_hop_headers_are_dropped():
    """Connection-level headers never reach storage; the rest keep their order and spelling."""
    pairs = [
        ('Content-Type', 'text/plain'),
        ('Connection', 'keep-alive'),
        ('Keep-Alive', 'timeout=5'),
        ('Transfer-Encoding', 'chunked'),
        ('X-Kept', '1'),
        ('Proxy-Authenticate', 'Basic'),
    ]
    assert storable_headers(pairs) == [('Content-Type', 'text/plain'), ('X-Kept', '1')]


def test_headers_named_by_connection_are_dropped():
    """A header the Connection header names is connection-specific too (RFC 9110 §7.6.1)."""
    pairs = [('Connection', 'X-Trace, close'), ('X-Trace', 'abc'), ('X-Other', 'kept')]
    assert storable_headers(pairs) == [('X-Other', 'kept')]


def test_every_hop_by_hop_name_is_lower_case():
    """The table is compared with lower-cased names."""
    assert all(name == name.lower() for name in HOP_BY_HOP)


@pytest.mark.parametrize(
    ('age', 'expected'),
    [(timedelta(0), '0'), (timedelta(seconds=61.9), '61'), (-timedelta(1), '0')],
)
def test_with_age_replaces_any_age(age, expected):
    """Age is whole non-negative seconds and replaces every stored Age value."""
    pairs = [('Age', '5'), ('ETag', '"a"'), ('age', '7')]
    assert with_age(pairs, age) == [('ETag', '"a"'), ('Age', expected)]
