"""Every ```python block in docs/*.md and README.md runs, page by page, against a local server.

Samples are written against ``https://httpbin.org``; before running, that placeholder is replaced
with the URL of a local stand-in (``examples/_local_server.py``), and any attempt to resolve
another host fails, so the docs never need the internet. Blocks fenced as ``python-skip`` (or
``bash``, ``text``...) are not run. Each page runs in a fresh temporary directory, its blocks in
order in one namespace, the way a reader would type them.
"""

from __future__ import annotations

import logging
import re
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path

import pytest
import requests
from _local_server import LocalServer

import requests_cache
from requests_cache.session import CacheMixin

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / 'docs'
PAGES = [*sorted(DOCS.glob('*.md')), ROOT / 'README.md']
PLACEHOLDER = 'https://httpbin.org'
PLACEHOLDER_HOST = 'httpbin.org'
#: A fence that opens a runnable block: exactly ```python (not ```python-skip).
FENCE = re.compile(r'^```python[ \t]*\n(.*?)^```[ \t]*$', re.DOTALL | re.MULTILINE)
LOCAL_HOSTS = {'127.0.0.1', 'localhost'}
SPHINX_BUILD = [sys.executable, '-m', 'sphinx', '-W', '--keep-going', '-q', '-b', 'html']


def python_blocks(text: str) -> list[tuple[int, str]]:
    """The runnable blocks of a Markdown page, with the line number each starts on."""
    return [(text.count('\n', 0, m.start()) + 2, m.group(1)) for m in FENCE.finditer(text)]


def localize(code: str, base_url: str) -> str:
    """Point a sample at the local server instead of httpbin.org."""
    host = base_url.split('://', 1)[1]
    return code.replace(PLACEHOLDER, base_url).replace(PLACEHOLDER_HOST, host)


RUNNABLE = [page for page in PAGES if python_blocks(page.read_text(encoding='utf-8'))]


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[CacheMixin]]:
    """Run in a temp dir, offline, with logging restored and every session made closed after."""
    monkeypatch.chdir(tmp_path)
    # use_temp / use_cache_dir samples write here rather than to the real temp and cache dirs.
    monkeypatch.setattr(tempfile, 'tempdir', str(tmp_path / 'tmp'))
    (tmp_path / 'tmp').mkdir()
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'user-cache'))
    monkeypatch.setenv('HOME', str(tmp_path / 'home'))

    real_getaddrinfo = socket.getaddrinfo

    def local_only(host: object, *args: object, **kwargs: object) -> object:
        if host not in LOCAL_HOSTS:
            raise OSError(f'doc samples must not use the network (tried to resolve {host!r})')
        return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, 'getaddrinfo', local_only)

    # Samples rebind `session` freely; keep every session so none is left unclosed.
    sessions: list[CacheMixin] = []
    real_init = CacheMixin.__init__

    def tracking_init(self: CacheMixin, *args: object, **kwargs: object) -> None:
        real_init(self, *args, **kwargs)  # type: ignore[arg-type]
        sessions.append(self)

    monkeypatch.setattr(CacheMixin, '__init__', tracking_init)

    logger = logging.getLogger('requests_cache')
    level, root_handlers = logger.level, list(logging.getLogger().handlers)
    yield sessions
    logger.setLevel(level)
    logging.getLogger().handlers[:] = root_handlers
    installed = requests_cache.get_cache()
    requests_cache.uninstall_cache()
    for session in sessions:
        session.close()
    if installed is not None:
        installed.close()


@pytest.mark.parametrize('page', RUNNABLE, ids=lambda page: page.name)
def test_page_samples_run(page: Path, httpbin: LocalServer, sandbox: list[CacheMixin]) -> None:
    """Every python block of a page runs without error, in order, in one shared namespace."""
    namespace: dict[str, object] = {'__name__': f'docs_{page.stem}'}
    for line, code in python_blocks(page.read_text(encoding='utf-8')):
        compiled = compile(localize(code, httpbin.url), f'{page.name}:{line}', 'exec')
        try:
            exec(compiled, namespace)
        except Exception as exc:
            raise AssertionError(f'the sample at {page.name} line {line} failed: {exc!r}') from exc


def test_every_guide_page_has_runnable_samples() -> None:
    """Each user-guide page keeps at least one executed sample (a renamed fence would hide them);
    the reference pages have none."""
    without = {page.name for page in PAGES if page not in RUNNABLE}
    assert without == {'api.md', 'architecture.md'}


def test_samples_name_only_the_placeholder_host() -> None:
    """Runnable samples only use https://httpbin.org, the one host the tests redirect."""
    urls = re.compile(r'https?://([^/\'"\s)]+)')
    for page in RUNNABLE:
        for line, code in python_blocks(page.read_text(encoding='utf-8')):
            hosts = set(urls.findall(code)) - {PLACEHOLDER_HOST}
            assert not hosts, f'{page.name}:{line} uses {hosts}'


def test_network_guard_blocks_other_hosts(sandbox: list[CacheMixin]) -> None:
    """Inside the sandbox, a request to a real host fails instead of going to the internet."""
    with pytest.raises(requests.ConnectionError, match='must not use the network'):
        requests.get('https://example.com/', timeout=1)


def test_localize_rewrites_urls_and_globs() -> None:
    """The placeholder is replaced both in full URLs and in scheme-less urls_expire_after globs."""
    code = "get('https://httpbin.org/get'); rules = {'httpbin.org/json': 1}"
    assert localize(code, 'http://127.0.0.1:8080') == (
        "get('http://127.0.0.1:8080/get'); rules = {'127.0.0.1:8080/json': 1}"
    )


@pytest.mark.skipif(
    find_spec('sphinx') is None or find_spec('myst_parser') is None,
    reason="needs the docs extra: pip install -e '.[docs]'",
)
def test_docs_build_without_warnings(tmp_path: Path) -> None:
    """The Sphinx site, API reference included, builds with warnings treated as errors."""
    result = subprocess.run(
        [*SPHINX_BUILD, str(DOCS), str(tmp_path / 'html')],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / 'html' / 'api.html').exists()
