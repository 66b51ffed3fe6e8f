"""One flipped bit in a stored entry is never served (issue 15, item 4).

The review flipped each bit of a stored entry in turn: 544 of 897 positions were served as a
response on SQLite, Redis and memory. Every entry now ends with a checksum. Here every bit of a
real entry is flipped, one at a time, in the backend's own storage, and the entry is read back
through the cache: the pass criterion is that no damaged entry is ever returned as a response.
"""

from __future__ import annotations

import logging

import pytest

BACKENDS = ['memory', 'sqlite', 'filesystem', 'redis']


@pytest.mark.parametrize('backend', BACKENDS)
def test_every_flipped_bit_is_a_miss(backend, origin, make_session, figures, caplog):
    """Each bit of a stored entry flipped in turn: 0 served, and the intact entry still reads."""
    session = make_session(backend)
    url = origin.route('/flip', headers={'Content-Type': 'text/plain', 'ETag': '"v1"'})
    key = session.get(url).cache_key
    cache = session.cache
    good = bytes(cache.responses[key])
    served = []
    with caplog.at_level(logging.ERROR, logger='requests_cache'):  # one WARNING per flip
        for bit in range(len(good) * 8):
            damaged = bytearray(good)
            damaged[bit // 8] ^= 1 << (bit % 8)
            cache.responses[key] = bytes(damaged)
            if cache.get_response(key) is not None:
                served.append(bit)
    cache.responses[key] = good
    intact = cache.get_response(key)
    figures.record(
        f'bit_flips_{backend}',
        entry_bytes=len(good),
        positions=len(good) * 8,
        served=len(served),
        first_served_bit=served[0] if served else None,
    )
    assert served == []
    assert intact is not None and intact.content == b'body of /flip'
