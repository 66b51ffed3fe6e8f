"""Every hit re-checks that the stored request is the one being served."""

from __future__ import annotations

from requests_cache import CachedSession


def test_key_fn_collision_is_a_miss_not_another_response(tmp_path, origin, caplog):
    """A key_fn that maps two URLs to one key never serves one URL's body for the other."""
    session = CachedSession(str(tmp_path / 'c'), key_fn=lambda request, **kwargs: 'same-key')
    first = session.get(origin.url('/one'))
    second = session.get(origin.url('/two'))
    assert (first.content, second.content) == (b'body of /one', b'body of /two')
    assert second.from_cache is False
    assert 'stored for another request' in caplog.text


def test_method_mismatch_is_a_miss(tmp_path, origin):
    """A HEAD response stored under a key a GET also maps to is not served to the GET."""
    session = CachedSession(str(tmp_path / 'c'), key_fn=lambda request, **kwargs: 'k')
    session.head(origin.url('/m'))
    response = session.get(origin.url('/m'))
    assert response.from_cache is False and response.content == b'body of /m'


def test_key_fn_without_query_still_matches_other_queries(tmp_path, origin):
    """A deliberate key_fn that drops the query (a 1.x recipe) keeps sharing one entry."""
    session = CachedSession(
        str(tmp_path / 'c'), key_fn=lambda request, **kwargs: request.url.split('?')[0]
    )
    session.get(origin.url('/q?page=1'))
    assert session.get(origin.url('/q?page=2')).from_cache is True


def test_ignored_parameters_do_not_break_the_identity_check(session, origin):
    """A request with an ignored (redacted) parameter matches its stored entry, and one with
    another credential value is kept apart."""
    session.get(origin.url('/id?api_key=one'))
    assert session.get(origin.url('/id?api_key=one')).from_cache is True
    assert session.get(origin.url('/id?api_key=two')).from_cache is False
