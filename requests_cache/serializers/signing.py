"""Signed blobs: an HMAC-SHA256 over the cache key and the blob, checked before any decoding.

Layout of a signed blob::

    rc/<inner name>+hmac/1\\n   32-byte HMAC-SHA256   <inner pipeline's tagged blob>

The MAC covers a domain label, the outer tag, the cache key (length-prefixed) and everything after
the MAC, so a blob copied under another key, truncated, or with any bit flipped fails
verification, and the inner decoder (pickle included) never sees it. Digests are compared with
`hmac.compare_digest`.

Why the standard library and not itsdangerous: the blob is raw bytes, and a fixed-size binary MAC
in front of it needs no base64 and no separator scan, and no extra dependency; itsdangerous would
add both an install and a text encoding of the signature for the same HMAC-SHA256 underneath.
Each secret is first turned into a signing key with HMAC and a fixed label, so a secret shared
with another application (a web framework's ``SECRET_KEY``) never signs our blobs directly.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
import warnings
from collections.abc import Iterable, Sequence
from typing import Any, Optional, Union

from ..errors import ConfigurationError
from ..models import CachedResponse
from .chunks import ChunkedBlob, joined
from .entry import DecodeError
from .pipeline import SerializerPipeline, join_chunks

__all__ = ['NETWORK_BACKENDS', 'SecretKey', 'SignedPipeline', 'signed', 'warn_if_unsafe']

#: A secret as users pass it: text (encoded as UTF-8) or bytes.
SecretKey = Union[str, bytes]

#: Backends whose storage other hosts can write to; pickle there needs a secret key.
NETWORK_BACKENDS = frozenset({'redis', 'mongodb', 'gridfs', 'dynamodb'})

_DIGEST_SIZE = hashlib.sha256().digest_size
_KEY_LABEL = b'requests-cache serializer signing key v1'
_MAC_LABEL = b'requests-cache signed blob v1\0'
_KEY_LENGTH = struct.Struct('>Q')
_warned: set[str] = set()


class SignedPipeline(SerializerPipeline):
    """A binary pipeline whose blobs are signed, bound to their cache key, and verified first.

    Args:
        inner: The binary pipeline that encodes the response.
        keys: Derived signing keys; the first signs, every one verifies (key rotation).
        strict: Raise `StorageError` instead of `DecodeError` for bad blobs.
    """

    def __init__(self, inner: SerializerPipeline, keys: Sequence[bytes], strict: bool) -> None:
        super().__init__(inner.stages, f'{inner.name}+hmac', version=1, strict=strict, safe=True)
        self.inner = inner
        self._keys = tuple(keys)

    def dumps(self, response: CachedResponse, cache_key: Optional[str] = None) -> bytes:
        """Serialize and sign a response, bound to its cache key.

        Args:
            response: The response to store.
            cache_key: The key it is stored under (default: ``response.cache_key``). Loading it
                under any other key fails.

        Returns:
            The signed, tagged blob.
        """
        key = response.cache_key if cache_key is None else cache_key
        payload = self.inner.dumps(response, key)
        return join_chunks([self._mac(self._keys[0], key, payload), payload], self._tag_bytes)

    def dumps_chunked(
        self, response: CachedResponse, cache_key: Optional[str] = None
    ) -> Optional[ChunkedBlob]:
        """Sign a response whose body is attached in a file, reading the payload twice (once for
        the MAC, which comes first, then once to write it) instead of holding it.

        Args:
            response: The response to store, with a body attached by ``attach_body``.
            cache_key: The key it is stored under (default: ``response.cache_key``).

        Returns:
            The signed blob as chunks, byte-identical to `dumps`; or None when the inner pipeline
            cannot stream it (then call `dumps`).
        """
        key = response.cache_key if cache_key is None else cache_key
        payload = self.inner.dumps_chunked(response, key)
        if payload is None:
            return None
        try:
            mac = self._mac_chunks(self._keys[0], key, payload.chunks())
        except BaseException:
            payload.close()
            raise
        return joined(self._tag_bytes + mac, payload)

    def _loads(self, blob: Any, cache_key: str) -> CachedResponse:
        view = self._untag(blob)
        if len(view) < _DIGEST_SIZE:
            raise DecodeError('signed blob is too short to hold a signature')
        signature, payload = view[:_DIGEST_SIZE], view[_DIGEST_SIZE:]
        # Every key is tried, so which key matched does not show in the timing either.
        matches = [
            hmac.compare_digest(self._mac(k, cache_key, payload), signature) for k in self._keys
        ]
        if not any(matches):
            raise DecodeError('bad signature (wrong secret key, another cache key, or tampered)')
        return self.inner._loads(payload, cache_key)

    def _mac(self, key: bytes, cache_key: str, payload: Any) -> bytes:
        return self._mac_chunks(key, cache_key, (payload,))

    def _mac_chunks(self, key: bytes, cache_key: str, payload: Iterable[Any]) -> bytes:
        # The key is length-prefixed so no (key, payload) split can collide with another one.
        encoded_key = cache_key.encode('utf-8', 'surrogatepass')
        mac = hmac.new(key, _MAC_LABEL, hashlib.sha256)
        mac.update(self._tag_bytes)
        mac.update(_KEY_LENGTH.pack(len(encoded_key)))
        mac.update(encoded_key)
        for chunk in payload:
            mac.update(chunk)
        return mac.digest()

    def __repr__(self) -> str:
        return f'SignedPipeline({self.inner!r}, keys={len(self._keys)})'


def signed(
    pipeline: SerializerPipeline,
    secret_key: Union[SecretKey, Sequence[SecretKey]],
    strict: bool = False,
) -> SignedPipeline:
    """Sign a binary pipeline's blobs with HMAC-SHA256.

    Args:
        pipeline: A binary pipeline (``is_binary=True``), for example ``pickle``.
        secret_key: A secret, or a list of them for rotation: the first signs new blobs and all
            of them verify, so old entries stay readable until they expire.
        strict: Raise `StorageError` instead of `DecodeError` for bad blobs.

    Returns:
        The signed pipeline.

    Raises:
        ConfigurationError: No usable key, or a document pipeline.
    """
    if not pipeline.is_binary:
        raise ConfigurationError(f'{pipeline.name!r} produces documents; only blobs are signed')
    given: Any = secret_key  # checked at runtime: settings often come from untyped config
    if isinstance(given, (str, bytes)):
        secrets: list[Any] = [given]
    elif isinstance(given, Sequence):
        secrets = list(given)
    else:
        secrets = []
    if not secrets or not all(isinstance(s, (str, bytes)) and s for s in secrets):
        raise ConfigurationError('secret_key must be a non-empty str or bytes, or a list of them')
    keys = [_derive(s.encode('utf-8') if isinstance(s, str) else s) for s in secrets]
    return SignedPipeline(pipeline, keys, strict)


def _derive(secret: bytes) -> bytes:
    return hmac.new(secret, _KEY_LABEL, hashlib.sha256).digest()


def warn_if_unsafe(
    serializer: Union[str, SerializerPipeline, None],
    backend_name: str,
    secret_key: Union[SecretKey, Sequence[SecretKey], None],
) -> None:
    """Warn (once per backend name) when an unsigned pickle format is used on shared storage.

    Loading pickle runs code, so anyone who can write to a Redis, MongoDB or DynamoDB shared with
    other hosts could run code in this process; a ``secret_key`` closes that hole.

    Args:
        serializer: The ``serializer=`` argument (a name or a pipeline).
        backend_name: The backend name (``'redis'``, ``'sqlite'``, ...).
        secret_key: The ``secret_key=`` argument, if any.
    """
    if secret_key or backend_name not in NETWORK_BACKENDS or backend_name in _warned:
        return
    if isinstance(serializer, SerializerPipeline):
        unsafe = not serializer.safe
    else:
        unsafe = serializer == 'pickle'
    if unsafe:
        _warned.add(backend_name)
        warnings.warn(
            f'The pickle serializer on the {backend_name} backend can run code written by anyone '
            'with access to that storage; pass secret_key= to sign entries, or use the default '
            'serializer',
            UserWarning,
            stacklevel=2,
        )
