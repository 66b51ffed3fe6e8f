"""Backend arguments of requests-cache 1.x, translated before a backend sees them.

`BaseCache` applies `translate` to the keyword arguments of every backend class (its own and
any subclass, see ``BaseCache.__init_subclass__``), so 1.x code constructs backends unchanged:

* Session settings given to a backend (``SQLiteCache('c', expire_after=60)``; 1.x's own tests
  pass the same arguments to the backend and to the session) are dropped: settings belong to the
  session, which receives them too.
* ``decode_content`` is applied to the serializer (see `SerializerPipeline.set_decode_content`).
* A few arguments with a new name or form are renamed (`RENAMED`); a few that our backends do
  not need are dropped with the reason logged at DEBUG (`NOT_NEEDED`).
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Optional

from ..policy.settings import DEPRECATED_SETTINGS, CacheSettings

__all__ = ['NOT_NEEDED', 'RENAMED', 'SESSION_ARGUMENTS', 'accepted_1x', 'translate']

logger = logging.getLogger(__name__)

#: Session arguments 1.x backends accepted and ignored.
SESSION_ARGUMENTS = frozenset(
    {
        *CacheSettings.names(),
        *DEPRECATED_SETTINGS,
        'autoclose',
        'content_root_key',
        'disabled',
        'only_if_cached',
    }
)

#: Backend class name -> {1.x argument: function of its value -> our arguments}.
RENAMED: dict[str, dict[str, Callable[[Any], dict[str, Any]]]] = {
    'SQLiteCache': {
        # 1.x: synchronous=OFF, fast but may lose the last writes on a power loss
        'fast_save': lambda value: {'synchronous': 'OFF'} if value else {},
    },
    'FileCache': {
        'max_cache_bytes': lambda value: {'max_size': value},
        'max_file_bytes': lambda value: {'max_response_size': value},
    },
}

#: Backend class name -> {1.x argument: why our backend does without it}.
NOT_NEEDED: dict[str, dict[str, str]] = {
    'SQLiteCache': {
        'isolation_level': 'writes always run in their own short transactions (1.x ignored it too)',
        'lock': 'each thread has its own connection and writes retry on SQLITE_BUSY',
    },
    'FileCache': {
        'lock': 'writes are atomic renames, safe across threads, instances and processes',
        'block_bytes': 'sizes are the bytes of each file; max_size bounds those',
        'sync_index': 'a bounded cache rescans its directory whenever its totals may be stale',
    },
}


def translate(cls: type, kwargs: dict[str, Any]) -> tuple[dict[str, Any], Optional[bool]]:
    """Our arguments for a 1.x-style call of backend class ``cls``, and ``decode_content``.

    Returns:
        The keyword arguments to pass on, and the ``decode_content`` value given (None if none).
    """
    if not kwargs:
        return kwargs, None
    names = [klass.__name__ for klass in cls.__mro__]
    renamed = {k: v for name in reversed(names) for k, v in RENAMED.get(name, {}).items()}
    not_needed = {k: v for name in reversed(names) for k, v in NOT_NEEDED.get(name, {}).items()}
    result: dict[str, Any] = {}
    decode_content = None
    for key, value in kwargs.items():
        if key == 'decode_content':
            decode_content = bool(value)
        elif key in SESSION_ARGUMENTS and key not in _own_parameters(cls):
            logger.debug('%s: %s is a session setting; pass it to the session', cls.__name__, key)
        elif key in renamed:
            result.update(renamed[key](value))
        elif key in not_needed:
            logger.debug('%s: %s is not needed: %s', cls.__name__, key, not_needed[key])
        else:
            result[key] = value
    return result, decode_content


def accepted_1x(cls: type) -> set[str]:
    """The requests-cache 1.x backend arguments `translate` takes for ``cls``: accepted by its
    constructor, and so by a session that passes them on."""
    names = [klass.__name__ for klass in cls.__mro__]
    accepted = {'decode_content'}
    for name in names:
        accepted.update(RENAMED.get(name, {}))
        accepted.update(NOT_NEEDED.get(name, {}))
    return accepted


def _own_parameters(cls: type) -> frozenset[str]:
    """Arguments a backend does take, even if a session setting has the same name."""
    return frozenset(getattr(cls, 'backend_kwargs', ()))
