"""Generate ``rc133_public_names.json``: requests-cache 1.3.3's public names, from 1.3.3 itself.

Run ``python tests/compat/data/generate_rc133_names.py``: it installs requests-cache 1.3.3 (with
the optional libraries its backends and serializers import) into a throwaway virtual environment,
introspects the modules listed in ``MODULES`` there, and writes the JSON file beside this script.

A name is public in a module if it is in the module's ``__all__``, or it does not start with an
underscore and is defined there: a class or function whose ``__module__`` is that module, or a
value assigned at the module's top level. A package ``__init__`` re-exports its submodules, so for
a package, anything defined in its public submodules counts (names that leak from the private
``requests_cache._utils`` do not). ``EXTRA_NAMES`` adds names 1.x
documentation imports that the rule leaves out.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import logging
import subprocess
import sys
import tempfile
import typing
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
OUTPUT = HERE / 'rc133_public_names.json'
REQUIREMENTS = [
    'requests-cache==1.3.3',
    'pyyaml',
    'redis',
    'pymongo',
    'boto3',
    'itsdangerous',
    'ujson',
    'orjson',
]
MODULES = [
    'requests_cache',
    'requests_cache.backends',
    'requests_cache.backends.base',
    'requests_cache.backends.dynamodb',
    'requests_cache.backends.filesystem',
    'requests_cache.backends.gridfs',
    'requests_cache.backends.mongodb',
    'requests_cache.backends.redis',
    'requests_cache.backends.sqlite',
    'requests_cache.cache_keys',
    'requests_cache.models',
    'requests_cache.models.base',
    'requests_cache.models.raw_response',
    'requests_cache.models.request',
    'requests_cache.models.response',
    'requests_cache.patcher',
    'requests_cache.policy',
    'requests_cache.policy.actions',
    'requests_cache.policy.directives',
    'requests_cache.policy.expiration',
    'requests_cache.policy.settings',
    'requests_cache.serializers',
    'requests_cache.serializers.cattrs',
    'requests_cache.serializers.pipeline',
    'requests_cache.serializers.preconf',
    'requests_cache.session',
]
#: Imported by 1.x documentation, but neither in __all__ nor defined in their module.
EXTRA_NAMES = {'requests_cache.session': ['OriginalSession']}
#: Bases outside requests-cache that a 1.x class is checked against (subclass relations).
EXTERNAL_BASES = (
    'requests.sessions.Session',
    'requests.models.Response',
    'requests.models.Request',
    'requests.models.PreparedRequest',
    'urllib3.response.HTTPResponse',
    'collections.abc.MutableMapping',
    'builtins.Exception',
    'builtins.dict',
)


def main() -> None:
    """Install 1.3.3 into a throwaway venv and run the introspection there."""
    with tempfile.TemporaryDirectory() as tmp:
        python = Path(tmp) / 'bin' / 'python'
        subprocess.run([sys.executable, '-m', 'venv', tmp], check=True)
        subprocess.run([python, '-m', 'pip', 'install', '--quiet', *REQUIREMENTS], check=True)
        names = subprocess.run(
            [python, __file__, '--introspect'], check=True, capture_output=True, text=True
        ).stdout
    OUTPUT.write_text(names)
    count = sum(len(v) for v in json.loads(names)['modules'].values())
    print(f'wrote {count} names to {OUTPUT}')


def introspect() -> dict[str, Any]:
    """The public names of every module in ``MODULES``, with what kind of object each is."""

    assigned = _assigned_names()
    modules: dict[str, dict[str, Any]] = {}
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        is_package = hasattr(module, '__path__')
        names = set(getattr(module, '__all__', ()))
        for name, value in vars(module).items():
            if name.startswith('_') or inspect.ismodule(value):
                continue
            if _defined_in(value, name, module_name, is_package, assigned):
                names.add(name)
        names.update(EXTRA_NAMES.get(module_name, ()))
        modules[module_name] = {name: describe(getattr(module, name)) for name in sorted(names)}
    from importlib.metadata import version

    return {'version': version('requests-cache'), 'modules': modules}


def _assigned_names() -> dict[str, set[str]]:
    """Module name -> names assigned at its top level (constants, aliases, loggers)."""
    import requests_cache

    root = Path(requests_cache.__file__).parent
    result: dict[str, set[str]] = {}
    for path in root.rglob('*.py'):
        parts = path.relative_to(root.parent).with_suffix('').parts
        module = '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)
        tree = ast.parse(path.read_text())
        targets: set[str] = set()
        for node in tree.body:
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    targets.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                targets.add(node.target.id)
            elif isinstance(node, ast.Try):  # placeholder assignments in `except ImportError`
                for handler in node.handlers:
                    for stmt in handler.body:
                        if isinstance(stmt, ast.Assign):
                            for target in stmt.targets:
                                targets.update(
                                    n.id for n in ast.walk(target) if isinstance(n, ast.Name)
                                )
        result[module] = targets
    return result


def _defined_in(
    value: Any, name: str, module: str, is_package: bool, assigned: dict[str, set[str]]
) -> bool:
    def here(other: str) -> bool:
        if any(part.startswith('_') for part in other.split('.')):
            return False  # re-exported from a private module, such as requests_cache._utils
        return other == module or (is_package and other.startswith(module + '.'))

    if inspect.isclass(value) or inspect.isfunction(value):
        return here(value.__module__)
    return any(here(m) and name in targets for m, targets in assigned.items())


def describe(value: Any) -> dict[str, Any]:
    """What a 1.x test checks about a name: its kind, and for constants their value."""
    if inspect.isclass(value):
        bases = [
            b
            for b in EXTERNAL_BASES
            if any(f'{c.__module__}.{c.__qualname__}' == b for c in value.__mro__)
        ]
        return {'kind': 'class', 'bases': bases}
    if inspect.isfunction(value) or inspect.isbuiltin(value):
        return {'kind': 'function', 'parameters': _parameters(value)}
    if isinstance(value, logging.Logger):
        return {'kind': 'logger'}
    if _is_typing(value):
        return {'kind': 'type'}
    plain = _plain(value)
    if plain is not None:
        return {'kind': 'constant', 'value': plain}
    return {'kind': 'object', 'type': type(value).__name__}


def _parameters(function: Any) -> list[str]:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in parameters if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _is_typing(value: Any) -> bool:
    return type(value).__module__ == 'typing' or isinstance(value, typing.TypeVar)


def _plain(value: Any) -> Any:
    """``value`` as JSON (sets as sorted lists), or None if it is not a plain constant."""
    if isinstance(value, bool) or value is None:
        return {'type': type(value).__name__, 'json': value}
    if isinstance(value, (int, float, str)):
        return {'type': type(value).__name__, 'json': value}
    if isinstance(value, (tuple, list, set, frozenset)) and all(
        isinstance(v, (int, str)) for v in value
    ):
        items = sorted(value) if isinstance(value, (set, frozenset)) else list(value)
        return {'type': type(value).__name__, 'json': items}
    return None


if __name__ == '__main__':
    if sys.argv[1:] == ['--introspect']:
        json.dump(introspect(), sys.stdout, indent=1, sort_keys=True)
        sys.stdout.write('\n')
    else:
        main()
