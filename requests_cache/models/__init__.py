"""Response and request objects served from the cache."""

from .raw import CachedHTTPResponse
from .request import CachedRequest
from .response import CachedResponse, add_cache_attributes, utcnow

__all__ = [
    'CachedHTTPResponse',
    'CachedRequest',
    'CachedResponse',
    'add_cache_attributes',
    'utcnow',
]
