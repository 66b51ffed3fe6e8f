"""The sans-I/O caching policy: pure functions over headers, stored times, settings and ``now``.

Nothing in this package reads the clock or imports ``requests``, ``urllib3``, the session, the
backends or the serializers; every rule can be tested with a dict of headers and a datetime. The
exceptions are requests-cache 1.x's helpers kept for code written for it (`actions`,
``_expiration_1x``): they read the clock as 1.x did, and the core never calls them.
"""

# requests-cache 1.x names, importable from here as in 1.x, kept out of __all__
from ._expiration_1x import add_tzinfo as add_tzinfo
from ._expiration_1x import get_expiration_datetime as get_expiration_datetime
from ._expiration_1x import get_expiration_seconds as get_expiration_seconds
from ._expiration_1x import get_url_expiration as get_url_expiration
from ._expiration_1x import logger as logger
from ._expiration_1x import utcnow as utcnow
from ._names_1x import ExpirationPattern as ExpirationPattern
from ._names_1x import ExpirationPatterns as ExpirationPatterns
from ._names_1x import ExpirationTime as ExpirationTime
from ._names_1x import FilterCallback as FilterCallback
from ._names_1x import HeaderDict as HeaderDict
from ._names_1x import KeyCallback as KeyCallback
from .actions import CacheActions as CacheActions
from .directives import CacheDirectives as CacheDirectives
from .directives import set_request_headers as set_request_headers
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
from .settings import ALL_METHODS as ALL_METHODS
from .settings import AUTH_HEADERS as AUTH_HEADERS
from .settings import AUTH_PARAMS as AUTH_PARAMS
from .settings import DEFAULT_CACHE_NAME as DEFAULT_CACHE_NAME
from .settings import DEFAULT_IGNORED_PARAMS as DEFAULT_IGNORED_PARAMS
from .settings import DEFAULT_METHODS as DEFAULT_METHODS
from .settings import DEFAULT_STATUS_CODES as DEFAULT_STATUS_CODES
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
