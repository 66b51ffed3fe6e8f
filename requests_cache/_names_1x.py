"""requests-cache 1.x names at the package top level, resolved on first use.

requests-cache 1.x re-exported every public name of its submodules from ``requests_cache``;
code written for it imports them from there (``from requests_cache import RedisCache,
ALL_METHODS``). They stay out of our curated ``__all__`` and are looked up here when first
accessed, so ``import requests_cache`` loads no optional backend or format library. Each comes
from the module that defines it, where its documentation is.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ['NAMES_1X', 'resolve']

_SOURCES = {
    'requests_cache.backends': (
        'BACKEND_CLASSES BackendSpecifier CACHE_NAME_KWARGS DictStorage DynamoDbCache '
        'DynamoDbDict FileCache FileDict GridFSCache GridFSDict LRUFileDict MongoCache MongoDict '
        'RedisCache RedisDict RedisHashDict SQLiteDict StrOrPath'
    ),
    'requests_cache.cache_keys': (
        'normalize_body normalize_headers normalize_params normalize_request normalize_url'
    ),
    'requests_cache.models': (
        'AnyPreparedRequest AnyRequest AnyResponse DecodedContent OriginalResponse RichMixin'
    ),
    'requests_cache.policy': (
        'ALL_METHODS AUTH_HEADERS AUTH_PARAMS CacheActions CacheDirectives DEFAULT_CACHE_NAME '
        'DEFAULT_IGNORED_PARAMS DEFAULT_METHODS DEFAULT_STATUS_CODES ExpirationPattern '
        'ExpirationPatterns ExpirationTime FilterCallback HeaderDict KeyCallback add_tzinfo '
        'get_expiration_datetime get_expiration_seconds get_url_expiration set_request_headers '
        'utcnow'
    ),
    'requests_cache.serializers': (
        'CattrStage SERIALIZERS SerializerType bson_document_serializer bson_serializer '
        'dict_serializer dynamodb_document_serializer init_serializer json_serializer '
        'orjson_serializer pickle_serializer safe_pickle_serializer ujson_serializer '
        'utf8_encoder utf8_serializer yaml_serializer'
    ),
}

#: 1.x top-level name -> the module it is taken from.
NAMES_1X: dict[str, str] = {
    name: module for module, names in _SOURCES.items() for name in names.split()
}


def resolve(name: str) -> Any:
    """The object a 1.x top-level name refers to.

    Raises:
        AttributeError: ``name`` is not a requests-cache 1.x top-level name.
    """
    if name == 'logger':
        import logging

        return logging.getLogger('requests_cache')
    if name not in NAMES_1X:
        raise AttributeError(f"module 'requests_cache' has no attribute {name!r}")
    return getattr(importlib.import_module(NAMES_1X[name]), name)
