"""Worker: run the workloads for one contender in this interpreter and print JSON timings.

Run as a script by the runner, with the contender's own venv python::

    python benchmarks/worker.py < spec.json

The spec names the contender, the backend, the origin URL, a scratch directory, a run id, the
Redis port and the workloads with their counts. The output is one JSON object on stdout:
``{"results": {workload: timings}, "error": null, "versions": {...}}``.
"""

from __future__ import annotations

import contextlib
import json
import sys
import traceback
from importlib import metadata
from typing import Any

import requests
from contenders import caches, make_session, sqlite_path
from sqlite_scale import sqlite_scale
from workloads import LARGE, SMALL, Origin, memory, miss, threaded, warm


def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Run every workload in ``spec['workloads']`` in order and return their results."""
    contender, backend = spec['contender'], spec['backend']
    origin = Origin(spec['origin'], spec['run_id'])
    session = make_session(contender, backend, spec)
    does_cache = caches(contender)
    results: dict[str, Any] = {}
    try:
        for name, params in spec['workloads'].items():
            if name == 'miss':
                plain = requests.Session()
                plain.trust_env = session.trust_env
                results[name] = miss(session, plain, origin, params['n'])
                plain.close()
            elif name in ('warm1k', 'warm100k'):
                size = SMALL if name == 'warm1k' else LARGE
                results[name] = warm(session, origin, does_cache, size, **params)
            elif name == 'threaded':
                results[name] = threaded(session, origin, does_cache, **params)
            elif name == 'memory':
                results[name] = memory(session, origin, **params)
            elif name == 'sqlite_scale':
                results[name] = sqlite_scale(session, origin, sqlite_path(spec), **params)
            else:
                raise ValueError(f'unknown workload {name!r}')
    finally:
        session.close()
    return results


def versions() -> dict[str, str]:
    """Installed versions of the libraries that matter, for the report."""
    found = {}
    for name in ('requests', 'urllib3', 'requests-cache', 'CacheControl'):
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    return found


def main() -> int:
    """Read the spec from stdin, run it, print the JSON result; exit 1 on a failed check."""
    spec = json.load(sys.stdin)
    output: dict[str, Any] = {'versions': versions(), 'results': {}, 'error': None}
    try:
        output['results'] = run(spec)
    except Exception as exc:
        output['error'] = f'{type(exc).__name__}: {exc}'
        traceback.print_exc(file=sys.stderr)
    json.dump(output, sys.stdout)
    return 0 if output['error'] is None else 1


if __name__ == '__main__':
    raise SystemExit(main())
