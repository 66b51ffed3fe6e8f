"""Work offline: answer from the cache only, and never touch the network.

With ``only_if_cached=True`` a stored response is returned even if it has expired, and a request
that is not in the cache gets a ``504 Not Cached`` response instead of a network call.
Run it with: python examples/offline_only_if_cached.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from _local_server import LocalServer

from requests_cache import EXPIRE_IMMEDIATELY, CachedSession


def main() -> None:
    """Fill the cache while online, then read it with the server shut down."""
    with tempfile.TemporaryDirectory() as tmp:
        cache_name = str(Path(tmp) / 'offline_cache')
        with LocalServer() as server, CachedSession(cache_name) as session:
            base_url = server.url
            session.get(f'{base_url}/json')
            # Stored, but stale at once: only_if_cached still serves it.
            session.get(f'{base_url}/get', expire_after=EXPIRE_IMMEDIATELY)
        print('server stopped; reading from the cache only')

        with CachedSession(cache_name) as session:
            for path in ('/json', '/get', '/uuid'):
                response = session.get(base_url + path, only_if_cached=True)
                print(
                    f'{path:6} status={response.status_code} from_cache={response.from_cache} '
                    f'expired={response.is_expired}'
                )
            assert session.get(f'{base_url}/json', only_if_cached=True).status_code == 200
            assert session.get(f'{base_url}/uuid', only_if_cached=True).status_code == 504


if __name__ == '__main__':
    main()
