"""``CachedSession.wrap``: requests-cache 1.x's way to add caching to an existing session.

Kept for code written for 1.x. The session class attaches it as a classmethod
(``wrap = classmethod(wrap_session)``).
"""

from __future__ import annotations

from typing import Any, TypeVar

import requests

__all__ = ['wrap_session']

S = TypeVar('S')


def wrap_session(cls: type[S], original_session: requests.Session, **kwargs: Any) -> S:
    """A new ``cls`` (a cached session class) with the state of ``original_session``.

    Headers, cookies, auth, proxies, hooks, params, ``verify``, ``cert``, ``stream``,
    ``trust_env``, ``max_redirects`` and the mounted adapters are taken over; ``kwargs`` are the
    cache arguments, as for the constructor. ``original_session`` is left as it was.
    """
    session: Any = cls(**kwargs)
    for name in requests.Session.__attrs__:
        setattr(session, name, getattr(original_session, name))
    return session  # type: ignore[no-any-return]
