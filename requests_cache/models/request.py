"""The request that produced a stored response, as it was stored (redacted)."""

from __future__ import annotations

from typing import Optional, Union

from requests import PreparedRequest
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
        headers: Optional[CaseInsensitiveDict[str]] = None,
        body: Union[bytes, str, None] = None,
    ) -> None:
        super().__init__()
        self.method = method
        self.url = url
        self.headers = headers if headers is not None else CaseInsensitiveDict()
        self.body = body

    def __repr__(self) -> str:
        return f'<CachedRequest [{self.method}] {self.url}>'
