"""The secret salt of the credential hashes in cache keys (see `requests_cache.keys`).

Keys of requests that carry credentials include HMAC-SHA256(salt, credentials), so two users never
share an entry while neither credential reaches storage. The salt is:

* derived from the ``secret_key`` when entries are signed: it then never reaches storage either;
* otherwise 32 random bytes, made once per cache and kept in its ``meta`` storage (which
  ``clear()`` keeps), so every process and machine sharing the cache computes the same keys.

If two processes create the salt at the same moment, the one written last wins and the other
re-reads it; a request keyed in between with the lost salt is only a miss. If the storage cannot
be read, a salt for this process alone is used: entries with credentials are then misses for other
processes, never shared wrongly.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from typing import Any

from ..errors import StorageError

__all__ = ['SALT_KEY', 'credential_salt']

logger = logging.getLogger(__name__)

#: The ``meta`` key the salt is kept under.
SALT_KEY = 'credential-salt'
_LABEL = b'requests-cache credential salt'


def credential_salt(cache: Any) -> bytes:
    """The salt of ``cache`` (loaded or made on first use, then kept on the object)."""
    salt: bytes | None = cache.__dict__.get('_credential_salt')
    if salt is None:
        salt = cache.__dict__['_credential_salt'] = _load(cache)
    return salt


def _load(cache: Any) -> bytes:
    signing_keys = getattr(cache.serializer, 'keys', None)
    if signing_keys:
        return hmac.new(signing_keys[0], _LABEL, hashlib.sha256).digest()
    try:
        stored = _as_salt(cache.meta.get(SALT_KEY))
        if stored is None:
            cache.meta[SALT_KEY] = secrets.token_hex(32)
            stored = _as_salt(cache.meta.get(SALT_KEY))
    except StorageError as exc:
        logger.warning(
            'Cannot read the credential salt of %s (%s); using one for this process', cache, exc
        )
        stored = None
    return stored if stored is not None else secrets.token_bytes(32)


def _as_salt(value: Any) -> bytes | None:
    if value is None:
        return None
    text = value.decode('ascii', 'replace') if isinstance(value, bytes) else str(value)
    try:
        salt = bytes.fromhex(text)
    except ValueError:
        return None
    return salt if len(salt) >= 16 else None
