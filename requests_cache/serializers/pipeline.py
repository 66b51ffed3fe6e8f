"""Serializer pipelines: a response passes through a list of stages on its way to storage.

``dumps`` runs the stages in order and prefixes the result with the pipeline's tag; ``loads``
checks the tag, then runs the stages in reverse. Any failure on the way back is a `DecodeError`,
which the cache turns into a logged miss.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable

from ..models import CachedResponse
from .entry import DecodeError, entry_to_response, response_to_entry

__all__ = ['DecodeError', 'SerializerPipeline', 'Stage']


class Stage:
    """One reversible step of a pipeline.

    Args:
        dumps: Transforms a value toward storage.
        loads: Reverses ``dumps``.
        name: A short name for logs and ``repr``.
    """

    def __init__(
        self, dumps: Callable[[Any], Any], loads: Callable[[Any], Any], name: str = ''
    ) -> None:
        self.dumps = dumps
        self.loads = loads
        self.name = name or getattr(dumps, '__module__', 'stage')

    def __repr__(self) -> str:
        return f'Stage({self.name})'


class SerializerPipeline:
    """Turns a `CachedResponse` into a tagged blob (or document) and back.

    The first step is always the shared entry shape (see `requests_cache.serializers.entry`); the
    stages given here run after it.

    Args:
        stages: Steps from the entry dict toward storage.
        name: Format name; part of the tag, so a blob written by one format is never read by
            another.
        version: Format version; part of the tag.
        is_binary: True if the result is bytes; False for document formats (a dict).
    """

    def __init__(
        self, stages: Sequence[Stage], name: str, version: int = 1, is_binary: bool = True
    ) -> None:
        self.stages = tuple(stages)
        self.name = name
        self.version = version
        self.is_binary = is_binary
        self.tag = f'rc/{name}/{version}\n'
        self._tag_bytes = self.tag.encode()

    def dumps(self, response: CachedResponse) -> Any:
        """Serialize a response into a tagged blob (bytes) or document (dict)."""
        value: Any = response_to_entry(response)
        for stage in self.stages:
            value = stage.dumps(value)
        if self.is_binary:
            return self._tag_bytes + value
        return {'_format': self.tag, **value}

    def loads(self, blob: Any, cache_key: str = '') -> CachedResponse:
        """Deserialize a blob written by `dumps`.

        Raises:
            DecodeError: The blob has another tag, or is corrupt or of the wrong shape.
        """
        value = self._untag(blob)
        try:
            for stage in reversed(self.stages):
                value = stage.loads(value)
        except DecodeError:
            raise
        except Exception as exc:  # noqa: BLE001 - any decoder failure on foreign data is a miss
            raise DecodeError(f'{self.name} decoding failed: {exc!r}') from exc
        return entry_to_response(value, cache_key)

    def _untag(self, blob: Any) -> Any:
        if self.is_binary:
            if isinstance(blob, memoryview):
                blob = bytes(blob)
            if not isinstance(blob, bytes) or not blob.startswith(self._tag_bytes):
                raise DecodeError(f'not a {self.tag.strip()!r} blob: {_describe(blob)}')
            return blob[len(self._tag_bytes) :]
        if not isinstance(blob, dict) or blob.get('_format') != self.tag:
            raise DecodeError(f'not a {self.tag.strip()!r} document: {_describe(blob)}')
        return {k: v for k, v in blob.items() if k != '_format'}

    def __repr__(self) -> str:
        return f'SerializerPipeline({self.name!r}, version={self.version}, stages={self.stages})'


def _describe(blob: Any) -> str:
    if isinstance(blob, (bytes, bytearray)):
        return f'starts with {bytes(blob[:16])!r}'
    return f'a {type(blob).__name__}'
