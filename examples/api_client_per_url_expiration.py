"""An API client with a different lifetime per endpoint, set once with ``urls_expire_after``.

Rules are tried in order and the first match wins; a URL no rule matches falls back to the
session's ``expire_after``. Run it with: python examples/api_client_per_url_expiration.py
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from _local_server import LocalServer

from requests_cache import DO_NOT_CACHE, NEVER_EXPIRE, CachedSession


def main() -> None:
    """Fetch three endpoints twice and show which answers came from the cache."""
    with LocalServer() as server, tempfile.TemporaryDirectory() as tmp:
        host = server.url.split('://')[1]  # globs match the URL without its scheme
        session = CachedSession(
            str(Path(tmp) / 'api_cache'),
            expire_after=timedelta(hours=1),  # the default for anything not listed below
            urls_expire_after={
                f'{host}/json': NEVER_EXPIRE,  # static reference data
                f'{host}/uuid': DO_NOT_CACHE,  # must always be new
                f'{host}/anything/reports/*': timedelta(minutes=5),
            },
        )
        with session:
            for path in ('/json', '/uuid', '/anything/reports/daily', '/get'):
                first = session.get(server.url + path)
                second = session.get(server.url + path)
                expires = second.expires.isoformat(timespec='seconds') if second.expires else None
                print(f'{path:28} second from cache: {second.from_cache!s:5}  expires: {expires}')
                assert first.from_cache is False
                assert second.from_cache is (path != '/uuid')
        print(f'the server saw {server.hits()} requests for 8 calls')


if __name__ == '__main__':
    main()
