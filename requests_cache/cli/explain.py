"""``explain``: would a response be cached, for how long, and why.

Without ``--fetch`` the answer comes from the stored response, run through the same lookup
decision a session makes; with ``--fetch`` the URL is fetched with plain ``requests`` (nothing is
stored) and the storing decision is made under the settings given on the command line.
"""

from __future__ import annotations

import argparse
from typing import Any

import requests

from ..backends import BaseCache
from ..models import CachedResponse, utcnow
from ..policy import (
    CacheSettings,
    RequestFacts,
    RequestOptions,
    Store,
    StoredFacts,
    decide,
    may_store,
)
from ._terminal import clean
from .entries import find_response
from .output import ExitCode, emit_json, human_time, warn

__all__ = ['explain', 'explain_fetched', 'settings_from_args']


def settings_from_args(args: argparse.Namespace) -> CacheSettings:
    """The `CacheSettings` that ``--cache-control`` and ``--expire-after`` describe.

    Raises:
        ConfigurationError: A value is not allowed.
    """
    kwargs: dict[str, Any] = {'cache_control': args.cache_control}
    if args.expire_after is not None:  # already parsed by the argument parser
        kwargs['expire_after'] = args.expire_after
    return CacheSettings.from_kwargs(**kwargs)


def explain(cache: BaseCache, args: argparse.Namespace) -> int:
    """Print what a session would do now with the response stored for a URL, and why."""
    settings = settings_from_args(args)
    entry = find_response(cache, args.url)
    if entry is None:
        warn(f'nothing stored for {args.url}; use --fetch to ask the origin')
        return ExitCode.NOT_FOUND
    response = entry.response
    decision = decide(
        RequestFacts('GET', response.url, response.request.headers),
        _stored_facts(response),
        settings,
        RequestOptions(),
        utcnow(),
    )
    result = {
        'url': response.url,
        'source': 'cache',
        'stored': True,
        'created_at': response.created_at.isoformat(),
        'expires': response.expires.isoformat() if response.expires else None,
        'decision': type(decision).__name__.lower(),
        'reason': decision.reason,
    }
    if args.json:
        emit_json(result)
    else:
        print(f'{clean(response.url)} is stored (created {human_time(response.created_at)}).')
        print(f'Expires: {human_time(response.expires)}')
        print(f'A request now would: {result["decision"]} ({clean(decision.reason)})')
    return ExitCode.OK


def _stored_facts(response: CachedResponse) -> StoredFacts:
    return StoredFacts(
        status=response.status_code,
        headers=response.header_pairs(),
        request_time=response.request_time,
        response_time=response.created_at,
        expires=response.expires,
    )


def explain_fetched(args: argparse.Namespace) -> int:
    """GET the URL with plain ``requests`` and print whether a session would store the answer."""
    settings = settings_from_args(args)
    request_time = utcnow()
    # Plain requests, not a CachedSession: we want the origin's answer and must not store it.
    with requests.Session() as session:
        response = session.get(args.url, timeout=args.timeout)
    now = utcnow()
    request = RequestFacts('GET', response.url, response.request.headers)
    headers = list(response.raw.headers.items())
    decision = may_store(
        request, response.status_code, headers, settings, RequestOptions(), now, request_time
    )
    expires = decision.expires if isinstance(decision, Store) else None
    result = {
        'url': response.url,
        'source': 'origin',
        'status': response.status_code,
        'cache_control': response.headers.get('Cache-Control'),
        'would_store': isinstance(decision, Store),
        'expires': expires.isoformat() if expires else None,
        'reason': decision.reason,
    }
    if args.json:
        emit_json(result)
    else:
        verdict = 'would be stored' if result['would_store'] else 'would NOT be stored'
        print(f'{clean(response.url)} answered {response.status_code}: {verdict}.')
        if isinstance(decision, Store):
            print(f'Expires: {human_time(expires)}')
        print(f'Reason: {clean(decision.reason)}')
    return ExitCode.OK
