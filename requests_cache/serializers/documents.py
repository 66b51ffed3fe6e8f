"""BSON, and document shapes for MongoDB and DynamoDB.

Document pipelines (``is_binary=False``) return a dict that the backend stores as a native
document, so fields such as ``url``, ``status`` or ``expires`` can be queried in the database.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..errors import MissingDependencyError
from .lazy import LazyPipeline
from .pipeline import SerializerPipeline, Stage

__all__ = ['bson_document', 'bson_serializer', 'dynamodb_document']


def _bson_pipeline() -> SerializerPipeline:
    """Build the BSON pipeline (pymongo's ``bson``); bodies stay raw binary.

    Returns:
        The ``bson`` pipeline.

    Raises:
        MissingDependencyError: pymongo is not installed.
    """
    try:
        import bson
    except ImportError as exc:
        raise MissingDependencyError('bson serializer', 'mongodb', 'pymongo') from exc

    def loads(data: Any) -> Any:
        return bson.decode(bytes(data))

    return SerializerPipeline([Stage(dumps=bson.encode, loads=loads, name='bson')], 'bson')


def _unwrap_binary(value: Any) -> Any:
    # pymongo decodes generic binary to bytes, but other subtypes arrive as bson.Binary (a bytes
    # subclass); boto3 wraps binary attributes in an object with a ``.value``.
    if isinstance(value, bytes):
        return bytes(value)
    inner = getattr(value, 'value', None)
    return inner if isinstance(inner, bytes) else value


def _from_document(entry: dict[str, Any]) -> dict[str, Any]:
    converted = dict(entry)
    converted['body'] = _unwrap_binary(entry['body'])
    converted['request'] = {**entry['request'], 'body': _unwrap_binary(entry['request']['body'])}
    if 'history' in entry:
        converted['history'] = [_from_document(hop) for hop in entry['history']]
    return converted


#: BSON (pymongo's ``bson``); pymongo is imported when the format is first used.
bson_serializer = LazyPipeline('bson', _bson_pipeline)


#: The entry dict with bytes left as bytes, which MongoDB stores as BSON binary.
bson_document = SerializerPipeline(
    [Stage(dumps=dict, loads=_from_document, name='bson-document')],
    'bson_document',
    is_binary=False,
)


def _to_dynamodb(value: Any) -> Any:
    # DynamoDB rejects Python floats; Decimal(repr(f)) keeps the shortest exact spelling, so
    # float(...) on the way back returns the same float.
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _to_dynamodb(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_dynamodb(v) for v in value]
    return value


def _from_dynamodb(value: Any) -> Any:
    # boto3 returns every number as a Decimal: integral ones were ints (status, version) or
    # whole-second timestamps, which the entry accepts as ints too.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamodb(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamodb(v) for v in value]
    return _unwrap_binary(value)


#: The entry dict with floats as Decimal and bytes as binary, as DynamoDB items require.
dynamodb_document = SerializerPipeline(
    [Stage(dumps=_to_dynamodb, loads=_from_dynamodb, name='dynamodb-document')],
    'dynamodb_document',
    is_binary=False,
)
