"""Backend names resolve lazily, and optional backends import without their dependency."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from requests_cache.backends import BACKEND_CLASSES, backend_class
from requests_cache.errors import ConfigurationError


@pytest.mark.parametrize('name', sorted(BACKEND_CLASSES))
def test_every_name_resolves(name):
    """Every registered name imports to a BaseCache subclass of the registered name."""
    cls = backend_class(name)
    assert cls is BACKEND_CLASSES[name]
    assert BACKEND_CLASSES.spec(name).endswith(f':{cls.__name__}')


def test_unknown_name():
    """An unknown backend name is a ConfigurationError listing the valid ones."""
    with pytest.raises(ConfigurationError, match='redis'):
        backend_class('nope')


def test_optional_backends_import_without_their_dependency():
    """With the driver missing, the module imports and using it names the extra to install."""
    script = textwrap.dedent(
        """
        import sys
        for name in ('redis', 'pymongo', 'gridfs', 'bson', 'boto3', 'botocore'):
            sys.modules[name] = None  # makes `import name` raise ImportError
        from requests_cache.backends import backend_class
        from requests_cache.errors import MissingDependencyError
        for backend, extra in [('redis', 'redis'), ('mongodb', 'mongodb'),
                               ('gridfs', 'mongodb'), ('dynamodb', 'dynamodb')]:
            cls = backend_class(backend)
            try:
                cls()
            except MissingDependencyError as exc:
                assert exc.extra == extra and f'[{extra}]' in str(exc), exc
            else:
                raise AssertionError(f'{backend} did not raise')
        print('ok')
        """
    )
    result = subprocess.run(
        [sys.executable, '-c', script], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == 'ok', result.stderr


def test_importing_the_package_imports_no_driver():
    """``import requests_cache`` (and the local backends, leases included) loads no optional
    driver: redis, pymongo and boto3 are imported only when their backend is used."""
    script = textwrap.dedent(
        """
        import sys
        import requests_cache
        from requests_cache.backends import filesystem, leases, memory, sqlite
        sqlite.SQLiteCache(':memory:').lease('k').try_acquire()
        drivers = ('redis', 'pymongo', 'gridfs', 'boto3', 'botocore')
        print([name for name in drivers if name in sys.modules])
        """
    )
    result = subprocess.run(
        [sys.executable, '-c', script], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == '[]', result.stderr
