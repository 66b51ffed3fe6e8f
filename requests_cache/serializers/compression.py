"""An optional compression stage for large bodies: zlib always, zstd when it is importable.

A compressed pipeline gets its own name (``binary+zlib``), so its tag differs from the
uncompressed format and neither ever reads the other's blobs.
"""

from __future__ import annotations

import zlib
from typing import Any, Callable

from ..errors import ConfigurationError, MissingDependencyError
from .chunks import zlib_compress_blob
from .pipeline import SerializerPipeline, Stage, join_chunks

__all__ = ['COMPRESSORS', 'compressed', 'compression_stage']


def _zlib_stage() -> Stage:
    def dumps(value: Any) -> bytes:
        compressor = zlib.compressobj(6)
        chunks = value if isinstance(value, (list, tuple)) else [value]
        return b''.join([*(compressor.compress(c) for c in chunks), compressor.flush()])

    def loads(data: Any) -> memoryview:
        decompressor = zlib.decompressobj()
        out = decompressor.decompress(data) + decompressor.flush()
        # Trailing bytes or a cut-off stream mean the blob was damaged; both are a miss.
        if not decompressor.eof or decompressor.unused_data:
            raise ValueError('zlib stream is truncated or has trailing data')
        return memoryview(out)

    # Streams: deflate gives the same bytes however its input is split (zlib_compress_blob).
    return Stage(dumps=dumps, loads=loads, name='zlib', stream=zlib_compress_blob)


def _zstd_stage() -> Stage:
    try:  # Python 3.14+ ships zstd in the standard library.
        from compression import zstd  # type: ignore[import-not-found, unused-ignore]

        compress: Callable[[bytes], bytes] = zstd.compress
        decompress: Callable[[Any], bytes] = zstd.decompress
    except ImportError:
        try:
            import zstandard  # type: ignore[import-not-found, unused-ignore]
        except ImportError as exc:
            raise MissingDependencyError('zstd compression', 'zstd', 'zstandard') from exc
        compress = zstandard.ZstdCompressor().compress
        decompress = zstandard.ZstdDecompressor().decompress

    # No ``stream`` step: zstd's streaming API is not guaranteed to produce the frame its one-shot
    # compress does (which records the content size), and a streamed blob must match byte for
    # byte; so large streamed bodies are compressed in memory with zstd.
    return Stage(
        dumps=lambda value: compress(join_chunks(value)),
        loads=lambda data: memoryview(decompress(bytes(data))),
        name='zstd',
    )


#: Compression names accepted by `compressed` and ``init_serializer(..., compress=...)``.
COMPRESSORS: dict[str, Callable[[], Stage]] = {'zlib': _zlib_stage, 'zstd': _zstd_stage}


def compression_stage(algorithm: str) -> Stage:
    """Build a compression stage.

    Args:
        algorithm: ``'zlib'`` or ``'zstd'``.

    Returns:
        A stage that compresses bytes (or a list of byte chunks) and decompresses back.

    Raises:
        ConfigurationError: The name is unknown.
        MissingDependencyError: zstd was asked for and no implementation is importable.
    """
    if algorithm not in COMPRESSORS:
        raise ConfigurationError(
            f'compress={algorithm!r} is not valid; allowed: {sorted(COMPRESSORS)}'
        )
    return COMPRESSORS[algorithm]()


def compressed(pipeline: SerializerPipeline, algorithm: str = 'zlib') -> SerializerPipeline:
    """Wrap a binary pipeline so its output is compressed.

    Args:
        pipeline: A binary pipeline (``is_binary=True``).
        algorithm: ``'zlib'`` or ``'zstd'``.

    Returns:
        A new pipeline named ``<name>+<algorithm>``.

    Raises:
        ConfigurationError: The pipeline is a document or signed pipeline, or the algorithm is
            unknown.
    """
    if not pipeline.is_binary:
        raise ConfigurationError(f'{pipeline.name!r} produces documents; only bytes compress')
    if type(pipeline) is not SerializerPipeline:
        # A subclass (a signed pipeline) does its work outside ``stages``; rebuilding it from its
        # stages would silently drop that work, such as the signature check.
        raise ConfigurationError(
            f'cannot compress {pipeline.name!r}; compress first, then sign: '
            "init_serializer(name, compress='zlib', secret_key=...)"
        )
    return SerializerPipeline(
        [*pipeline.stages, compression_stage(algorithm)],
        f'{pipeline.name}+{algorithm}',
        version=pipeline.version,
        strict=pipeline.strict,
        safe=pipeline.safe,
    )
