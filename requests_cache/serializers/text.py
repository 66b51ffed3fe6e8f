"""Text formats: JSON, YAML, and the JSON-shaped document for document stores.

Byte fields (the response body, a bytes request body) become ``{'text': ...}`` when they are
UTF-8, so a stored entry stays readable, and ``{'base64': ...}`` otherwise; both read back
byte-exact.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Union

from ..errors import MissingDependencyError
from .lazy import LazyPipeline
from .pipeline import SerializerPipeline, Stage

__all__ = ['json_document', 'json_serializer', 'text_fields_stage', 'yaml_serializer']


def _to_text_fields(entry: dict[str, Any]) -> dict[str, Any]:
    converted = dict(entry)
    converted['body'] = _encode_bytes(entry['body'])
    converted['request'] = {**entry['request'], 'body': _encode_bytes(entry['request']['body'])}
    if 'history' in entry:
        converted['history'] = [_to_text_fields(hop) for hop in entry['history']]
    return converted


def _from_text_fields(doc: dict[str, Any]) -> dict[str, Any]:
    converted = dict(doc)
    converted['body'] = _decode_bytes(doc['body'])
    converted['request'] = {**doc['request'], 'body': _decode_bytes(doc['request']['body'])}
    if 'history' in doc:
        converted['history'] = [_from_text_fields(hop) for hop in doc['history']]
    return converted


def _encode_bytes(value: Union[bytes, str, None]) -> Any:
    if not isinstance(value, bytes):
        return value
    try:
        return {'text': value.decode('utf-8')}
    except UnicodeDecodeError:
        return {'base64': base64.b64encode(value).decode('ascii')}


def _decode_bytes(value: Any) -> Union[bytes, str, None]:
    if isinstance(value, dict):
        if 'text' in value:
            return _expect_str(value['text']).encode('utf-8')
        return base64.b64decode(_expect_str(value['base64']), validate=True)
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f'unexpected stored body type {type(value).__name__}')


def _expect_str(value: Any) -> str:
    # str(value) would quietly turn a tampered number into a body; refuse instead.
    if not isinstance(value, str):
        raise TypeError(f'expected a string, got {type(value).__name__}')
    return value


#: Converts bytes fields to text: the first stage of every text or document format.
text_fields_stage = Stage(dumps=_to_text_fields, loads=_from_text_fields, name='text-fields')


def _json_dumps(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode('utf-8')


def _json_loads(data: Any) -> Any:
    # json.loads does not take a memoryview; a str comes from a 1.x utf8_encoder stage.
    return json.loads(data if isinstance(data, str) else bytes(data))


#: Human-readable JSON; bodies as text when they are UTF-8, else base64.
json_serializer = SerializerPipeline(
    [text_fields_stage, Stage(dumps=_json_dumps, loads=_json_loads, name='json')], 'json'
)

#: The JSON shape as a dict, for document stores (MongoDB) where fields stay queryable.
json_document = SerializerPipeline([text_fields_stage], 'json_document', is_binary=False)

# safe_dump(explicit_end=True) ends every document with this marker; requiring it on the way
# back turns a blob truncated at a line boundary (still valid YAML) into a DecodeError.
_YAML_END = b'\n...\n'


def _yaml_pipeline() -> SerializerPipeline:
    """Build the YAML pipeline: safe_dump/safe_load only, never the full (code-running) loader.

    Returns:
        The ``yaml`` pipeline.

    Raises:
        MissingDependencyError: PyYAML is not installed.
    """
    try:
        import yaml
    except ImportError as exc:
        raise MissingDependencyError('yaml serializer', 'yaml', 'pyyaml') from exc
    # The C implementations are the same safe subset, only faster.
    dumper = getattr(yaml, 'CSafeDumper', yaml.SafeDumper)
    loader = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)

    def dumps(doc: dict[str, Any]) -> bytes:
        text = yaml.dump(doc, Dumper=dumper, allow_unicode=True, explicit_end=True)
        return text.encode('utf-8')

    def loads(data: Any) -> Any:
        raw = data.encode('utf-8') if isinstance(data, str) else bytes(data)
        if not raw.endswith(_YAML_END):
            raise ValueError('YAML document is truncated (no end marker)')
        return yaml.load(raw, Loader=loader)  # a SafeLoader: builds plain values only

    return SerializerPipeline(
        [text_fields_stage, Stage(dumps=dumps, loads=loads, name='yaml')], 'yaml'
    )


#: YAML (safe_dump / safe_load only); PyYAML is imported when the format is first used.
yaml_serializer = LazyPipeline('yaml', _yaml_pipeline)
