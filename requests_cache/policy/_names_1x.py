"""Type aliases requests-cache 1.x exported from `requests_cache.policy`, kept for type hints in
code written for it. Each names the values our own API accepts for the same argument.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import datetime, timedelta
from typing import Any, Callable, Union

from .expiration import UrlPattern

__all__ = [
    'ExpirationPattern',
    'ExpirationPatterns',
    'ExpirationTime',
    'FilterCallback',
    'HeaderDict',
    'KeyCallback',
]

#: An ``expire_after`` value (1.x name): seconds, a timedelta, a datetime, an HTTP date, or None.
ExpirationTime = Union[None, int, float, str, datetime, timedelta]
#: A ``urls_expire_after`` pattern (1.x name): a glob string or a compiled regular expression.
ExpirationPattern = UrlPattern
#: A ``urls_expire_after`` mapping (1.x name).
ExpirationPatterns = dict[ExpirationPattern, ExpirationTime]
#: A ``filter_fn`` (1.x name): called with a response, False means "do not store".
FilterCallback = Callable[[Any], bool]
#: A ``key_fn`` (1.x name): called with the request and key settings, returns the key.
KeyCallback = Callable[..., str]
#: A mutable header mapping (1.x name).
HeaderDict = MutableMapping[str, str]
