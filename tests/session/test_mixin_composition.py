"""CacheMixin composes with other session mixins: keyword arguments it does not know go to the
next class in the MRO (requests-ratelimiter's documented pattern), and unknown ones still fail
with a clear message."""

from __future__ import annotations

import pytest
import requests
from requests_ratelimiter import LimiterMixin

from requests_cache import CacheMixin, UnknownSettingError


class TaggingMixin:
    """A session mixin with keyword arguments of its own, passed on like LimiterMixin does."""

    def __init__(self, tag: str = '', **kwargs):
        """Keep ``tag``; pass the rest on."""
        self.tag = tag
        super().__init__(**kwargs)


class TaggedCachedSession(CacheMixin, TaggingMixin, requests.Session):
    """Caching in front of another mixin."""


class CachedLimiterSession(CacheMixin, LimiterMixin, requests.Session):
    """The requests-ratelimiter README's combination."""


def test_unknown_arguments_go_to_the_next_class(origin):
    """Arguments that are neither settings nor backend arguments reach the next mixin."""
    session = TaggedCachedSession(backend='memory', expire_after=60, tag='blue')
    assert session.tag == 'blue'
    assert session.settings.expire_after.total_seconds() == 60
    url = origin.url('/tagged')
    assert [session.get(url).from_cache for _ in range(2)] == [False, True]


def test_requests_ratelimiter_combination(tmp_path, origin):
    """S(CacheMixin, LimiterMixin, Session)('c', per_second=5) caches and limits."""
    session = CachedLimiterSession(str(tmp_path / 'c'), per_second=5)
    url = origin.url('/limited')
    assert [session.get(url).from_cache for _ in range(3)] == [False, True, True]
    assert origin.count('/limited') == 1


def test_an_argument_nobody_takes_is_still_an_error():
    """With a plain Session after the mixin, an unknown keyword names the closest setting."""

    class Plain(CacheMixin, requests.Session):
        """CacheMixin on a plain Session."""

    with pytest.raises(UnknownSettingError, match='expire_after'):
        Plain(backend='memory', expire_afer=60)
