"""Serializers: pipelines of stages that turn responses into tagged blobs and back."""

from typing import Any, Union

# requests-cache 1.x names, importable from here as in 1.x, kept out of __all__
from .cattrs import CattrStage as CattrStage
from .compression import compressed
from .documents import bson_document, bson_serializer, dynamodb_document
from .entry import DecodeError
from .formats import SERIALIZERS, binary_serializer, init_serializer, pickle_serializer
from .json_libs import orjson_serializer as orjson_serializer
from .json_libs import ujson_serializer as ujson_serializer
from .pipeline import SerializerPipeline, Stage
from .preconf import bson_document_serializer as bson_document_serializer
from .preconf import dict_serializer as dict_serializer
from .preconf import dynamodb_document_serializer as dynamodb_document_serializer
from .preconf import safe_pickle_serializer as safe_pickle_serializer
from .preconf import utf8_encoder as utf8_encoder
from .preconf import utf8_serializer as utf8_serializer
from .signing import SignedPipeline, signed, warn_if_unsafe
from .text import json_document, json_serializer, yaml_serializer

__all__ = [
    'SERIALIZERS',
    'DecodeError',
    'SerializerPipeline',
    'SignedPipeline',
    'Stage',
    'binary_serializer',
    'bson_document',
    'bson_serializer',
    'compressed',
    'dynamodb_document',
    'init_serializer',
    'json_document',
    'json_serializer',
    'pickle_serializer',
    'signed',
    'warn_if_unsafe',
    'yaml_serializer',
]

#: What ``serializer=`` accepts (1.x name): a format name, a pipeline, a stage, or any object
#: with ``dumps`` and ``loads``.
SerializerType = Union[str, SerializerPipeline, Stage, Any]
