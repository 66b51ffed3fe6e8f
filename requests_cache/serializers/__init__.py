"""Serializers: pipelines of stages that turn responses into tagged blobs and back."""

from .entry import DecodeError
from .formats import SERIALIZERS, binary_serializer, init_serializer, json_serializer
from .pipeline import SerializerPipeline, Stage

__all__ = [
    'SERIALIZERS',
    'DecodeError',
    'SerializerPipeline',
    'Stage',
    'binary_serializer',
    'init_serializer',
    'json_serializer',
]
