"""What a request's own ``Cache-Control`` asks of the cache when ``cache_control`` is off.

requests-cache 1.x read a request's ``Cache-Control`` in every mode, as per-request options (its
own options travelled as such headers): ``max-age=N`` stores the response for N seconds and
``max-age=0`` revalidates, ``no-cache`` skips the stored response, ``no-store`` skips it and
stores nothing, ``only-if-cached`` never uses the network (and its non-standard
``must-revalidate`` revalidates). With ``cache_control=True`` those directives keep their RFC 9111
meaning instead (`requests_cache.policy.lookup`). In both modes a per-request
``expire_after=DO_NOT_CACHE`` skips the stored response as well as storing, as in 1.x.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from .directives import HeaderSource, parse_cache_control
from .expiration import Special
from .model import RequestFacts
from .settings import CacheSettings, RequestOptions

__all__ = ['effective_options']


def effective_options(
    request: RequestFacts, options: RequestOptions, settings: CacheSettings
) -> RequestOptions:
    """The per-request options, with what the request's own headers ask for (see the module
    docstring); an ``expire_after`` given to the call wins over a header's."""
    expire_after = options.expire_after
    only_if_cached, refresh, force_refresh = (
        options.only_if_cached,
        options.refresh,
        options.force_refresh,
    )
    if not settings.cache_control and _mentions_cache_control(request.headers):
        directives = parse_cache_control(request.headers, is_request=True)
        if directives.no_store:
            force_refresh = True
            expire_after = Special.DO_NOT_CACHE if expire_after is None else expire_after
        force_refresh = force_refresh or directives.no_cache
        if directives.max_age is not None:
            refresh = refresh or directives.max_age == 0
            if expire_after is None:
                expire_after = timedelta(seconds=directives.max_age)
        refresh = refresh or directives.must_revalidate
        only_if_cached = only_if_cached or directives.only_if_cached
    force_refresh = force_refresh or expire_after is Special.DO_NOT_CACHE
    effective = RequestOptions(expire_after, only_if_cached, refresh, force_refresh)
    return options if effective == options else effective


def _mentions_cache_control(headers: HeaderSource) -> bool:
    # Most requests carry neither header: the parse (a hit's cost) is skipped for them.
    items = headers.keys() if isinstance(headers, Mapping) else (name for name, _ in headers)
    return any(str(name).lower() in ('cache-control', 'pragma') for name in items)
