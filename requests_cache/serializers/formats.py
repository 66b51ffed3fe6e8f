"""Named serialization formats, and the ``serializer=`` argument resolved into a pipeline.

=================  ===============================================================  ========
name               what it stores                                                   safe [1]
=================  ===============================================================  ========
binary             default: msgpack metadata frame followed by the raw body bytes   yes
json               one JSON document; bodies as text when they are UTF-8, else b64  yes
yaml               the JSON shape as YAML (safe_dump / safe_load only)              yes
bson               BSON (pymongo's ``bson``); bodies as raw binary                  yes
json_document      the JSON shape as a dict, for MongoDB                            yes
bson_document      the entry dict with raw bytes, for MongoDB                       yes
dynamodb_document  the entry dict with Decimal numbers, for DynamoDB                yes
pickle             the entry dict, pickled: opt in only, and sign it (``secret_key``)  no
=================  ===============================================================  ========

[1] Safe means loading a blob that an attacker wrote cannot run code: the decoder only builds
plain values, and the entry shape is checked before a response is built from it.
"""

from __future__ import annotations

import copy
import pickle
import struct
import threading
from collections.abc import Sequence
from typing import Any, Optional, Union

import msgpack

from ..errors import ConfigurationError
from .chunks import ChunkedBlob, SliceBlob, StoredBlob, joined
from .compression import compressed
from .documents import bson_document, bson_serializer, dynamodb_document
from .json_libs import orjson_serializer, ujson_serializer
from .lazy import LazyPipeline
from .pipeline import SerializerPipeline, Stage
from .signing import SecretKey, signed
from .text import json_document, json_serializer, yaml_serializer

__all__ = [
    'SERIALIZERS',
    'binary_serializer',
    'init_serializer',
    'pickle_serializer',
]

# Metadata length, body length. The body length makes a blob cut short a DecodeError instead of
# a response with a shorter body.
_FRAME_HEADER = struct.Struct('>IQ')


_packers = threading.local()


def _packer() -> Any:
    # msgpack.packb builds a new Packer (and its buffer) per call, which is a measurable share of a
    # small entry's time; a Packer is not safe to share between threads, so keep one per thread.
    try:
        return _packers.packer
    except AttributeError:
        _packers.packer = msgpack.Packer(use_bin_type=True)
        return _packers.packer


def _frame_dumps(entry: dict[str, Any]) -> tuple[bytes, bytes, bytes]:
    # The body stays outside msgpack so it is never re-encoded; the pipeline copies it once when
    # it joins these chunks behind the tag. The entry is the pipeline's own fresh dict, so the
    # body is popped in place: a copy of the dict is a measurable share of a 1 KiB dumps.
    body = entry.pop('body')
    packed = _packer().pack(entry)
    return (_FRAME_HEADER.pack(len(packed), len(body)), packed, body)


def _frame_loads(blob: Any) -> dict[str, Any]:
    # The pipeline hands this stage a memoryview already; only other callers pay for a new one.
    view = blob if isinstance(blob, memoryview) else memoryview(blob)
    meta_length, body_length = _FRAME_HEADER.unpack_from(view)
    end = _FRAME_HEADER.size + meta_length
    if end + body_length != len(view):
        raise ValueError('frame lengths do not match the blob (truncated or padded)')
    meta = msgpack.unpackb(view[_FRAME_HEADER.size : end], raw=False, strict_map_key=True)
    if not isinstance(meta, dict):
        raise ValueError('metadata frame is not a map')
    meta['body'] = bytes(view[end:])
    return meta


def _frame_lazy(stored: StoredBlob, start: int, end: int) -> dict[str, Any]:
    # _frame_loads for a value still in storage: the metadata is read, the body left in place.
    meta_length, body_length = _FRAME_HEADER.unpack(stored.read_at(start, _FRAME_HEADER.size))
    body_start = start + _FRAME_HEADER.size + meta_length
    if body_start + body_length != end:
        raise ValueError('frame lengths do not match the blob (truncated or padded)')
    packed = stored.read_at(start + _FRAME_HEADER.size, meta_length)
    meta = msgpack.unpackb(packed, raw=False, strict_map_key=True)
    if not isinstance(meta, dict):
        raise ValueError('metadata frame is not a map')
    meta['body'] = SliceBlob(stored, body_start, end)
    return meta


