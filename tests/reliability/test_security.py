"""Security: no pickle by default, private file modes, and no secrets in storage bytes."""

from __future__ import annotations

import os
import pickle
import stat
from pathlib import Path

import pytest

import requests_cache
from requests_cache.serializers import init_serializer

LOCAL_FILE_BACKENDS = ['sqlite', 'filesystem']


@pytest.mark.parametrize('backend', ['memory', 'sqlite', 'filesystem', 'redis'])
def test_default_settings_never_call_pickle(backend, origin, make_session, monkeypatch, figures):
    """Storing, serving and reopening with default settings never calls pickle."""
    calls: list[str] = []
    for name in ('dumps', 'loads', 'dump', 'load', 'Pickler', 'Unpickler'):
        real = getattr(pickle, name)

        def counted(*args, _real=real, _name=name, **kwargs):
            calls.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(pickle, name, counted)
    session = make_session(backend)
    urls = [origin.url(f'/pickle/{i}') for i in range(10)]
    served = 0
    for _ in range(2):
        served += sum(session.get(url).status_code == 200 for url in urls)
    if backend != 'memory':
        session.close()
        session = make_session(backend)
        served += sum(bool(session.get(url).from_cache) for url in urls)
    list(session.cache.filter())
    figures.record(f'security_pickle_calls_{backend}', requests=served, pickle_calls=len(calls))
    assert calls == []


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask():
    """Run with umask 000, the worst case: the cache must not rely on the umask for privacy."""
    old = os.umask(0)
    yield
    os.umask(old)


def _not_private(paths: list[Path], base: Path) -> dict[str, str]:
    return {
        str(p.relative_to(base)): oct(_mode(p))
        for p in paths
        if _mode(p) != (0o700 if p.is_dir() else 0o600)
    }


@pytest.mark.parametrize('backend', LOCAL_FILE_BACKENDS)
def test_cache_files_are_private(backend, origin, tmp_path, open_umask, figures):
    """SQLite and filesystem caches create files 0600 and directories 0700, whatever the umask."""
    location = tmp_path / 'cache'
    session = requests_cache.CachedSession(str(location), backend=backend)
    for i in range(5):
        session.get(origin.url(f'/private/{i}'))
    paths = list(tmp_path.rglob('*'))
    public = _not_private(paths, tmp_path)
    session.close()
    figures.record(
        f'security_file_modes_{backend}',
        paths=len(paths),
        not_private=len(public),
        examples=repr(dict(list(public.items())[:3])) if public else None,
    )
    assert len(paths) >= 3  # the database and its WAL files, or the directory tree and files
    assert public == {}


@pytest.mark.parametrize('backend', LOCAL_FILE_BACKENDS)
def test_missing_parent_directories_are_private(backend, tmp_path, open_umask, figures):
    """Every missing parent directory a cache creates for its location gets mode 0700."""
    location = tmp_path / 'new' / 'parents' / 'cache'
    requests_cache.CachedSession(str(location), backend=backend).close()
    created = [tmp_path / 'new', tmp_path / 'new' / 'parents']
    public = _not_private(created, tmp_path)
    figures.record(
        f'security_parent_dir_modes_{backend}',
        created_parents=len(created),
        not_private=len(public),
        examples=repr(public) if public else None,
    )
    assert public == {}


CANARIES = {
    'query_api_key': 'CANARYq1w2e3',
    'header_authorization': 'CANARYa4s5d6',
    'header_x_api_key': 'CANARYz7x8c9',
    'cookie': 'CANARYv0b1n2',
    'body_access_token': 'CANARYm3k4j5',
    'userinfo_password': 'CANARYp6o7i8',
}


