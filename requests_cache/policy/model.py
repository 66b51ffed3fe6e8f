"""The plain-data inputs and outputs of the policy core.

The shell (`requests_cache.session`) builds the inputs from live objects and acts on the outputs;
nothing in ``policy/`` touches a request, a response, a clock or a backend.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional, Union

from .directives import HeaderSource

__all__ = [
    'Decision',
    'DontStore',
    'Fetch',
    'NotCached',
    'RequestFacts',
    'Revalidate',
    'Serve',
    'Store',
    'StoreDecision',
    'StoredFacts',
]


@dataclass(frozen=True)
class RequestFacts:
    """What the policy needs to know about an outgoing request."""

    method: str
    url: str
    headers: HeaderSource = field(default_factory=dict)


@dataclass(frozen=True)
class StoredFacts:
    """What the policy needs to know about a stored response."""

    status: int
    headers: HeaderSource
    request_time: datetime
    response_time: datetime
    expires: Optional[datetime]


@dataclass(frozen=True)
class Serve:
    """Answer from the cache. ``stale`` is True when serving past expiry is allowed;
    ``refresh`` asks the shell to revalidate it in the background (stale-while-revalidate)."""

    reason: str
    stale: bool = False
    refresh: bool = False
    #: Which rule allowed serving: 'fresh', 'only-if-cached', 'max-stale',
    #: 'stale-while-revalidate' or 'stale-if-error' (for statistics).
    kind: str = 'fresh'


@dataclass(frozen=True)
class Revalidate:
    """Ask the origin whether the stored response is still good, with these headers."""

    reason: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Fetch:
    """Get a new response from the origin."""

    reason: str


@dataclass(frozen=True)
class NotCached:
    """Answer 504 Gateway Timeout: the caller forbade the network and nothing usable is stored."""

    reason: str


Decision = Union[Serve, Revalidate, Fetch, NotCached]


@dataclass(frozen=True)
class Store:
    """Store the response, fresh until ``expires`` (None: never expires)."""

    reason: str
    expires: Optional[datetime]


@dataclass(frozen=True)
class DontStore:
    """Do not store the response."""

    reason: str


StoreDecision = Union[Store, DontStore]
