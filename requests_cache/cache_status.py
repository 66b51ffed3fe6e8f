"""`CacheStatus`: how the cache handled one response, in the form of RFC 9211.

Every response a `CachedSession` returns has a ``cache_status`` attribute. Code reads its fields
(``response.cache_status.hit``); ``str()`` gives the RFC 9211 ``Cache-Status`` list member, which
the ``cache_status_header`` setting also adds to the response headers::

    requests-cache; hit; ttl=598; key="5c6a..."; detail="fresh until 2026-12-03T12:10:00+00:00"
    requests-cache; fwd=uri-miss; fwd-status=200; stored; ttl=600; key="5c6a..."; detail="..."

The cache identifier is ``requests-cache``. ``hit`` and ``fwd`` exclude each other (RFC 9211
§2.1-2.2); a response the cache made itself without a stored one (a 504 under only-if-cached) has
neither.
"""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple, Optional

__all__ = ['CACHE_ID', 'CacheStatus', 'Forward', 'sf_string']

#: This cache's identifier in ``Cache-Status`` (an RFC 8941 token).
CACHE_ID = 'requests-cache'


class Forward(str, Enum):
    """Why a request went forward to the origin: RFC 9211 §2.2 ``fwd`` values.

    A `str`, so ``status.fwd == 'uri-miss'`` works too.
    """

    #: The cache was configured not to handle this request (disabled, a streamed body).
    BYPASS = 'bypass'
    #: The request method is not one the cache stores (``allowable_methods``).
    METHOD = 'method'
    #: Nothing was stored for the request's URI (its cache key).
    URI_MISS = 'uri-miss'
    #: Something was stored for the URI, but no variant matched the request's ``Vary`` headers.
    VARY_MISS = 'vary-miss'
    #: What was stored could not be used for this request (stored for another request).
    MISS = 'miss'
    #: A fresh response was stored, but the request (or a setting) required the origin.
    REQUEST = 'request'
    #: The stored response was stale.
    STALE = 'stale'
    #: Only part of the requested content was stored.
    PARTIAL = 'partial'

    def __str__(self) -> str:
        return self.value


class CacheStatus(NamedTuple):
    """How the cache handled one response (RFC 9211 ``Cache-Status`` parameters).

    Immutable; ``str(status)`` is the ``Cache-Status`` list member.

    Attributes:
        hit: The response was served from the cache without contacting the origin.
        fwd: Why the request went to the origin, if it did (`Forward`).
        fwd_status: The status code the origin answered the forwarded request with (a 304 when
            it confirmed the stored response); None when it did not answer (connection error).
        ttl: Seconds of freshness left when the response was handed over, negative when stale;
            None when it never expires or was not stored.
        stored: The cache stored this response (or, for a streamed body, will once it is read in
            full).
        collapsed: The request waited for an identical one in flight: True if that one's
            response was reused, False if this request then had to go to the origin itself; None
            when it did not wait.
        key: The cache key.
        detail: Our reason, as the DEBUG log gives it.
    """

    hit: bool = False
    fwd: Optional[Forward] = None
    fwd_status: Optional[int] = None
    ttl: Optional[int] = None
    stored: bool = False
    collapsed: Optional[bool] = None
    key: Optional[str] = None
    detail: Optional[str] = None

    def __str__(self) -> str:
        parts = [CACHE_ID]
        if self.hit:
            parts.append('hit')
        if self.fwd is not None:
            parts.append(f'fwd={Forward(self.fwd).value}')
        if self.fwd_status is not None:
            parts.append(f'fwd-status={int(self.fwd_status)}')
        if self.stored:
            parts.append('stored')
        if self.collapsed is not None:
            parts.append('collapsed' if self.collapsed else 'collapsed=?0')
        if self.ttl is not None:
            parts.append(f'ttl={int(self.ttl)}')
        if self.key is not None:
            parts.append(f'key={sf_string(self.key)}')
        if self.detail is not None:
            parts.append(f'detail={sf_string(self.detail)}')
        return '; '.join(parts)


def sf_string(text: str) -> str:
    """``text`` as an RFC 8941 sf-string: quoted, with ``"`` and ``\\`` escaped.

    An sf-string holds printable ASCII only; any other character is written as its Python
    escape (``é`` becomes ``\\xe9``), so the value stays readable and valid.
    """
    escaped = []
    for char in text:
        code = ord(char)
        if char in '"\\':
            escaped.append('\\' + char)
        elif 0x20 <= code <= 0x7E:
            escaped.append(char)
        else:
            escaped.append(ascii(char)[1:-1].replace('\\', '\\\\'))
    return '"' + ''.join(escaped) + '"'
