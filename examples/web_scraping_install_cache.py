"""Cache a scraper that calls ``requests.get()`` directly, without changing its code.

``install_cache()`` makes every ``requests`` call in the process go through one shared cache, so
re-running a crawl only fetches pages it has not seen. ``uninstall_cache()`` puts plain
``requests`` back. Run it with: python examples/web_scraping_install_cache.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import requests
from _local_server import LocalServer

import requests_cache


def crawl(base_url: str, pages: list[str]) -> int:
    """Stand-in for scraper code that knows nothing about caching; returns how many were cached."""
    cached = 0
    for page in pages:
        response = requests.get(f'{base_url}/anything/{page}', timeout=5)
        response.raise_for_status()
        cached += getattr(response, 'from_cache', False)
    return cached


def main() -> None:
    """Crawl the same pages twice with the cache installed, then once more without it."""
    pages = [f'page-{i}' for i in range(10)]
    with LocalServer() as server, tempfile.TemporaryDirectory() as tmp:
        requests_cache.install_cache(str(Path(tmp) / 'scraper_cache'), expire_after=600)
        try:
            print('first crawl, pages from cache:', crawl(server.url, pages))
            print('second crawl, pages from cache:', crawl(server.url, pages))
            print('URLs stored:', len(requests_cache.get_cache().urls()))
        finally:
            requests_cache.uninstall_cache()
        print('after uninstall_cache(), pages from cache:', crawl(server.url, pages))
        print(f'the server saw {server.hits()} requests for 30 page loads')
        assert server.hits() == 20


if __name__ == '__main__':
    main()
