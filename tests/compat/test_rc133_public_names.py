"""Every public name of requests-cache 1.3.3 imports from its place, as the same kind of object.

The list is generated from 1.3.3 itself (``data/generate_rc133_names.py``) and committed in
``data/rc133_public_names.json``. A class must still be a class with the same outside bases
(``requests.Session``, ``requests.Response``...), a function still callable with every parameter
name 1.x had, a constant still equal, unless `DIFFERENT_VALUES` names a deliberate difference
(also listed in docs/migration.md).
"""

from __future__ import annotations

import importlib
import inspect
import json
import logging
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

DATA = json.loads((Path(__file__).parent / 'data' / 'rc133_public_names.json').read_text())
ENTRIES = [
    (module, name, spec)
    for module, names in sorted(DATA['modules'].items())
    for name, spec in sorted(names.items())
]

#: Constants whose value differs from 1.x on purpose: (module, name) -> reason.
DIFFERENT_VALUES = {
    (module, name): "our default also keeps 'Cookie' out of keys and storage"
    for module in ('requests_cache', 'requests_cache.policy', 'requests_cache.policy.settings')
    for name in ('AUTH_HEADERS', 'DEFAULT_IGNORED_PARAMS')
}
#: Outside bases a class no longer has: (class name, base) -> reason.
DIFFERENT_BASES = {
    ('CachedHTTPResponse', 'urllib3.response.HTTPResponse'): (
        "a light reader over the stored body with urllib3's reading API, not an HTTPResponse"
    ),
}
#: 1.x parameters that a name no longer takes: (module, name, parameter) -> reason.
DROPPED_PARAMETERS: dict[tuple[str, str, str], str] = {}


def _resolve(dotted: str) -> Any:
    module, _, name = dotted.rpartition('.')
    return getattr(importlib.import_module(module), name)


def _check_class(value: Any, spec: dict[str, Any]) -> None:
    assert inspect.isclass(value), f'{value!r} is not a class'
    for base in spec['bases']:
        if (value.__name__, base) in DIFFERENT_BASES:
            continue
        assert issubclass(value, _resolve(base)), f'{value!r} is not a subclass of {base}'


def _check_function(value: Any, module: str, name: str, spec: dict[str, Any]) -> None:
    assert callable(value) and not inspect.isclass(value), f'{value!r} is not a function'
    parameters = inspect.signature(value).parameters
    takes_any = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
    for parameter in spec['parameters']:
        if (module, name, parameter) in DROPPED_PARAMETERS:
            continue
        assert parameter in parameters or takes_any, f'{name}() does not take {parameter!r}'


def _check_constant(value: Any, module: str, name: str, spec: dict[str, Any]) -> None:
    expected = spec['value']
    assert type(value).__name__ == expected['type'] or (
        expected['type'] == 'int' and isinstance(value, int)  # our special values are IntEnums
    ), f'{name} is a {type(value).__name__}, 1.x had a {expected["type"]}'
    if (module, name) in DIFFERENT_VALUES:
        return
    plain = sorted(value) if isinstance(value, (set, frozenset)) else value
    plain = list(plain) if isinstance(plain, tuple) else plain
    assert plain == expected['json']


def _check_object(value: Any, spec: dict[str, Any]) -> None:
    if spec['type'] == 'dict':
        assert isinstance(value, Mapping)
        return
    names = {cls.__name__ for cls in type(value).__mro__}
    assert spec['type'] in names or (spec['type'] == 'CattrStage' and 'Stage' in names), (
        f'{value!r} is a {type(value).__name__}, 1.x had a {spec["type"]}'
    )


@pytest.mark.parametrize(
    ('module', 'name', 'spec'), ENTRIES, ids=[f'{m}.{n}' for m, n, _ in ENTRIES]
)
def test_public_name(module: str, name: str, spec: dict[str, Any]) -> None:
    """A requests-cache 1.3.3 public name imports from its 1.x module, as the same kind of thing."""
    value = getattr(importlib.import_module(module), name)
    kind = spec['kind']
    if kind == 'class':
        _check_class(value, spec)
    elif kind == 'function':
        _check_function(value, module, name, spec)
    elif kind == 'constant':
        _check_constant(value, module, name, spec)
    elif kind == 'logger':
        assert isinstance(value, logging.Logger)
    elif kind == 'object':
        _check_object(value, spec)
    else:
        assert kind == 'type' and value is not None


def test_the_list_is_1x_complete() -> None:
    """The committed list is the full 1.3.3 surface: every module, and the names of issue 13."""
    assert DATA['version'] == '1.3.3'
    assert len(DATA['modules']) == 26
    top = DATA['modules']['requests_cache']
    for name in ('RedisCache', 'ALL_METHODS', 'utcnow', 'json_serializer', 'SQLiteDict'):
        assert name in top
    assert 'OriginalSession' in DATA['modules']['requests_cache.session']
    assert 'format_file_size' in DATA['modules']['requests_cache.models.response']


def test_import_does_not_load_optional_drivers() -> None:
    """`import requests_cache` and its 1.x names load no redis, pymongo, boto3 or yaml; a
    backend's 1.x name loads its own driver only when it is looked up."""
    script = textwrap.dedent(
        """
        import sys
        import requests_cache
        from requests_cache import ALL_METHODS, CachedSession, SQLiteDict, FileCache
        from requests_cache import yaml_serializer, bson_serializer, json_serializer, utcnow
        from requests_cache.backends import BACKEND_CLASSES
        drivers = ('redis', 'pymongo', 'bson', 'gridfs', 'boto3', 'botocore', 'yaml')
        print(','.join(m for m in drivers if m in sys.modules) or 'none')
        from requests_cache import RedisCache
        print(','.join(m for m in drivers if m in sys.modules) or 'none')
        """
    )
    result = subprocess.run(
        [sys.executable, '-c', script], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == ['none', 'redis'], result.stderr
