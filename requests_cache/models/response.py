"""`CachedResponse`: a real `requests.Response` rebuilt from storage, plus cache metadata."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Optional, Union

from requests import PreparedRequest, Response
from requests.structures import CaseInsensitiveDict

from ..cache_status import CacheStatus
from . import _response_1x
from ._response_1x import DATETIME_FORMAT as DATETIME_FORMAT  # 1.x names of this module
from ._response_1x import BaseResponse as BaseResponse
from ._response_1x import DecodedContent as DecodedContent
from ._response_1x import OriginalResponse as OriginalResponse
from ._response_1x import format_datetime as format_datetime
from ._response_1x import format_file_size as format_file_size
from .raw import Body, CachedHTTPResponse
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

    def __init__(self, **fields: Any) -> None:
        super().__init__()
        self.from_cache = True
        self.cache_key = ''
        self.created_at: datetime = utcnow()
        self.request_time: datetime = self.created_at
        self.expires: Optional[datetime] = None
        self.revalidated = False
        self._content_consumed = True
        self._content = b''
        self.status_code = 0  # as in 1.x: a bare CachedResponse() is storable
        self.url = ''
        if fields:  # requests-cache 1.x style: CachedResponse(status_code=200, content=b'...')
            self._set_fields(fields)

    #: Keyword arguments of the requests-cache 1.x constructor.
    FIELDS = (
        'content',
        'cookies',
        'created_at',
        'decoded_content',
        'elapsed',
        'encoding',
        'expires',
        'headers',
        'history',
        'next',
        'raw',
        'reason',
        'request',
        'status_code',
        'url',
    )

    def _set_fields(self, fields: dict[str, Any]) -> None:
        unknown = sorted(set(fields) - set(self.FIELDS))
        if unknown:
            raise TypeError(
                f'CachedResponse() got an unexpected keyword argument {unknown[0]!r}; '
                f'allowed: {", ".join(self.FIELDS)}'
            )
        body = fields.get('content')
        if body is None and fields.get('decoded_content') is not None:
            body = _encode_decoded(fields['decoded_content'], fields.get('encoding'))
        headers = fields.get('headers') or {}
        pairs = list(headers.items()) if hasattr(headers, 'items') else list(headers)
        url = fields.get('url') or ''
        request = fields.get('request')
        built = CachedResponse.build(
            url=url,
            status_code=int(fields.get('status_code') or 0),
            reason=fields.get('reason'),
            headers=[(str(k), str(v)) for k, v in pairs],
            body=body.encode('utf-8') if isinstance(body, str) else bytes(body or b''),
            encoding=fields.get('encoding'),
            elapsed=_response_1x.seconds(fields.get('elapsed')),
            request=CachedRequest.from_request(request) if request is not None else None,
            history=list(fields.get('history') or ()),
            created_at=_response_1x.expiry_from(fields.get('created_at')),
            expires=_response_1x.expiry_from(fields.get('expires')),
        )
        self.__dict__.update(built.__dict__)  # build() assembled every field; adopt them
        if fields.get('cookies') is not None:
            self.cookies = fields['cookies']
        if fields.get('raw') is not None:
            self.raw = fields['raw']
        if fields.get('next') is not None:
            self._next = fields['next']

    @classmethod
    def build(
        cls,
        *,
        url: str,
        status_code: int,
        reason: Optional[str],
        headers: Iterable[tuple[str, str]],
        body: Body,
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

        ``body`` may be a large body still in storage (a `SliceBlob`): ``raw`` and
        ``iter_content`` then read it from there in pieces, and ``content`` reads it whole
        when it is first used.
        """
        response = cls()
        response._headers = None  # joined from the raw pairs when first read
        response.raw = CachedHTTPResponse(body, list(headers), status_code, reason, version, url)
        if isinstance(body, bytes):
            response._content = body
        else:
            from ..serializers.chunks import attach_body  # serializers import this module

            response._content = False  # type: ignore[assignment]  # requests' "not read yet"
            response._content_consumed = False
            attach_body(response, body)  # stored again (a freshened hit) a chunk at a time
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
    def content(self) -> bytes:
        """The body. A large hit's body is read from storage the first time this is used."""
        if self._body_in_storage():
            self._content = self.raw.data
            self._content_consumed = True
        return self._content or b''

    @property
    def request(self) -> PreparedRequest:
        """The request that produced this response (the stored, redacted one, until a session
        serving it sets the live request)."""
        if self._request is None:
            if self._request_loader is not None:
                self._request = self._request_loader()
                self._request_loader = None
            else:  # a bare CachedResponse(), as 1.x code makes them: an empty GET of its URL
                self._request = CachedRequest(url=self.url or '')
        return self._request

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
        """The stored headers as ``(name, value)`` pairs, repeats apart, in received order.

        If ``headers`` was edited (``response.headers['X'] = ...``, then ``save_response``, as
        1.x code does), its current items, so the edit is what gets stored.
        """
        raw = self.raw
        if isinstance(raw, CachedHTTPResponse):
            pairs = raw.header_pairs()
        else:  # another raw object, or none on a bare CachedResponse()
            pairs = list((getattr(raw, 'headers', None) or {}).items())
        edited = self._headers
        if edited is not None and edited != _joined(pairs):
            return [(str(k), str(v)) for k, v in edited.items()]
        return pairs

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
    def expires(self) -> Optional[datetime]:
        """When it stops being fresh (aware UTC), or None for never. A naive datetime given here
        is taken as UTC, as requests-cache 1.x did."""
        return self._expires

    @expires.setter
    def expires(self, value: Optional[datetime]) -> None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        self._expires = value

    _expires: Optional[datetime] = None

    @property
    def is_expired(self) -> bool:
        """True once ``expires`` has passed."""
        return self.expires is not None and utcnow() >= self.expires

    @property
    def expires_delta(self) -> Optional[int]:
        """Seconds until expiry, rounded (negative when expired), or None for never (1.x name)."""
        if self.expires is None:
            return None
        return round((self.expires - utcnow()).total_seconds())

    @property
    def expires_unix(self) -> Optional[int]:
        """The expiry time as a rounded Unix timestamp, or None for never (1.x name)."""
        return None if self.expires is None else round(self.expires.timestamp())

    def is_older_than(self, older_than: Any) -> bool:
        """True if it was created longer ago than ``older_than`` (seconds, a timedelta...)."""
        from ..policy.expiration import get_expiration_datetime

        cutoff = get_expiration_datetime(older_than, negative_delta=True)
        return cutoff is not None and self.created_at < cutoff

    def reset_expiration(self, expire_after: Any) -> bool:
        """Give it a new expiry time counted from now; returns ``is_expired`` (1.x name).

        Raises:
            ConfigurationError: ``expire_after`` is not a valid expiration value.
        """
        from ..policy.expiration import expiry_time, parse_expire_after

        self.expires = expiry_time(parse_expire_after(expire_after), utcnow())
        return self.is_expired

    @property
    def next(self) -> Optional[PreparedRequest]:
        """For a stored redirect, the request that follows it (as ``requests`` sets it on a live
        redirect fetched with ``allow_redirects=False``); else None."""
        if self._next is None:
            self._next = _response_1x.redirect_request(self)
        return self._next  # type: ignore[no-any-return]

    @property
    def ttl(self) -> Optional[int]:
        """Seconds until expiry (negative when expired), or None for never."""
        if self.expires is None:
            return None
        return int((self.expires - utcnow()).total_seconds())

    @property
    def size(self) -> int:
        """Body size in bytes."""
        if self._body_in_storage():
            body = attached_body_of(self)
            if body is not None:
                return len(body)
        return len(self._content or b'')

    def _body_in_storage(self) -> bool:
        # requests marks a body not read yet with False, which its stubs do not allow for.
        return self._content is False  # type: ignore[comparison-overlap]

    def __repr__(self) -> str:
        expires = self.expires.isoformat() if self.expires else 'never'
        return (
            f'<CachedResponse [{self.status_code}] {self.url} '
            f'created={self.created_at.isoformat()} expires={expires}>'
        )

    def __str__(self) -> str:
        # The fields requests-cache 1.x printed, in its words.
        state = 'stale' if self.is_expired else 'fresh'
        return (
            f'<CachedResponse [{self.status_code}]: created: {format_datetime(self.created_at)}, '
            f'expires: {format_datetime(self.expires)} ({state}), '
            f'size: {format_file_size(self.size)}, request: {self.request.method} {self.url}>'
        )


def attached_body_of(response: CachedResponse) -> Any:
    """The body a large hit still has in storage, if any (see `serializers.chunks`)."""
    from ..serializers.chunks import attached_body  # serializers import this module

    return attached_body(response)


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


def _encode_decoded(decoded: Any, encoding: Optional[str]) -> bytes:
    """The body bytes for a 1.x ``decoded_content`` value (text, or a decoded JSON value)."""
    import json

    text = decoded if isinstance(decoded, str) else json.dumps(decoded)
    return text.encode(encoding or 'utf-8')


logger = logging.getLogger(__name__)