def _secret_requests(session, origin) -> None:
    """Requests that each carry one canary in a default-ignored place."""
    for name in 'qhkcbu':  # a fixed body: the default one echoes the path, query included
        origin.route(f'/secret/{name}', body=b'a response without secrets')
    session.get(origin.url('/secret/q'), params={'api_key': CANARIES['query_api_key'], 'x': '1'})
    session.get(
        origin.url('/secret/h'),
        headers={'Authorization': f'Bearer {CANARIES["header_authorization"]}'},
    )
    session.get(origin.url('/secret/k'), headers={'X-API-Key': CANARIES['header_x_api_key']})
    session.get(origin.url('/secret/c'), cookies={'session': CANARIES['cookie']})
    session.request(
        'GET', origin.url('/secret/b'), data={'access_token': CANARIES['body_access_token']}
    )
    host = origin.base_url[len('http://') :]
    session.get(f'http://user:{CANARIES["userinfo_password"]}@{host}/secret/u')


@pytest.mark.parametrize('backend', LOCAL_FILE_BACKENDS)
def test_secrets_never_reach_storage(backend, origin, tmp_path, figures):
    """Credentials in query, headers, cookies, body and userinfo never appear in stored bytes."""
    session = requests_cache.CachedSession(str(tmp_path / 'cache'), backend=backend)
    _secret_requests(session, origin)
    stored = len(session.cache.responses)
    # Read the files while the session is open, so the SQLite WAL still holds the writes.
    blobs = {p: p.read_bytes() for p in tmp_path.rglob('*') if p.is_file()}
    leaked = sorted(
        {
            name
            for name, canary in CANARIES.items()
            for data in blobs.values()
            if canary.encode() in data
        }
    )
    session.close()
    figures.record(
        f'security_canaries_{backend}',
        canaries=len(CANARIES),
        responses_stored=stored,
        files_scanned=len(blobs),
        bytes_scanned=sum(len(b) for b in blobs.values()),
        leaked=len(leaked),
        leaked_names=','.join(leaked) or None,
    )
    assert stored == len(CANARIES)
    assert leaked == []


def _tampered(blob: bytes, how: str) -> bytes:
    """``blob`` changed in one of the ways an attacker with write access to storage might."""
    middle = len(blob) // 2
    return {
        'flipped_body_byte': blob[:-1] + bytes([blob[-1] ^ 1]),
        'flipped_middle_byte': blob[:middle] + bytes([blob[middle] ^ 0x80]) + blob[middle + 1 :],
        'truncated': blob[:-10],
        'extended': blob + b'extra',
    }[how]


@pytest.mark.parametrize('backend', ['memory', 'sqlite', 'filesystem', 'redis'])
def test_tampered_signed_entries_are_never_served(backend, origin, make_session, figures):
    """Signed entries changed in storage, or signed with another key, are misses: never
    served, never an exception, and the right body comes from the origin instead."""
    ways = ['flipped_body_byte', 'flipped_middle_byte', 'truncated', 'extended', 'other_key']
    session = make_session(backend, secret_key='the right key')
    paths = {how: f'/tamper/{backend}/{how}' for how in ways}
    for path in paths.values():
        session.get(origin.url(path))
    forger = init_serializer(None, secret_key='a forged key')
    for how, path in paths.items():
        stored = session.get(origin.url(path))
        key = stored.cache_key
        if how == 'other_key':  # a well-formed entry, signed with a key the session lacks
            session.cache.responses[key] = forger.dumps(stored, key)
        else:
            session.cache.responses[key] = _tampered(session.cache.responses[key], how)
    accepted, exceptions, wrong = 0, [], 0
    for path in paths.values():
        try:
            response = session.get(origin.url(path))
        except Exception as exc:
            exceptions.append(repr(exc))
            continue
        accepted += bool(response.from_cache)
        wrong += response.content != f'body of {path}'.encode()
    figures.record(
        f'security_tampered_{backend}',
        tampered=len(ways),
        accepted=accepted,
        exceptions=len(exceptions),
        wrong_bodies=wrong,
    )
    assert (accepted, exceptions, wrong) == (0, [], 0)
    assert origin.count() == 2 * len(ways)  # each stored once, then fetched again