def _frame_stream(entry: dict[str, Any]) -> ChunkedBlob:
    # _frame_dumps for a body kept in a file: the same header and metadata, then the file.
    body: ChunkedBlob = entry.pop('body')
    packed = _packer().pack(entry)
    return joined(_FRAME_HEADER.pack(len(packed), len(body)) + packed, body)


#: The default format: safe to load from untrusted storage, and at least as fast as pickle.
binary_serializer = SerializerPipeline(
    [
        Stage(
            dumps=_frame_dumps,
            loads=_frame_loads,
            name='msgpack-frame',
            stream=_frame_stream,
            lazy=_frame_lazy,
        )
    ],
    'binary',
    version=3,
)

#: Pickle: loading it runs code chosen by whoever wrote the blob. Opt in only, and sign it.
pickle_serializer = SerializerPipeline(
    [Stage(dumps=lambda d: pickle.dumps(d, protocol=5), loads=pickle.loads, name='pickle')],
    'pickle',
    safe=False,
)

#: Format names for ``serializer=``; formats that need an optional library load it on first use.
SERIALIZERS: dict[str, SerializerPipeline] = {
    'binary': binary_serializer,
    'bson': bson_serializer,
    'bson_document': bson_document,
    'dynamodb_document': dynamodb_document,
    'json': json_serializer,
    'json_document': json_document,
    'orjson': orjson_serializer,
    'pickle': pickle_serializer,
    'ujson': ujson_serializer,
    'yaml': yaml_serializer,
}


def init_serializer(
    serializer: Any = None,
    decode_content: Optional[bool] = None,
    *,
    compress: Optional[str] = None,
    secret_key: Union[SecretKey, Sequence[SecretKey], None] = None,
    strict: bool = False,
) -> SerializerPipeline:
    """Resolve the ``serializer=`` argument: None (the default), a name, or a pipeline.

    Args:
        serializer: A format name from `SERIALIZERS`, a pipeline, or None for ``binary``. As in
            requests-cache 1.x, a `Stage` or any object with ``dumps`` and ``loads`` (such as the
            ``pickle`` module) is made into a pipeline of its own.
        decode_content: requests-cache 1.x's option to store bodies decoded; accepted, and a
            no-op: see `SerializerPipeline.set_decode_content`.
        compress: ``'zlib'`` or ``'zstd'`` to compress the blob (binary pipelines only).
        secret_key: Sign blobs with this key; a list rotates keys (the first signs, all verify).
        strict: Raise `StorageError` for unreadable blobs instead of a logged miss.

    Returns:
        The pipeline to store responses with.

    Raises:
        ConfigurationError: The name is unknown; the message lists the known ones.
        MissingDependencyError: The format needs an optional package that is not installed.
    """
    pipeline = _resolve(serializer)
    if decode_content is not None and decode_content != pipeline.decode_content:
        pipeline = pipeline.copy()  # never change a shared module-level pipeline
        pipeline.set_decode_content(decode_content)
    if compress:
        pipeline = compressed(pipeline, compress)
    if secret_key:
        return signed(pipeline, secret_key, strict=strict)
    if strict and not pipeline.strict:
        # A copy, so the shared module-level pipelines never change under other sessions.
        pipeline = copy.copy(pipeline)
        pipeline.strict = True
    return pipeline


def _resolve(serializer: Any) -> SerializerPipeline:
    if serializer is None:
        return binary_serializer
    if isinstance(serializer, LazyPipeline):
        return serializer.load()  # a missing library is reported here, when the cache is made
    if isinstance(serializer, SerializerPipeline):
        return serializer
    if isinstance(serializer, str) and serializer in SERIALIZERS:
        found = SERIALIZERS[serializer]
        return found.load() if isinstance(found, LazyPipeline) else found
    if (
        not isinstance(serializer, str)
        and hasattr(serializer, 'dumps')
        and hasattr(serializer, 'loads')
    ):
        # requests-cache 1.x: serializer=pickle, or any object with dumps() and loads()
        return SerializerPipeline([serializer])
    raise ConfigurationError(
        f'serializer={serializer!r} is not valid; allowed: None, a SerializerPipeline, an object '
        f'with dumps() and loads(), or one of {sorted(SERIALIZERS)}'
    )
