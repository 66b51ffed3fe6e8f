"""requests-cache 1.x's stages and serializers, at their 1.x path, built on our formats.

A 1.x "preconf stage" prepared the response dict for one format (bytes to text for JSON, floats
to Decimal for DynamoDB...); here each is the stage our own format of that kind uses, so custom
pipelines written for 1.x, such as ``SerializerPipeline([yaml_preconf_stage, Stage(yaml,
dumps='safe_dump', loads='safe_load')])``, store the same readable documents. Formats whose
library is optional load it on first use and raise `MissingDependencyError` if it is missing.
"""

from __future__ import annotations

from typing import Any

from ..errors import MissingDependencyError
from .cattrs import CattrStage
from .documents import bson_document, bson_serializer, dynamodb_document
from .formats import init_serializer, pickle_serializer
from .json_libs import orjson_serializer, ujson_serializer
from .pipeline import SerializerPipeline, Stage
from .text import json_serializer, text_fields_stage, yaml_serializer

__all__ = [
    'base_stage',
    'bson_document_serializer',
    'bson_preconf_stage',
    'bson_serializer',
    'convert_float_stage',
    'dict_serializer',
    'dynamodb_document_serializer',
    'dynamodb_preconf_stage',
    'json_preconf_stage',
    'json_serializer',
    'make_stage',
    'orjson_preconf_stage',
    'orjson_serializer',
    'pickle_serializer',
    'safe_pickle_serializer',
    'signer_stage',
    'ujson_preconf_stage',
    'ujson_serializer',
    'utf8_encoder',
    'utf8_serializer',
    'yaml_preconf_stage',
    'yaml_serializer',
]

#: Formats whose documents are text: their preconf stage turns bytes fields into text or base64.
_TEXT_MODULES = ('json', 'ujson', 'orjson', 'pyyaml', 'yaml', 'tomlkit')


def make_stage(preconf_module: str, b64: bool = False, **kwargs: Any) -> Any:
    """The stage that prepares a response dict for the format named by a cattrs preconf module
    (``'cattr.preconf.json'``...): bytes fields as text or base64 for text formats, unchanged
    for binary ones. ``b64`` and ``kwargs`` are accepted for 1.x callers."""
    module = preconf_module.rsplit('.', 1)[-1]
    return text_fields_stage if module in _TEXT_MODULES else CattrStage(**kwargs)


#: The response <-> dict step every pipeline starts with (1.x name).
base_stage = CattrStage()
#: Prepares the response dict for JSON: bytes as text when UTF-8, else base64 (1.x name).
json_preconf_stage = text_fields_stage
#: The same, for ujson (1.x name).
ujson_preconf_stage = text_fields_stage
#: The same, for orjson (1.x name).
orjson_preconf_stage = text_fields_stage
#: The same, for YAML (1.x name).
yaml_preconf_stage = text_fields_stage
#: Prepares the response dict for BSON, which stores bytes as binary: nothing to do (1.x name).
bson_preconf_stage = CattrStage()
#: Prepares the response dict for DynamoDB: see `convert_float_stage` (1.x name).
dynamodb_preconf_stage = CattrStage()
#: Floats as `Decimal` and bytes as binary, which DynamoDB requires (1.x name).
convert_float_stage = dynamodb_document.stages[0]
#: Encodes text to UTF-8 bytes, and back (1.x name).
utf8_encoder = Stage(
    dumps=lambda value: value.encode('utf-8') if isinstance(value, str) else value,
    loads=lambda value: bytes(value).decode('utf-8'),
    name='utf8',
)
#: `utf8_encoder` as a pipeline (1.x name): place it after a stage that returns text.
utf8_serializer = SerializerPipeline([utf8_encoder], 'utf8')
#: The response dict itself, as a document (1.x name).
dict_serializer = SerializerPipeline([base_stage], 'dict', is_binary=False)
#: The response dict with bytes left as bytes, for MongoDB (1.x name; ``bson_document``).
bson_document_serializer = bson_document
#: The response dict with floats as Decimal, for DynamoDB (1.x name; ``dynamodb_document``).
dynamodb_document_serializer = dynamodb_document


def signer_stage(secret_key: Any = None, salt: str = 'requests-cache') -> Stage:
    """A stage that signs blobs with `itsdangerous` and checks the signature on the way back.

    Raises:
        MissingDependencyError: itsdangerous is not installed.
    """
    try:
        from itsdangerous import Signer
    except ImportError as exc:
        raise MissingDependencyError('signer_stage()', 'security', 'itsdangerous') from exc
    return Stage(Signer(secret_key=secret_key, salt=salt), dumps='sign', loads='unsign')


def safe_pickle_serializer(
    secret_key: Any = None, salt: str = 'requests-cache', **kwargs: Any
) -> SerializerPipeline:
    """Pickle, signed with ``secret_key`` so that blobs nobody signed are never unpickled.

    Our signing (HMAC-SHA256 over the blob and its cache key; see
    `requests_cache.serializers.signing`) replaces 1.x's itsdangerous stage; ``salt`` is accepted
    for 1.x callers.

    Raises:
        ConfigurationError: ``secret_key`` is empty.
    """
    return init_serializer(pickle_serializer, secret_key=secret_key)
