"""In-process cache: fast, gone when the process exits. Stores serialized bytes, not objects, so a
caller can never mutate what another caller will be served."""

from __future__ import annotations

from typing import Any, Union

from ..serializers import SerializerPipeline
from .base import BaseCache, DictStorage

__all__ = ['MemoryCache']


class MemoryCache(BaseCache):
    """A cache that lives in this process's memory.

    Args:
        cache_name: Only used in ``repr``.
        serializer: A serializer name or pipeline; the default binary format is the compact one.
    """

    def __init__(
        self,
        cache_name: str = 'memory',
        serializer: Union[str, SerializerPipeline, None] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(cache_name, serializer, **kwargs)
        self.responses = DictStorage()
        self.redirects = DictStorage()
