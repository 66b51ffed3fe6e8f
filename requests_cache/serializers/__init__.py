"""Serializers: pipelines of stages that turn responses into tagged blobs and back."""

from .compression import compressed
from .documents import bson_document, bson_serializer, dynamodb_document
from .entry import DecodeError
from .formats import SERIALIZERS, binary_serializer, init_serializer, pickle_serializer
from .pipeline import SerializerPipeline, Stage
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
