"""`CachedResponse`: a real `requests.Response` rebuilt from storage, plus cache metadata."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Optional, Union

from requests import PreparedRequest, Response
from requests.structures import CaseInsensitiveDict

from ..cache_status import CacheStatus
from .raw import CachedHTTPResponse
from .request import CachedRequest

__all__ = ['CachedResponse', 'HeaderPairs', 'RequestIdentity', 'add_cache_attributes', 'utcnow']

HeaderPairs = Sequence[tuple[str, str]]
#: The stored request's method, URL and header pairs.
RequestIdentity = tuple[str, str, Sequence[tuple[str, str]]]


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


def add_cache_attributes(
    response: Response,
    *,
    cache_key: str = '',
    created_at: Optional[datetime] = None,
    expires: Optional[datetime] = None,
) -> None:
    """Give a response from the network the same cache attributes a `CachedResponse` has.

    The attributes are plain values here (``from_cache`` is False), so code can read them on any
    response a `CachedSession` returns without checking its type.
    """
    if isinstance(response, CachedResponse):
        # A redirect whose last hop was answered from the cache: its attributes are already set.
        return
    response.from_cache = False  # type: ignore[attr-defined]
    response.cache_key = cache_key  # type: ignore[attr-defined]
    response.created_at = created_at or utcnow()  # type: ignore[attr-defined]
    response.expires = expires  # type: ignore[attr-defined]
    response.is_expired = False  # type: ignore[attr-defined]
    response.revalidated = False  # type: ignore[attr-defined]


class CachedResponse(Response):
    """A response served from the cache.

    It is a `requests.Response`, so everything written against ``requests`` works with it. The
    body is fully loaded; ``stream=True``, ``iter_content()`` and ``raw.read()`` read from memory.

    Attributes:
        from_cache: Always True for a response served from the cache.
        cache_key: The key it is stored under.
        created_at: When the origin's response was received (aware UTC).
        expires: When it stops being fresh (aware UTC), or None for never.
        revalidated: True if the origin confirmed it with a 304 during this request.
        request_time: When the request that produced it was sent (aware UTC).
        cache_status: How the cache handled it (RFC 9211), set when a session hands it over;
            None on a response read straight from a cache.
    """

    _request: Optional[PreparedRequest] = None
    _headers: Optional[CaseInsensitiveDict[str]] = None
    _request_loader: Optional[Callable[[], CachedRequest]] = None
    request_identity: RequestIdentity = ('GET', '', ())
    cache_status: Optional[CacheStatus] = None

    def __init__(self) -> None:
        super().__init__()
        self.from_cache = True
        self.cache_key = ''
        self.created_at: datetime = utcnow()
        self.request_time: datetime = self.created_at
        self.expires: Optional[datetime] = None
        self.revalidated = False
        self._content_consumed = True
        self._content = b''

    @classmethod
    def build(
        cls,
        *,
        url: str,
        status_code: int,
        reason: Optional[str],
        headers: Iterable[tuple[str, str]],
        body: bytes,
        encoding: Optional[str] = None,
        elapsed: float = 0.0,
        version: int = 11,
        request: Union[CachedRequest, Callable[[], CachedRequest], None] = None,
        history: Sequence[CachedResponse] = (),
        created_at: Optional[datetime] = None,
        request_time: Optional[datetime] = None,
        expires: Optional[datetime] = None,
        cache_key: str = '',
        request_identity: Optional[RequestIdentity] = None,
    ) -> CachedResponse:
        """Assemble a cached response from stored fields.

        ``request`` may be a function that builds the request on first access; then pass
        ``request_identity`` (method, URL and header pairs of the stored request) too.

        ``headers`` is a list of pairs that may repeat a name; ``response.headers`` joins repeats
        with ", " the way ``requests`` does, and ``raw.headers`` keeps them apart.
        """
        response = cls()
        response._headers = None  # joined from the raw pairs when first read
        response.raw = CachedHTTPResponse(body, list(headers), status_code, reason, version, url)
        response._content = body
        response.url = url
        response.status_code = status_code
        response.reason = reason  # type: ignore[assignment]
        response.encoding = encoding
        response.elapsed = timedelta(seconds=elapsed)
        if callable(request):
            response._request_loader = request  # built on first access: hits replace it anyway
        else:
            response.request = request or CachedRequest(url=url)
            stored = response.request
            request_identity = request_identity or (
                stored.method or 'GET',
                stored.url or '',
                list(stored.headers.items()),
            )
        #: What the stored request was (method, URL, header pairs), for re-checking on a hit.
        response.request_identity = request_identity or ('GET', url, [])
        response.history = list(history)
        response.created_at = created_at or utcnow()
        response.request_time = request_time or response.created_at
        response.expires = expires
        response.cache_key = cache_key
        return response

    @property
    def request(self) -> PreparedRequest:
        """The request that produced this response (the stored, redacted one, until a session
        serving it sets the live request)."""
        if self._request is None and self._request_loader is not None:
            self._request = self._request_loader()
            self._request_loader = None
        return self._request  # type: ignore[return-value]  # None only on a bare instance

    @request.setter
    def request(self, value: Optional[PreparedRequest]) -> None:
        self._request = value
        self._request_loader = None

    @property
    def headers(self) -> CaseInsensitiveDict[str]:
        """The headers, repeated names joined with ", " as requests joins them.

        Built from the stored pairs the first time it is read: many hits are served and used
        without anyone looking at their headers.
        """
        headers = self._headers
        if headers is None:
            headers = self._headers = _joined(self.header_pairs())
        return headers

    @headers.setter
    def headers(self, value: CaseInsensitiveDict[str]) -> None:
        self._headers = value

    def header_pairs(self) -> list[tuple[str, str]]:
        """The stored headers as ``(name, value)`` pairs, repeats apart, in received order."""
        raw = self.raw
        if isinstance(raw, CachedHTTPResponse):
            return raw.header_pairs()
        return list(raw.headers.items())

    def set_request_loader(self, loader: Callable[[], PreparedRequest]) -> None:
        """Make ``request`` the result of ``loader``, called the first time it is read."""
        self._request = None
        self._request_loader = loader  # type: ignore[assignment]

    @classmethod
    def from_response(cls, response: Response, **kwargs: Any) -> CachedResponse:
        """Copy a live response, with default ``ignored_parameters`` redacted.

        Takes the keyword arguments of `requests_cache.models.snapshot.snapshot_response`.
        """
        from .snapshot import snapshot_response  # snapshot builds on this module

        return snapshot_response(response, **kwargs)

    @property
    def is_expired(self) -> bool:
        """True once ``expires`` has passed."""
        return self.expires is not None and utcnow() >= self.expires

    @property
    def ttl(self) -> Optional[int]:
        """Seconds until expiry (negative when expired), or None for never."""
        if self.expires is None:
            return None
        return int((self.expires - utcnow()).total_seconds())

    @property
    def size(self) -> int:
        """Body size in bytes."""
        return len(self._content or b'')

    def __repr__(self) -> str:
        expires = self.expires.isoformat() if self.expires else 'never'
        return (
            f'<CachedResponse [{self.status_code}] {self.url} '
            f'created={self.created_at.isoformat()} expires={expires}>'
        )

    def __str__(self) -> str:
        return repr(self)


def _joined(pairs: Iterable[tuple[str, str]]) -> CaseInsensitiveDict[str]:
    merged: dict[str, str] = {}
    first_spelling: dict[str, str] = {}
    for name, value in pairs:
        lower = name.lower()
        if lower in first_spelling:
            merged[first_spelling[lower]] += ', ' + value  # joined as requests joins them
        else:
            first_spelling[lower] = name
            merged[name] = value
    return CaseInsensitiveDict(merged)
