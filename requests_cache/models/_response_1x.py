"""requests-cache 1.x names of `requests_cache.models.response`, kept for code written for 1.x.

1.x changed the class of every response from the network to ``OriginalResponse``; we never
reassign a live object's class, and give those responses the same attributes instead (see
`add_cache_attributes`). So `BaseResponse` and `OriginalResponse` are checked by behaviour:
``isinstance(response, OriginalResponse)`` is True for any response a session fetched from the
network, and ``isinstance(response, BaseResponse)`` for any response a session returned.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Optional, Union
from urllib.parse import urljoin

from requests import PreparedRequest, Request, Response

__all__ = [
    'DATETIME_FORMAT',
    'BaseResponse',
    'DecodedContent',
    'OriginalResponse',
    'format_datetime',
    'format_file_size',
]

#: The datetime format of `format_datetime` (1.x name).
DATETIME_FORMAT = '%Y-%m-%d %H:%M:%S %Z'

#: A decoded JSON body (1.x name): any JSON value.
DecodedContent = Union[dict[str, Any], list[Any], str, bool, int, float, None]


class _ByCacheAttributes(type):
    """``isinstance`` by the cache attributes a response carries, not by its class."""

    def __instancecheck__(cls, instance: Any) -> bool:
        if not isinstance(instance, Response) or not hasattr(instance, 'from_cache'):
            return False
        return cls.__name__ == 'BaseResponse' or not instance.from_cache

    def __subclasscheck__(cls, subclass: type) -> bool:
        from .response import CachedResponse

        if not issubclass(subclass, Response):
            return False
        return cls.__name__ == 'BaseResponse' or not issubclass(subclass, CachedResponse)


class BaseResponse(Response, metaclass=_ByCacheAttributes):
    """Any response a `CachedSession` returns (1.x name): it has the cache attributes.

    Attributes:
        from_cache: True if it was served from the cache.
        created_at: When the origin's response was received.
        expires: When it stops being fresh, or None.
        cache_key: The key it is stored under ('' if it was not stored).
        revalidated: True if the origin confirmed a stored response during this request.
        is_expired: True once ``expires`` has passed.
    """

    from_cache: bool = False
    created_at: datetime
    expires: Optional[datetime] = None
    cache_key: str = ''
    revalidated: bool = False
    is_expired: bool = False


class OriginalResponse(BaseResponse):
    """A response a `CachedSession` fetched from the network (1.x name): ``from_cache`` is False."""

    def __init__(self) -> None:
        super().__init__()
        from .response import add_cache_attributes

        add_cache_attributes(self, created_at=None)

    @classmethod
    def wrap_response(cls, response: Response, actions: Any = None) -> Response:
        """Give a response from the network the cache attributes (1.x name); the response
        itself is returned, with its class unchanged.

        Args:
            response: The response.
            actions: The 1.x `requests_cache.policy.CacheActions` for it: unless it skipped the
                write, ``expires`` and ``cache_key`` are taken from it.
        """
        from .response import add_cache_attributes

        stored = actions is not None and not getattr(actions, 'skip_write', True)
        add_cache_attributes(
            response,
            cache_key=actions.cache_key if stored else '',
            expires=actions.expires if stored else None,
        )
        return response


def format_datetime(value: Optional[datetime]) -> str:
    """``value`` in the local time zone as ``DATETIME_FORMAT``, or ``'N/A'`` for None."""
    if not value:
        return 'N/A'
    return value.astimezone().strftime(DATETIME_FORMAT)


def format_file_size(n_bytes: Optional[int]) -> str:
    """A size in bytes for people: ``'512 bytes'``, ``'1.50 KiB'``, ... up to GiB."""
    size = float(n_bytes or 0)
    for unit in ('bytes', 'KiB', 'MiB'):
        if size < 1024:
            return f'{int(size)} bytes' if unit == 'bytes' else f'{size:.2f} {unit}'
        size /= 1024
    return f'{size:.2f} GiB'


def redirect_request(response: Response) -> Optional[PreparedRequest]:
    """The request that follows a stored redirect (``response.next``), or None.

    Built from the ``Location`` header and the stored request, with the method rules requests
    itself applies (RFC 9110 §15.4: 303 becomes GET, and so does a POST answered by 301 or 302).
    """
    location = response.headers.get('Location')
    if not response.is_redirect or not location:
        return None
    stored = response.request
    method = (stored.method if stored is not None else None) or 'GET'
    if (response.status_code == 303 and method != 'HEAD') or (
        response.status_code in (301, 302) and method == 'POST'
    ):
        method = 'GET'
    headers = dict(stored.headers) if stored is not None else {}
    if method == 'GET' and (stored is None or stored.method != 'GET'):
        for name in ('Content-Type', 'Content-Length', 'Transfer-Encoding'):
            headers.pop(name, None)
    return Request(method, urljoin(response.url or '', location), headers=headers).prepare()


def expiry_from(value: Any) -> Optional[datetime]:
    """An ``expires`` value as an aware datetime: naive ones are UTC, as in 1.x."""
    from datetime import timezone

    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value  # type: ignore[no-any-return]


def seconds(value: Union[timedelta, float, int, None]) -> float:
    """An ``elapsed`` value as seconds."""
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value or 0)
