"""`CachedHTTPResponse` at its requests-cache 1.x path (defined in `requests_cache.models.raw`)."""

from __future__ import annotations

import logging

from .raw import CachedHTTPResponse

__all__ = ['CachedHTTPResponse']

logger = logging.getLogger(__name__)
