"""The sans-I/O caching policy: pure functions over headers, stored times, settings and ``now``.

Nothing in this package reads the clock or imports ``requests``, ``urllib3``, the session, the
backends or the serializers; every rule can be tested with a dict of headers and a datetime.
"""

from .expiration import DO_NOT_CACHE, EXPIRE_IMMEDIATELY, NEVER_EXPIRE, ExpireAfter
from .invalidation import invalidation_targets
from .lookup import decide, may_serve_stale_on_error, through_redirect
from .model import (
    Decision,
    DontStore,
    Fetch,
    NotCached,
    RequestFacts,
    Revalidate,
    Serve,
    Store,
    StoreDecision,
    StoredFacts,
)
from .settings import CacheSettings, RequestOptions
from .stale import origin_failed
from .storing import may_store, resolve_expire_after
from .validation import (
    answers_not_modified,
    conditional_headers,
    freshen_headers,
    uses_own_validators,
    validators_match,
)

__all__ = [
    'DO_NOT_CACHE',
    'EXPIRE_IMMEDIATELY',
    'NEVER_EXPIRE',
    'CacheSettings',
    'Decision',
    'DontStore',
    'ExpireAfter',
    'Fetch',
    'NotCached',
    'RequestFacts',
    'RequestOptions',
    'Revalidate',
    'Serve',
    'Store',
    'StoreDecision',
    'StoredFacts',
    'answers_not_modified',
    'conditional_headers',
    'decide',
    'freshen_headers',
    'invalidation_targets',
    'may_serve_stale_on_error',
    'may_store',
    'origin_failed',
    'resolve_expire_after',
    'through_redirect',
    'uses_own_validators',
    'validators_match',
]
