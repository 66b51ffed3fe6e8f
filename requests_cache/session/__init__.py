"""The request shell: `CachedSession` and `CacheMixin`, the only code that calls the network.

Theory of operation
===================

::

    request()  ── fast path applies? ──yes──► look_up ──fresh hit──► serve ──► response
       │                │ no, or not a fresh hit
       │                ▼
       └──────► super().request(): prepare_request, merge_environment_settings, send()
                                                                               │
    send() ──► options ──► bypass? ──yes──► network ─────────────────────────► response
                  │
                  └──► look_up (key_for ─► get_response ─► identity, Vary ─► policy.decide)
                           │
                           ├─ Serve ──────────────► serve (304 if the caller's validators
                           │                         match; hooks; redirects like requests)
                           ├─ NotCached ──────────► 504
                           └─ Revalidate | Fetch ─► coalesce (one origin request per key)
                                                     └► origin exchange: network, stale-if-error,
                                                        304 freshening, store (or tee), §4.4
                                                        invalidation, redirect chains

Modules (all private; the public surface is what this package exports):

- ``_mixin``: `CacheMixin` and `CachedSession`: constructor, settings, ``request()``, ``send()``
  and its one switch over the decision types.
- ``_fast_path``: answers a fresh hit in ``request()`` before preparing, when provably the same.
- ``_lookup``: the one lookup: key, stored entry, identity and Vary checks, redirect hops, decide.
- ``_serve``: hands a stored response over the way requests hands over a live one.
- ``_origin``: fetch, revalidate, stale-if-error, invalidation; the only call to the transport.
- ``_store``: the store decision's execution: variants, redirect chains, teeing streamed bodies.
- ``_streaming``: the tee that copies a streamed body into the cache as the caller reads it.
- ``_status``: the Cache-Status (RFC 9211) of every answer, from the decisions' reasons.
- ``_coalesce``: identical concurrent misses share one origin request.
- ``_refresh``: background refreshes for stale-while-revalidate.
- ``_context``: per-request context (`Exchange`) and the context variables below.
- ``_settings_view``: ``session.settings``, where assigning an attribute swaps in a new value.

Process-wide state
==================

- Context variables (per thread and asyncio task): the per-request options on their way from
  ``request()`` to ``send()`` (``_context.request_options``); the sessions with caching turned
  off (``_context._disabled``, set by ``cache_disabled()`` and ``requests_cache.disabled()``);
  the keys the current context is fetching (``_coalesce._leading``), so a request never waits
  on itself.
- Memos: ``_fast_path.PREPARED_URLS`` (URL and merged parameters -> the URL requests prepared,
  4,096 entries), ``_fast_path._class_overrides`` (per session class), and in ``keys`` the
  normalized URLs (4,096) and frozen name sets.
- Registries: ``_coalesce._REGISTRY`` (one in-flight table per backend object, weakly held);
  with metrics on, ``requests_cache.otel._REGISTRY`` (one set of instruments per meter
  provider, each reading the caches it was given, weakly held).
- Threads: each session's ``BackgroundRefresher`` pool, started on first use, joined on
  ``close()``.
- Hooks outside this package: ``stats`` resets its locks after ``fork()``; backends reopen
  connections after ``fork()`` and write statistics at exit.
"""

import logging

import requests

from ._mixin import CachedSession, CacheMixin
from ._serve import not_cached_response

__all__ = ['CacheMixin', 'CachedSession']

logger = logging.getLogger(__name__)

# requests-cache 1.x names of this module, kept for code written for it (see docs/migration.md).
#: ``requests.Session`` itself (1.x name).
OriginalSession = requests.Session
#: ``get_504_response(request)``: the 504 a session answers when ``only_if_cached`` finds
#: nothing usable (1.x name).
get_504_response = not_cached_response
