"""A custom key_fn must return a str; anything else is a clear TypeError (issue 15, item 5)."""

from __future__ import annotations

import pytest

from requests_cache import CachedSession
from requests_cache.keys import checked_key


def _bytes_key(request, **kwargs):
    return b'abc'


@pytest.mark.parametrize('value', [b'abc', 42, None, ('a',), bytearray(b'x')])
def test_non_str_keys_are_a_type_error_naming_the_function(value):
    """bytes, int, None, tuple and bytearray keys raise TypeError naming key_fn and the type."""
    with pytest.raises(
        TypeError, match=rf'_bytes_key returned {type(value).__name__}.*must be a str'
    ):
        checked_key(value, _bytes_key)


def test_str_keys_pass_unchanged():
    """A str key is returned as it is, odd characters included."""
    assert checked_key('../k\x00ey', _bytes_key) == '../k\x00ey'


@pytest.mark.parametrize('backend', ['memory', 'sqlite', 'filesystem'])
def test_session_with_a_bytes_key_fn_fails_at_the_first_request(backend, origin, tmp_path):
    """The first request of a session whose key_fn returns bytes raises the same TypeError on
    every backend."""
    session = CachedSession(str(tmp_path / 'cache'), backend=backend, key_fn=_bytes_key)
    try:
        with pytest.raises(TypeError, match='must be a str'):
            session.get(origin.route('/k'))
    finally:
        session.close()
