"""Worker side: build the session under test for a (contender, backend) pair.

Imports of the contender's library happen inside the factories, so this module loads in every
venv, whichever of requests-cache / CacheControl it has.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import requests

#: Contender names, as the runner and the report spell them.
OURS = 'ours'
REQUESTS_CACHE = 'requests-cache 1.3.3'
CACHECONTROL = 'CacheControl 0.14.4'
REQUESTS = 'requests'
FLOOR = 'requests floor'


def make_session(contender: str, backend: str, spec: dict[str, Any]) -> requests.Session:
    """Build a fresh session for ``contender`` on ``backend``, with the paths and ports in ``spec``.

    Raises:
        ValueError: An unknown contender or a backend that contender does not have.
    """
    session = _FACTORIES[contender](backend, spec)
    # By default ignore *_PROXY variables and .netrc, so only 127.0.0.1 is ever contacted. With
    # trust_env (requests' default) the runner has removed the proxy variables from our env.
    session.trust_env = bool(spec.get('trust_env', False))
    return session


def sqlite_path(spec: dict[str, Any]) -> str:
    """Where the sqlite-backed contenders keep their database in this worker's directory."""
    return os.path.join(spec['workdir'], 'cache.sqlite')


def _cached_session(backend: str, spec: dict[str, Any]) -> requests.Session:
    # Ours and requests-cache 1.3.3 share the 1.x constructor, so one factory builds both.
    from requests_cache import CachedSession

    if backend == 'memory':
        return CachedSession('bench', backend='memory')
    if backend == 'sqlite':
        return CachedSession(sqlite_path(spec), backend='sqlite')
    if backend == 'filesystem':
        return CachedSession(os.path.join(spec['workdir'], 'files'), backend='filesystem')
    if backend == 'redis':
        return CachedSession(
            spec['namespace'], backend='redis', host='127.0.0.1', port=spec['redis_port']
        )
    if backend == 'redis-near':  # ours only: Redis with the coherent in-process near-cache
        session = CachedSession(
            spec['namespace'],
            backend='redis',
            host='127.0.0.1',
            port=spec['redis_port'],
            near_cache=True,
        )
        if not session.cache.tracker.wait_until_enabled(10):
            raise RuntimeError('the near-cache did not start tracking')
        return session
    raise ValueError(f'no {backend} backend')


def _cachecontrol(backend: str, spec: dict[str, Any]) -> requests.Session:
    from cachecontrol import CacheControl

    session = requests.Session()
    if backend == 'memory':
        return CacheControl(session)  # type: ignore[no-any-return]
    if backend == 'filesystem':
        from cachecontrol.caches.file_cache import FileCache

        directory = os.path.join(spec['workdir'], 'files')
        return CacheControl(session, cache=FileCache(directory))  # type: ignore[no-any-return]
    if backend == 'redis':
        import redis
        from cachecontrol.caches.redis_cache import RedisCache

        client = redis.Redis(host='127.0.0.1', port=spec['redis_port'])
        return CacheControl(session, cache=RedisCache(client))  # type: ignore[no-any-return]
    raise ValueError(f'no {backend} backend')


def _plain(backend: str, spec: dict[str, Any]) -> requests.Session:
    return requests.Session()


def _floor(backend: str, spec: dict[str, Any]) -> requests.Session:
    from floor import FloorSession

    return FloorSession()


_FACTORIES: dict[str, Callable[[str, dict[str, Any]], requests.Session]] = {
    OURS: _cached_session,
    REQUESTS_CACHE: _cached_session,
    CACHECONTROL: _cachecontrol,
    REQUESTS: _plain,
    FLOOR: _floor,
}


def caches(contender: str) -> bool:
    """Whether the contender caches at all (plain requests sends every request to the origin)."""
    return contender != REQUESTS
