"""Which requests a session caches, by method (and the method-override headers 1.x honoured)."""

from __future__ import annotations

from typing import Any

from .directives import header_values

__all__ = ['METHOD_OVERRIDE_HEADERS', 'allowed_method']

#: Request headers that name the method a POST stands for; requests-cache 1.x also accepted a
#: request whose override names an allowed method.
METHOD_OVERRIDE_HEADERS = ['X-HTTP-Method-Override', 'X-HTTP-Method', 'X-Method-Override']


def allowed_method(method: str, headers: Any, allowable_methods: tuple[str, ...]) -> bool:
    """True if ``method``, or a method named in a `METHOD_OVERRIDE_HEADERS` header, is allowed.

    This is how requests-cache 1.x chose cacheable requests: a ``POST`` carrying
    ``X-HTTP-Method-Override: GET`` is cached under ``allowable_methods=('GET', 'HEAD')``; its key
    includes the body, so requests with other bodies never share an entry.
    """
    if method.upper() in allowable_methods:
        return True
    if not headers:
        return False
    for name in METHOD_OVERRIDE_HEADERS:
        for value in header_values(headers, name):
            if value.strip().upper() in allowable_methods:
                return True
    return False
