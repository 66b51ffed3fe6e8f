"""Named serialization formats, and the ``serializer=`` argument resolved into a pipeline.

=========  =========================================================================  ========
name       what it stores                                                             safe [1]
=========  =========================================================================  ========
binary     default: msgpack metadata frame followed by the raw body bytes             yes
json       one JSON document; bodies as text when they are UTF-8, else base64         yes
pickle     the entry dict, pickled: opt in only, and sign it (``secret_key``)         no
=========  =========================================================================  ========

[1] Safe means loading a blob that an attacker wrote cannot run code: the decoder only builds
plain values, and the entry shape is checked before a response is built from it.
"""

from __future__ import annotations

import base64
import json
import pickle
import struct
from typing import Any, Callable, Union

import msgpack

from ..errors import ConfigurationError
from .pipeline import SerializerPipeline, Stage

__all__ = ['SERIALIZERS', 'binary_serializer', 'init_serializer', 'json_serializer']

_FRAME_HEADER = struct.Struct('>I')


def _frame_dumps(entry: dict[str, Any]) -> bytes:
    # The body stays outside msgpack so it is copied once and never re-encoded.
    meta = dict(entry)
    body = meta.pop('body')
    packed = msgpack.packb(meta, use_bin_type=True)
    return b''.join((_FRAME_HEADER.pack(len(packed)), packed, body))


def _frame_loads(blob: bytes) -> dict[str, Any]:
    (length,) = _FRAME_HEADER.unpack_from(blob)
    end = _FRAME_HEADER.size + length
    if end > len(blob):
        raise ValueError('metadata frame is longer than the blob')
    meta = msgpack.unpackb(blob[_FRAME_HEADER.size : end], raw=False, strict_map_key=True)
    if not isinstance(meta, dict):
        raise ValueError('metadata frame is not a map')
    meta['body'] = blob[end:]
    return meta


binary_serializer = SerializerPipeline([Stage(_frame_dumps, _frame_loads, 'msgpack-frame')], 'binary')


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
            return str(value['text']).encode('utf-8')
        return base64.b64decode(value['base64'], validate=True)
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f'unexpected stored body type {type(value).__name__}')


#: Converts bytes fields to text: the first stage of every text or document format.
text_fields_stage = Stage(_to_text_fields, _from_text_fields, 'text-fields')

json_serializer = SerializerPipeline(
    [
        text_fields_stage,
        Stage(lambda d: json.dumps(d, ensure_ascii=False).encode('utf-8'), json.loads, 'json'),
    ],
    'json',
)

pickle_serializer = SerializerPipeline(
    [Stage(lambda d: pickle.dumps(d, protocol=5), pickle.loads, 'pickle')], 'pickle'
)

SERIALIZERS: dict[str, Union[SerializerPipeline, Callable[[], SerializerPipeline]]] = {
    'binary': binary_serializer,
    'json': json_serializer,
    'pickle': pickle_serializer,
}


def init_serializer(serializer: Union[None, str, SerializerPipeline]) -> SerializerPipeline:
    """Resolve the ``serializer=`` argument: None (the default), a name, or a pipeline.

    Raises:
        ConfigurationError: The name is unknown; the message lists the known ones.
    """
    if serializer is None:
        return binary_serializer
    if isinstance(serializer, SerializerPipeline):
        return serializer
    if isinstance(serializer, str) and serializer in SERIALIZERS:
        found = SERIALIZERS[serializer]
        return found if isinstance(found, SerializerPipeline) else found()
    raise ConfigurationError(
        f'serializer={serializer!r} is not valid; allowed: None, a SerializerPipeline, '
        f'or one of {sorted(SERIALIZERS)}'
    )
