"""Background refresh: answer at once from a stale entry while a fresh copy is fetched.

With ``stale_while_revalidate``, an expired response is returned immediately and revalidated on a
worker thread, at most once at a time per entry, so callers never wait for the origin.
Run it with: python examples/background_refresh.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from _local_server import LocalServer

from requests_cache import EXPIRE_IMMEDIATELY, CachedSession


def main() -> None:
    """Serve a stale /uuid instantly, then show the refreshed value after the refresh."""
    with tempfile.TemporaryDirectory() as tmp, LocalServer() as server:
        session = CachedSession(
            str(Path(tmp) / 'refresh_cache'),
            expire_after=EXPIRE_IMMEDIATELY,  # every stored response is stale at once
            stale_while_revalidate=True,
        )
        url = f'{server.url}/uuid'
        first = session.get(url).json()['uuid']
        stale = session.get(url)  # answered from the cache; a refresh starts in the background
        session.wait_for_refreshes()
        refreshed = session.get(url)
        session.wait_for_refreshes()
        session.close()
        print(f'first fetch:         {first}')
        print(f'served stale:        {stale.json()["uuid"]} (from_cache={stale.from_cache})')
        print(f'after the refresh:   {refreshed.json()["uuid"]}')
        print(f'the origin saw {server.hits("/uuid")} requests')
        assert stale.from_cache and stale.json()['uuid'] == first
        assert refreshed.json()['uuid'] != first


if __name__ == '__main__':
    main()
