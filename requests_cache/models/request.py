"""The request that produced a stored response, as it was stored (redacted)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Optional, Union

from requests import PreparedRequest, Request
from requests.cookies import RequestsCookieJar, cookiejar_from_dict
from requests.structures import CaseInsensitiveDict

__all__ = ['CachedRequest']


class CachedRequest(PreparedRequest):
    """A `requests.PreparedRequest` rebuilt from storage.

    Parameters named in ``ignored_parameters`` were removed before storing, so this request may
    differ from the one that was sent.
    """

    def __init__(
        self,
        method: str = 'GET',
        url: str = '',
        headers: Optional[Mapping[str, str]] = None,
        body: Union[bytes, str, None] = None,
        cookies: Optional[Mapping[str, str]] = None,
    ) -> None:
        super().__init__()
        self.method = method
        self.url = url
        self.headers = (
            headers
            if isinstance(headers, CaseInsensitiveDict)
            else CaseInsensitiveDict(headers or {})
        )
        self.body = body
        if cookies is not None:  # requests-cache 1.x accepted the request's cookies
            if not isinstance(cookies, RequestsCookieJar):
                cookies = cookiejar_from_dict(dict(cookies))  # type: ignore[no-untyped-call]
            self._cookies = cookies

    @classmethod
    def from_request(cls, request: Any) -> CachedRequest:
        """A copy of a `requests.PreparedRequest` (or a `requests.Request`, prepared first)."""
        if isinstance(request, CachedRequest):
            return request
        if isinstance(request, Request):
            request = request.prepare()
        copy = cls(
            method=request.method or 'GET',
            url=request.url or '',
            headers=CaseInsensitiveDict(request.headers or {}),
            body=request.body,
        )
        cookies = getattr(request, '_cookies', None)
        if cookies is not None:
            copy._cookies = cookies
        return copy

    @property
    def cookies(self) -> Any:
        """The request's cookie jar (1.x name for `requests.PreparedRequest`'s ``_cookies``)."""
        return self._cookies

    def prepare(self, *args: Any, **kwargs: Any) -> Any:
        """With no arguments (requests-cache 1.x), a new `requests.PreparedRequest` copy of this
        stored request; with arguments, `requests.PreparedRequest.prepare`."""
        if args or kwargs:
            return super().prepare(*args, **kwargs)
        prepared = PreparedRequest()
        prepared.prepare(method=self.method, url=self.url, headers=self.headers, data=self.body)
        return prepared

    def __repr__(self) -> str:
        return f'<CachedRequest [{self.method}] {self.url}>'


logger = logging.getLogger(__name__)
