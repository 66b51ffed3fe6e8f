"""Fixtures for the docs and examples tests: the examples' local httpbin stand-in."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / 'examples'
sys.path.insert(0, str(EXAMPLES))
from _local_server import LocalServer  # noqa: E402  # Why: examples/ is not a package.


@pytest.fixture(scope='session')
def httpbin() -> Iterator[LocalServer]:
    """A local stand-in for https://httpbin.org on 127.0.0.1, shared by the whole session."""
    server = LocalServer()
    yield server
    server.close()
