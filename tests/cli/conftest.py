"""Fixtures for the command-line tests: real cache files written by a CachedSession, and a runner
that calls ``python -m requests_cache`` in a subprocess, as a shell script would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Optional

import pytest
from cli_support import Result, Runner, Urls, fill
from origin import Origin

import requests_cache


@pytest.fixture
def run(tmp_path: Path) -> Runner:
    """Run the CLI in ``tmp_path`` with the given arguments; stdin is not a terminal."""

    def runner(*args: str, input: str = '', env: Optional[dict[str, str]] = None) -> Result:
        done = subprocess.run(
            [sys.executable, '-m', 'requests_cache', *args],
            cwd=tmp_path,
            input=input,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, **(env or {})},
        )
        return Result(done.returncode, done.stdout, done.stderr)

    return runner


@pytest.fixture
def filled(tmp_path: Path, origin: Origin) -> Iterator[Urls]:
    """``tmp_path/http_cache.sqlite`` (the CLI's default cache) with four stored responses."""
    session = requests_cache.CachedSession(str(tmp_path / 'http_cache'), expire_after=3600)
    urls = fill(session, origin)
    session.close()
    yield urls


@pytest.fixture
def filled_fs(tmp_path: Path, origin: Origin) -> Iterator[Urls]:
    """A filesystem-backend cache in ``tmp_path/fs_cache`` with four stored responses."""
    session = requests_cache.CachedSession(
        str(tmp_path / 'fs_cache'), backend='filesystem', expire_after=3600
    )
    urls = fill(session, origin)
    session.close()
    yield urls
