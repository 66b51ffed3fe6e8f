"""Look inside a cache: which URLs are stored, under which keys, and until when.

``session.cache.urls()`` lists stored URLs; ``session.cache.responses`` is a mapping from cache
key to stored (serialized) entry; ``session.cache.get_response(key)`` turns a key back into a
``CachedResponse``. Run it with: python examples/inspect_cache.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from _local_server import LocalServer

from requests_cache import CachedSession


def main() -> None:
    """Store a few responses, then list and delete some of them."""
    with LocalServer() as server, tempfile.TemporaryDirectory() as tmp:
        cache_name = str(Path(tmp) / 'inspect_cache')
        with CachedSession(cache_name, expire_after=3600) as session:
            for path in ('/json', '/get?page=1', '/get?page=2', '/cache/60'):
                session.get(server.url + path)

            print('stored URLs:')
            for url in session.cache.urls():
                print('  ', url)

            print('entries:')
            for key in list(session.cache.responses):
                response = session.cache.get_response(key)
                print(f'   {key}  {response.status_code}  {response.size:4} bytes  {response.url}')
                print(f'   {"":32}  expires {response.expires:%Y-%m-%d %H:%M:%S %Z}')

            key = session.get(f'{server.url}/json').cache_key
            session.cache.delete(key)
            print('after deleting /json:', len(session.cache.responses), 'entries')
            assert not session.cache.contains(key)
            assert len(session.cache.urls()) == 3


if __name__ == '__main__':
    main()
