"""Response and request objects served from the cache."""

from typing import Union

from requests import PreparedRequest, Request

# requests-cache 1.x names, importable from here as in 1.x, kept out of __all__
from .base import RichMixin as RichMixin
from .raw import CachedHTTPResponse
from .request import CachedRequest
from .response import CachedResponse, add_cache_attributes, utcnow
from .response import DecodedContent as DecodedContent
from .response import OriginalResponse as OriginalResponse

__all__ = [
    'CachedHTTPResponse',
    'CachedRequest',
    'CachedResponse',
    'add_cache_attributes',
    'utcnow',
]

#: Any response a session returns (1.x name).
AnyResponse = Union[OriginalResponse, CachedResponse]
#: Any request the key functions take (1.x name).
AnyRequest = Union[Request, PreparedRequest, CachedRequest]
#: A prepared or stored request (1.x name).
AnyPreparedRequest = Union[PreparedRequest, CachedRequest]
