"""Revalidate with ETags: a stale response is checked with the server, not downloaded again.

When a stored response has expired and carries an ``ETag`` (or ``Last-Modified``), the session
sends ``If-None-Match`` (or ``If-Modified-Since``). A ``304 Not Modified`` answer freshens the
stored response, which is then served with ``revalidated=True``.
Run it with: python examples/conditional_requests.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from _local_server import LocalServer

from requests_cache import EXPIRE_IMMEDIATELY, CachedSession


def main() -> None:
    """Store a response with an ETag, then show what each later request costs."""
    with LocalServer() as server, tempfile.TemporaryDirectory() as tmp:
        url = f'{server.url}/etag/v1'
        # EXPIRE_IMMEDIATELY: stored, but stale at once, so every use is revalidated.
        with CachedSession(str(Path(tmp) / 'etag_cache'), expire_after=EXPIRE_IMMEDIATELY) as s:
            first = s.get(url)
            print('first:  status', first.status_code, 'from_cache', first.from_cache)
            print('        ETag', first.headers['ETag'])

            second = s.get(url)
            print('second: status', second.status_code, 'from_cache', second.from_cache)
            print('        revalidated (the server answered 304):', second.revalidated)
            assert second.from_cache and second.revalidated
            assert second.content == first.content

            # refresh=True revalidates even a fresh response; force_refresh=True refetches.
            third = s.get(url, force_refresh=True)
            print('third (force_refresh): from_cache', third.from_cache)
        print(f'the server saw {server.hits()} requests')


if __name__ == '__main__':
    main()
