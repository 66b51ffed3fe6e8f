"""Serializer pipelines: a response passes through a list of stages on its way to storage.

``dumps`` runs the stages in order, prefixes the result with the pipeline's tag and seals it with a
checksum (see `requests_cache.serializers.checksums`); ``loads`` checks the checksum and the tag,
then runs the stages in reverse. Any failure on the way back is a `DecodeError`, which the cache
turns into a logged miss (or a `StorageError` with ``strict=True``).

Binary stages may return a list or tuple of byte chunks instead of one bytes object: the pipeline
joins the tag and the chunks in one copy, so a large body is copied once on the way out. On the way
back the first stage sees a `memoryview` past the tag, so the tag is never sliced off with a copy.

A body too large to hold can take another way out: `SerializerPipeline.dumps_chunked` runs each
stage's optional ``stream`` step, which passes `ChunkedBlob` values (a size and re-readable
chunks) instead of bytes, so a backend can write the blob a chunk at a time.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Callable, Optional, Union

from ..errors import StorageError
from ..models import CachedResponse
from . import chunks
from .checksums import TRAILER, ChecksummedBlob, checksum_of, digest_of, entry_checksum
from .chunks import ChunkedBlob, StoredBlob, attached_body, joined
from .entry import DecodeError, entry_to_response, response_to_chunked_entry, response_to_entry

__all__ = ['DecodeError', 'SerializerPipeline', 'Stage', 'join_chunks']

logger = logging.getLogger(__name__)


class Stage:
    """One reversible step of a pipeline.

    Args:
        obj: An object whose methods ``dumps`` and ``loads`` name (requests-cache 1.x style:
            ``Stage(pickle)``, ``Stage(yaml, dumps='safe_dump', loads='safe_load')``).
        dumps: Transforms a value toward storage: a function, or a method name of ``obj``.
        loads: Reverses ``dumps``: a function, or a method name of ``obj``. In a binary pipeline
            the stage closest to storage receives a `memoryview`; stages that need `bytes`
            convert it.
        name: A short name for logs and ``repr``. A stage without one is taken to be written for
            requests-cache 1.x: it is given ``bytes`` rather than memoryviews or chunk lists.
        stream: See `stream` below.

    Raises:
        TypeError: ``dumps`` or ``loads`` is neither callable nor a method of ``obj``.
    """

    def __init__(
        self,
        obj: Any = None,
        dumps: Union[str, Callable[[Any], Any]] = 'dumps',
        loads: Union[str, Callable[[Any], Any]] = 'loads',
        name: str = '',
        stream: Optional[Callable[[Any], ChunkedBlob]] = None,
        lazy: Optional[Callable[[StoredBlob, int, int], Any]] = None,
    ) -> None:
        dumps_fn = getattr(obj, dumps, None) if isinstance(dumps, str) else dumps
        loads_fn = getattr(obj, loads, None) if isinstance(loads, str) else loads
        if not callable(dumps_fn) or not callable(loads_fn):
            raise TypeError(
                f'Stage({obj!r}, dumps={dumps!r}, loads={loads!r}) is not valid; allowed: dumps '
                'and loads functions, or an object and the names of its dumps and loads methods'
            )
        self.obj = obj
        self.name = name or _stage_name(obj, dumps_fn)
        if name:
            self.dumps, self.loads = dumps_fn, loads_fn
        else:  # a user's stage: plain bytes in, whatever our stages hand over
            self.dumps, self.loads = _joined_input(dumps_fn), _bytes_input(loads_fn)
        #: Optional: ``loads`` for bytes ``start`` to ``end`` of a value still in storage,
        #: returning the entry dict with the body as a `SliceBlob` of it, so a large hit is
        #: never read whole. Only the stage closest to storage of a one-stage pipeline uses it.
        self.lazy = lazy
        #: Optional: ``dumps`` for a value whose body is a `ChunkedBlob` (the first stage gets the
        #: entry dict, later stages the previous stage's blob), returning a `ChunkedBlob` whose
        #: chunks join into exactly what ``dumps`` returns. It owns (closes) a blob it is given.
        #: None means the stage needs the whole value in memory.
        self.stream = stream

    def copy(self) -> Stage:
        """A copy of this stage (1.x name); stages hold no state, so it behaves the same."""
        return copy.copy(self)

    def __repr__(self) -> str:
        return f'Stage({self.name})'


def _stage_name(obj: Any, dumps: Callable[[Any], Any]) -> str:
    owner = obj if obj is not None else dumps
    return str(getattr(owner, '__name__', None) or getattr(dumps, '__module__', None) or 'stage')


def _joined_input(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def dumps(value: Any) -> Any:
        if isinstance(value, (list, tuple)) and all(
            isinstance(c, (bytes, memoryview)) for c in value
        ):
            value = join_chunks(value)
        return function(bytes(value) if isinstance(value, memoryview) else value)

    return dumps


def _bytes_input(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def loads(value: Any) -> Any:
        return function(bytes(value) if isinstance(value, (memoryview, bytearray)) else value)

    return loads


def join_chunks(value: Any, prefix: bytes = b'') -> bytes:
    """Join a stage result (bytes-like, or a list or tuple of chunks) into bytes after ``prefix``.

    Args:
        value: Bytes-like object, or a list or tuple of them.
        prefix: Bytes to put first (a tag).

    Returns:
        One bytes object, built with a single copy of each chunk.
    """
    if isinstance(value, (list, tuple)):
        return b''.join((prefix, *value))
    return b''.join((prefix, value))


def sealed(value: Any, prefix: bytes) -> bytes:
    """`join_chunks` with the checksum of the result appended, still in a single copy."""
    chunks = value if isinstance(value, (list, tuple)) else (value,)
    return b''.join((prefix, *chunks, TRAILER.pack(digest_of((prefix, *chunks)))))


class SerializerPipeline:
    """Turns a `CachedResponse` into a tagged blob (or document) and back.

    The first step is always the shared entry shape (see `requests_cache.serializers.entry`); the
    stages given here run after it.

    Args:
        stages: Steps from the entry dict toward storage.
        name: Format name; part of the tag, so a blob written by one format is never read by
            another.
        version: Format version; part of the tag. The default is 2: version 1 blobs were
            written before every blob carried a checksum, and read as misses.
        is_binary: True if the result is bytes; False for document formats (a dict).
        strict: Raise `StorageError` instead of `DecodeError` for unreadable blobs, so corruption
            is loud instead of a logged miss.
        safe: False if loading a blob from untrusted storage could run code (pickle).

    A response whose body is attached in a file (see `requests_cache.serializers.chunks`) can be
    written with `dumps_chunked` instead, without reading the body into memory, when every stage
    has a ``stream`` step.
    """

    def __init__(
        self,
        stages: Sequence[Any],
        name: Optional[str] = None,
        version: int = 2,
        is_binary: bool = True,
        strict: bool = False,
        safe: bool = True,
    ) -> None:
        steps = [step for stage in stages for step in _steps(stage)]
        self.stages = tuple(step for step, _ in steps)
        self.name = name or 'custom:' + '+'.join(stage.name for stage in self.stages)
        self.version = version
        self.is_binary = is_binary
        self.strict = strict
        self.safe = safe and all(step_safe for _, step_safe in steps)
        #: requests-cache 1.x's option to store bodies decoded; our text formats always keep a
        #: UTF-8 body readable, so it changes nothing (see `set_decode_content`).
        self.decode_content = False
        self.tag = f'rc/{self.name}/{version}\n'
        self._tag_bytes = self.tag.encode()

    def copy(self) -> SerializerPipeline:
        """A copy of this pipeline (1.x name)."""
        return copy.copy(self)

    def set_decode_content(self, decode_content: bool) -> None:
        """requests-cache 1.x's switch for storing bodies decoded; kept as a no-op flag: text
        formats (``json``, ``yaml``) always store a UTF-8 body as readable text, and binary ones
        store it as raw bytes."""
        self.decode_content = decode_content

    def dumps(self, response: CachedResponse, cache_key: Optional[str] = None) -> Any:
        """Serialize a response into a tagged blob (bytes) or document (dict).

        Args:
            response: The response to store.
            cache_key: The key it is stored under; unused here, but signed pipelines bind the
                blob to it (default: ``response.cache_key``).

        Returns:
            Bytes for binary pipelines, a dict for document pipelines.
        """
        value: Any = response_to_entry(response)
        checksum = None if self.is_binary else entry_checksum(value)
        for stage in self.stages:
            value = stage.dumps(value)
        if isinstance(value, dict):  # a document (MongoDB, DynamoDB)
            if checksum is None:
                checksum = entry_checksum(response_to_entry(response))
            return {'_format': self.tag, '_checksum': checksum, **value}
        if isinstance(value, str):  # a 1.x text stage (json.dumps, yaml.safe_dump)
            value = value.encode('utf-8')
        return sealed(value, self._tag_bytes)

    @property
    def streams(self) -> bool:
        """True if every stage can serialize a body kept in a file (see `dumps_chunked`)."""
        return self.is_binary and all(stage.stream is not None for stage in self.stages)

    def dumps_chunked(
        self, response: CachedResponse, cache_key: Optional[str] = None
    ) -> Optional[ChunkedBlob]:
        """Serialize a response whose body is attached in a file, without reading it into memory.

        Args:
            response: The response to store, with a body attached by ``attach_body``.
            cache_key: The key it is stored under (see `dumps`).

        Returns:
            The sealed blob as chunks, byte-identical to what `dumps` returns; close it after use.
            None if there is no attached body over ``INLINE_BODY_LIMIT``, or a stage cannot
            stream: then call `dumps`, which reads the attached body into memory.
        """
        body = attached_body(response)
        if body is None or len(body) <= chunks.INLINE_BODY_LIMIT:
            return None
        if not self.streams:
            logger.debug(
                'Serializing a %d-byte body in memory: the %s format cannot stream it',
                len(body),
                self.name,
            )
            return None
        value: Any = response_to_chunked_entry(response, body)
        for stage in self.stages:
            assert stage.stream is not None  # checked by self.streams
            value = stage.stream(value)
        return ChecksummedBlob(joined(self._tag_bytes, value))

    def loads(self, blob: Any, cache_key: str = '') -> CachedResponse:
        """Deserialize a blob written by `dumps`.

        Args:
            blob: Bytes (binary pipelines) or a dict (document pipelines) read from storage.
            cache_key: The key the blob was read from; set on the response.

        Returns:
            The rebuilt response.

        Raises:
            DecodeError: The blob has another tag, or is corrupt or of the wrong shape.
            StorageError: The same failures, when the pipeline is ``strict``.
        """
        try:
            if type(blob) is not bytes and isinstance(blob, StoredBlob):
                return self._loads_stored(blob, cache_key)
            return self._loads(blob, cache_key)
        except DecodeError as exc:
            if self.strict:
                raise StorageError(f'unreadable cache entry {cache_key!r}: {exc}') from exc
            raise

    def _loads(self, blob: Any, cache_key: str) -> CachedResponse:
        document = isinstance(blob, dict)
        if document:
            value = self._untag(blob)
            checksum = value.pop('_checksum', None)
        else:
            value = self._verified(blob, self._untag(blob))
        try:
            for stage in reversed(self.stages):
                value = stage.loads(value)
            if document:
                _check_entry(value, checksum)
        except DecodeError:
            raise
        except Exception as exc:  # decoders raise anything on foreign data; all of it is a miss
            raise DecodeError(f'{self.name} decoding failed: {exc!r}') from exc
        return entry_to_response(value, cache_key)

    def _loads_stored(self, stored: StoredBlob, cache_key: str) -> CachedResponse:
        """Load a value still in storage: check its tag and checksum in one pass over it, then
        build a response whose body is read from storage when it is read (issue 15, item 9)."""
        lazy = self.stages[0].lazy if len(self.stages) == 1 and self.is_binary else None
        if lazy is None or type(self)._loads is not SerializerPipeline._loads:
            with stored:  # this format needs the whole blob in memory
                return self._loads(stored.read_all(), cache_key)
        try:
            end = len(stored) - TRAILER.size
            tag = self._tag_bytes
            if end < len(tag) or stored.read_at(0, len(tag)) != tag:
                raise DecodeError(f'not a {self.tag.strip()!r} blob')
            (expected,) = TRAILER.unpack(stored.read_at(end, TRAILER.size))
            if digest_of(stored.range(0, end)) != expected:
                raise DecodeError('checksum mismatch (the stored entry is damaged)')
            try:
                entry = lazy(stored, len(tag), end)
            except DecodeError:
                raise
            except Exception as exc:  # a damaged frame: a miss like any other
                raise DecodeError(f'{self.name} decoding failed: {exc!r}') from exc
            return entry_to_response(entry, cache_key)
        except BaseException:
            stored.close()
            raise

    def _verified(self, blob: Any, payload: memoryview) -> memoryview:
        """The payload (the blob past its tag) without the checksum trailer, once the checksum
        of the whole blob matches."""
        if len(payload) < TRAILER.size:
            raise DecodeError('blob is too short to hold its checksum')
        whole = memoryview(blob)
        end = len(whole) - TRAILER.size
        if checksum_of(whole[:end]) != TRAILER.unpack_from(whole, end)[0]:
            raise DecodeError('checksum mismatch (the stored entry is damaged)')
        return payload[: -TRAILER.size]

    def _untag(self, blob: Any) -> Any:
        if not isinstance(blob, dict):
            # bytes.startswith is the common, fast path; other buffers compare a view slice.
            if isinstance(blob, bytes):
                tagged = blob.startswith(self._tag_bytes)
            elif isinstance(blob, (bytearray, memoryview)):
                tagged = memoryview(blob)[: len(self._tag_bytes)] == self._tag_bytes
            else:
                tagged = False
            if not tagged:
                raise DecodeError(f'not a {self.tag.strip()!r} blob: {_describe(blob)}')
            return memoryview(blob)[len(self._tag_bytes) :]
        if blob.get('_format') != self.tag:
            raise DecodeError(f'not a {self.tag.strip()!r} document: {_describe(blob)}')
        return {k: v for k, v in blob.items() if k != '_format'}

    def __repr__(self) -> str:
        return f'SerializerPipeline({self.name!r}, version={self.version}, stages={self.stages})'


def _check_entry(entry: Any, checksum: Any) -> None:
    # DynamoDB hands every number back as a Decimal.
    if not isinstance(checksum, (int, Decimal)) or isinstance(checksum, bool):
        raise DecodeError('document has no checksum')
    if entry_checksum(entry) != checksum:
        raise DecodeError('checksum mismatch (the stored document is damaged)')


def _describe(blob: Any) -> str:
    if isinstance(blob, (bytes, bytearray, memoryview)):
        return f'starts with {bytes(blob[:16])!r}'
    return f'a {type(blob).__name__}'


def _steps(stage: Any) -> list[tuple[Stage, bool]]:
    """The stages a pipeline is built from, each with whether it is safe to load untrusted data.

    requests-cache 1.x pipelines could hold other pipelines, response stages (``CattrStage``)
    and any object with ``dumps``/``loads``: a plain pipeline's stages join ours; a response stage
    is dropped, because every pipeline starts by turning the response into its entry dict; other
    objects become a `Stage`. Pickle, plain or wrapped, is not safe.
    """
    if type(stage) is SerializerPipeline or getattr(stage, 'joins_pipelines', False):
        return [(step, stage.safe) for step in stage.stages]
    if isinstance(stage, SerializerPipeline):  # e.g. signed: its dumps does more than its stages
        return [(_pipeline_stage(stage), stage.safe)]
    if getattr(stage, 'is_response_stage', False):
        return []
    if isinstance(stage, Stage):
        return [(stage, not _is_pickle(stage.obj))]
    if hasattr(stage, 'dumps') and hasattr(stage, 'loads'):
        return [(Stage(stage), not _is_pickle(stage))]
    raise TypeError(
        f'{stage!r} is not a valid stage; allowed: a Stage, a SerializerPipeline, '
        'or an object with dumps() and loads()'
    )


def _is_pickle(obj: Any) -> bool:
    return getattr(obj, '__name__', None) in ('pickle', '_pickle', 'dill', 'cloudpickle')


def _pipeline_stage(pipeline: SerializerPipeline) -> Stage:
    """A whole pipeline as one stage over the entry dict (for pipelines that add their own
    framing, such as signing)."""
    return Stage(
        dumps=lambda entry: pipeline.dumps(entry_to_response(entry, '')),
        loads=lambda blob: response_to_entry(pipeline.loads(blob)),
        name=pipeline.name,
    )
