"""Hostile things planted in a cache's storage are misses, never a hang or a MemoryError
(issue 15, item 5): a FIFO at a file entry's path, values far larger than max_response_size on
SQLite, the filesystem and Redis, and redirect aliases whose target is not UTF-8.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

MIB = 1024 * 1024
#: The planted value: four times the extra address space the reading process may allocate.
PLANTED = 256 * MIB
HEADROOM = 64 * MIB

_READER = textwrap.dedent(
    """
    import json, os, resource, sys
    import requests_cache

    args = json.loads(sys.argv[1])
    kwargs = {'max_response_size': 1024 * 1024}
    if args['backend'] == 'redis':
        import redis
        client = redis.Redis.from_url(args['redis_url'])
        kwargs['connection'] = client
        session = requests_cache.CachedSession('rc-hostile', backend='redis', **kwargs)
    else:
        session = requests_cache.CachedSession(args['cache'], backend=args['backend'], **kwargs)
    key = session.get(args['url']).cache_key
    cache = session.cache
    if args['backend'] == 'sqlite':
        with cache.connections.write() as connection:  # written by SQLite, never by Python
            sql = 'UPDATE responses SET value=zeroblob(?) WHERE key=?'
            connection.execute(sql, (args['size'], key))
    elif args['backend'] == 'filesystem':
        os.truncate(cache.responses.path_for(key), args['size'] + 4 * 1024 * 1024 * 1024)
    else:
        client.setrange(cache.responses._key(key), args['size'] - 1, b'x')  # built by the server
    # From here on, reading the planted value whole would fail with MemoryError.
    with open('/proc/self/statm') as statm:
        vm_bytes = int(statm.read().split()[0]) * os.sysconf('SC_PAGE_SIZE')
    limit = vm_bytes + args['headroom']
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    outcome = {}
    try:
        response = session.get(args['url'])
        outcome = {'status': response.status_code, 'from_cache': response.from_cache,
                   'body_ok': response.content == args['body'].encode()}
    except BaseException as exc:
        outcome = {'error': repr(exc)}
    print(json.dumps(outcome))
    """
)


def _read_in_subprocess(args: dict) -> dict:
    done = subprocess.run(
        [sys.executable, '-c', _READER, json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='uses RLIMIT_AS and /proc')
@pytest.mark.parametrize('backend', ['sqlite', 'filesystem', 'redis'])
def test_value_far_over_max_response_size_is_a_miss_not_a_memory_error(
    backend, origin, tmp_path, figures, request
):
    """A stored value far larger than max_response_size (256 MiB on SQLite and Redis, a 4 GiB
    sparse file) is a miss, served from the origin, in a process that could not even allocate
    it: it is measured first and never read."""
    args = {
        'backend': backend,
        'cache': str(tmp_path / 'cache'),
        'url': origin.route('/hostile-size'),
        'body': 'body of /hostile-size',
        'size': PLANTED,
        'headroom': HEADROOM,
    }
    if backend == 'redis':
        args['redis_url'] = request.getfixturevalue('reliability_redis').url
        request.getfixturevalue('redis_connection')  # flushed for this test
    outcome = _read_in_subprocess(args)
    figures.record(
        f'hostile_size_{backend}',
        planted_mib=(PLANTED + (4096 * MIB if backend == 'filesystem' else 0)) // MIB,
        address_space_headroom_mib=HEADROOM // MIB,
        **outcome,
    )
    assert outcome == {'status': 200, 'from_cache': False, 'body_ok': True}


@pytest.mark.skipif(not hasattr(os, 'mkfifo'), reason='needs FIFOs')
def test_fifo_at_an_entry_path_is_a_miss_not_a_hang(origin, make_session, figures):
    """A FIFO planted where a filesystem entry lives is a miss within a second (a plain open()
    waited for a writer forever), is removed, and the response is stored again."""
    session = make_session('filesystem')
    url = origin.route('/fifo')
    path = Path(session.cache.responses.path_for(session.get(url).cache_key))
    path.unlink()
    os.mkfifo(path)
    outcome: dict = {}

    def get() -> None:
        response = session.get(url)
        outcome['from_cache'] = response.from_cache
        outcome['content'] = response.content

    started = time.perf_counter()
    thread = threading.Thread(target=get, daemon=True)
    thread.start()
    thread.join(10)
    seconds = time.perf_counter() - started
    figures.record('hostile_fifo', finished=not thread.is_alive(), seconds=round(seconds, 3))
    assert not thread.is_alive(), 'get() hung on the FIFO'
    assert outcome == {'from_cache': False, 'content': b'body of /fifo'}
    assert path.is_file() and session.get(url).from_cache


@pytest.mark.parametrize('backend', ['memory', 'sqlite', 'filesystem', 'redis'])
@pytest.mark.parametrize('target', [b'\xff\xfe\x00not utf-8', 12345])
def test_redirect_alias_that_is_not_a_key_is_a_miss(backend, target, origin, make_session):
    """A redirect alias whose stored target is not UTF-8 text (or not text at all) is a miss
    (it raised UnicodeDecodeError on every backend), and other aliases still resolve."""
    session = make_session(backend)
    key = session.get(origin.route('/alias-target')).cache_key
    cache = session.cache
    cache.save_redirect('good-alias', key)
    cache.redirects['bad-alias'] = target if backend in ('memory', 'sqlite') else b'\xff\xfe'
    assert cache.get_response('bad-alias') is None
    assert cache.get_response('good-alias').content == b'body of /alias-target'
    cache.delete(key)  # walks every alias, the bad one included
    assert cache.get_response('good-alias') is None
