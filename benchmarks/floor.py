"""The "requests floor": the cheapest send()-level cache one could write on top of requests.

A dict from (method, URL) to a pickled `requests.Response`, with no expiry, no HTTP semantics and
no key normalization. Nothing that does more work per hit can beat it, so it marks how much of a
hit's time is spent in requests itself (building the request) and how much in the cache.
"""

from __future__ import annotations

import pickle
from typing import Any

import requests


class FloorSession(requests.Session):
    """A `requests.Session` that answers repeated GETs from an in-memory dict of pickles."""

    def __init__(self) -> None:
        super().__init__()
        self._store: dict[tuple[str, str], bytes] = {}

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Serve a stored response, or send the request and store a 200 response to a GET."""
        key = (request.method or 'GET', request.url or '')
        blob = self._store.get(key)
        if blob is not None:
            response: requests.Response = pickle.loads(blob)
            response.from_cache = True  # type: ignore[attr-defined]
            response.request = request
            return response
        response = super().send(request, **kwargs)
        # Response.__getstate__ reads the body; pickling before that would store an empty one.
        if key[0] == 'GET' and response.status_code == 200:
            self._store[key] = pickle.dumps(response, protocol=pickle.HIGHEST_PROTOCOL)
        response.from_cache = False  # type: ignore[attr-defined]
        return response
