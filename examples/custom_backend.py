"""Write your own backend: a ``BaseStorage`` is a dict-like store of bytes, nothing more.

``BaseStorage`` needs five mapping methods; ``BaseCache`` adds everything HTTP on top
(serialization, redirects, ``urls()``, ``delete()``...). Here the storage is a plain dict that
also counts writes; a real one would talk to a database or a key-value service.
Run it with: python examples/custom_backend.py
"""

from __future__ import annotations

from collections.abc import Iterator

from _local_server import LocalServer

from requests_cache import BaseCache, BaseStorage, CachedSession


class CountingDictStorage(BaseStorage):
    """Keys are strings, values are the serialized blobs (bytes) the cache hands over."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}
        self.writes = 0

    def __getitem__(self, key: str) -> bytes:
        return self.data[key]

    def __setitem__(self, key: str, value: bytes) -> None:
        self.writes += 1
        self.data[key] = value

    def __delitem__(self, key: str) -> None:
        del self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.data))

    def __len__(self) -> int:
        return len(self.data)


class DictCache(BaseCache):
    """A backend built from two storages: one for responses, one for redirect aliases."""

    def __init__(self, cache_name: str = 'dict', **kwargs: object) -> None:
        super().__init__(cache_name, **kwargs)
        self.responses = CountingDictStorage()
        self.redirects = CountingDictStorage()


def main() -> None:
    """Use the custom backend in a session, and look at what it stored."""
    with LocalServer() as server, CachedSession(backend=DictCache()) as session:
        for _ in range(3):
            response = session.get(f'{server.url}/json')
            print('from_cache:', response.from_cache)
        storage = session.cache.responses
        blob = next(iter(storage.data.values()))
        print(f'{len(storage)} entry, {storage.writes} write, blob starts with {blob[:16]!r}')
        assert server.hits('/json') == 1 and storage.writes == 1


if __name__ == '__main__':
    main()
