"""Runner side: which interpreter runs each contender, and the peers' private virtualenvs.

Each peer gets its own venv under ``benchmarks/.venvs/`` (ignored by git), created on first use
with ``python -m venv`` and pip, so its pinned release never meets our package on ``sys.path``.
Ours, plain requests and the floor run with the interpreter running the benchmarks (``.venv``).
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from . import contenders as names

__all__ = ['CONTENDERS', 'Contender', 'ensure_venvs']

HERE = Path(__file__).resolve().parent
VENVS = HERE / '.venvs'


@dataclass(frozen=True)
class Contender:
    """A library under test: its name, its venv (None: this interpreter) and its backends."""

    name: str
    venv: str | None
    requirements: tuple[str, ...]
    backends: tuple[str, ...]

    @property
    def python(self) -> str:
        """The interpreter that runs this contender's worker."""
        if self.venv is None:
            return sys.executable
        return str(VENVS / self.venv / 'bin' / 'python')


CONTENDERS = (
    Contender(names.OURS, None, (), ('memory', 'sqlite', 'filesystem', 'redis', 'redis-near')),
    Contender(
        names.REQUESTS_CACHE,
        'requests-cache-1.3.3',
        # redis-py is an optional extra of requests-cache; its Redis backend needs it.
        ('requests-cache==1.3.3', 'redis'),
        ('memory', 'sqlite', 'filesystem', 'redis'),
    ),
    Contender(
        names.CACHECONTROL,
        'cachecontrol-0.14.4',
        ('cachecontrol[filecache,redis]==0.14.4',),
        # CacheControl ships no SQLite cache.
        ('memory', 'filesystem', 'redis'),
    ),
    Contender(names.REQUESTS, None, (), ('none',)),
    Contender(names.FLOOR, None, (), ('memory',)),
)


def ensure_venvs(contenders: tuple[Contender, ...] = CONTENDERS) -> None:
    """Create the peers' venvs that do not exist yet (needs PyPI the first time).

    Raises:
        subprocess.CalledProcessError: venv creation or pip failed.
    """
    for contender in contenders:
        if contender.venv is None or Path(contender.python).exists():
            continue
        target = VENVS / contender.venv
        print(f'creating {target} with {" ".join(contender.requirements)}', file=sys.stderr)
        subprocess.run([sys.executable, '-m', 'venv', str(target)], check=True)
        pip = [contender.python, '-m', 'pip', 'install', '--quiet', '--disable-pip-version-check']
        subprocess.run([*pip, *contender.requirements], check=True)
