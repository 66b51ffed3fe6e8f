"""JSON through ujson or orjson instead of the standard library (requests-cache 1.x formats).

Both store the same document as ``json`` (bodies as text when UTF-8, else base64) under their own
format names, so a cache written with one library is never read with another by mistake. Each
library is imported when its format is first used.
"""

from __future__ import annotations

from typing import Any

from ..errors import MissingDependencyError
from .lazy import LazyPipeline
from .pipeline import SerializerPipeline, Stage
from .text import text_fields_stage

__all__ = ['orjson_serializer', 'ujson_serializer']


def _ujson_pipeline() -> SerializerPipeline:
    try:
        import ujson  # type: ignore[import-not-found, unused-ignore]
    except ImportError as exc:
        raise MissingDependencyError('ujson serializer', 'json', 'ujson') from exc

    def dumps(doc: dict[str, Any]) -> bytes:
        return ujson.dumps(doc, ensure_ascii=False).encode('utf-8')

    def loads(data: Any) -> Any:
        return ujson.loads(bytes(data))

    return SerializerPipeline(
        [text_fields_stage, Stage(dumps=dumps, loads=loads, name='ujson')], 'ujson'
    )


def _orjson_pipeline() -> SerializerPipeline:
    try:
        import orjson  # type: ignore[import-not-found, unused-ignore]
    except ImportError as exc:
        raise MissingDependencyError('orjson serializer', 'json', 'orjson') from exc
    return SerializerPipeline(
        [text_fields_stage, Stage(dumps=orjson.dumps, loads=orjson.loads, name='orjson')],
        'orjson',
    )


#: JSON through ujson (1.x format); ujson is imported when the format is first used.
ujson_serializer = LazyPipeline('ujson', _ujson_pipeline)
#: JSON through orjson (1.x format); orjson is imported when the format is first used.
orjson_serializer = LazyPipeline('orjson', _orjson_pipeline)
