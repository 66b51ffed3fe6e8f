"""Shared fixtures: a local origin server and cached sessions over the local backends."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from origin import Origin

import requests_cache

LOCAL_BACKENDS = ['sqlite', 'memory']


@pytest.fixture(scope='session')
def _origin_server() -> Iterator[Origin]:
    server = Origin()
    yield server
    server.close()


@pytest.fixture
def origin(_origin_server: Origin) -> Iterator[Origin]:
    """The local origin, with routes and request log reset for each test."""
    _origin_server.reset()
    yield _origin_server
    _origin_server.reset()


@pytest.fixture(params=LOCAL_BACKENDS)
def session(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[requests_cache.CachedSession]:
    """A CachedSession over each local backend, in a temporary directory."""
    session = requests_cache.CachedSession(str(tmp_path / 'cache'), backend=request.param)
    yield session
    session.close()


@pytest.fixture(autouse=True)
def _no_installed_cache() -> Iterator[None]:
    """Keep install_cache from leaking between tests."""
    yield
    requests_cache.uninstall_cache()


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make sure requests to 127.0.0.1 never go through a proxy from the environment."""
    for name in ('HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('NO_PROXY', '127.0.0.1,localhost')
