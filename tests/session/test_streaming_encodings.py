"""A streamed, compressed body is stored decoded however the caller reads it, and never when its
compressed stream was cut short (issue 15, item 1).

``r = s.get(gzip_url, stream=True); r.raw.read()`` once stored the gzip bytes as the body, so every
later hit's ``content`` was gzip data. The pass criterion for every read mode: a later hit's
``content`` is the decoded body, byte for byte, or nothing was stored.
"""

from __future__ import annotations

import gzip
import importlib.util
import io
import shutil
import zlib

import pytest
import requests

BODY = b''.join(b'line %d of a compressible body\n' % i for i in range(3000))


def _deflate_raw(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def _brotli(data: bytes) -> bytes:
    import brotli

    return bytes(brotli.compress(data))


ENCODINGS = {
    'gzip': ('gzip', gzip.compress),
    'x-gzip': ('x-gzip', gzip.compress),
    'gzip-2-members': ('gzip', lambda d: gzip.compress(d[:5000]) + gzip.compress(d[5000:])),
    'deflate': ('deflate', zlib.compress),
    'deflate-raw': ('deflate', _deflate_raw),
    'br': ('br', _brotli),
    'identity': ('identity', lambda d: d),
}
BROTLI = importlib.util.find_spec('brotli') is not None or importlib.util.find_spec('brotlicffi')


def _read_content(r):
    return r.content


def _read_iter_content(r):
    return b''.join(r.iter_content(1000))


def _read_iter_content_none(r):
    return b''.join(r.iter_content(None))


def _read_raw(r):
    return r.raw.read()


def _read_raw_pieces(r):
    return b''.join(iter(lambda: r.raw.read(777), b''))


def _read_raw_decoded(r):
    return r.raw.read(decode_content=True)


def _read_raw_decoded_pieces(r):
    return b''.join(iter(lambda: r.raw.read(777, decode_content=True), b''))


def _read_raw_stream(r):
    return b''.join(r.raw.stream(1000))


def _read_raw_stream_decoded(r):
    return b''.join(r.raw.stream(1000, decode_content=True))


def _copyfileobj(r):
    out = io.BytesIO()
    shutil.copyfileobj(r.raw, out)
    return out.getvalue()


def _copyfileobj_decoded(r):
    r.raw.decode_content = True  # the usual recipe for saving a download decoded
    out = io.BytesIO()
    shutil.copyfileobj(r.raw, out)
    return out.getvalue()


def _lines(r):
    return b''.join(r.raw)


#: How each mode reads, and whether the caller gets the decoded body (else the bytes as sent).
READERS = {
    'content': (_read_content, True),
    'iter_content': (_read_iter_content, True),
    'iter_content_none': (_read_iter_content_none, True),
    'raw_read': (_read_raw, False),
    'raw_read_pieces': (_read_raw_pieces, False),
    'raw_read_decoded': (_read_raw_decoded, True),
    'raw_read_decoded_pieces': (_read_raw_decoded_pieces, True),
    'raw_stream': (_read_raw_stream, False),
    'raw_stream_decoded': (_read_raw_stream_decoded, True),
    'copyfileobj': (_copyfileobj, False),
    'copyfileobj_decoded': (_copyfileobj_decoded, True),
    'raw_lines': (_lines, True),
}


@pytest.fixture(params=list(ENCODINGS))
def encoding(request):
    """Each content coding, with its encoder."""
    if request.param == 'br' and not BROTLI:
        pytest.skip('br needs brotli or brotlicffi, which are optional and not installed here')
    return ENCODINGS[request.param]


@pytest.mark.parametrize('mode', list(READERS))
def test_hit_reproduces_the_decoded_body_however_the_miss_was_read(session, origin, encoding, mode):
    """Read the streamed miss in each way, for each coding: the caller gets what plain requests
    would give, and the hit's content is the decoded body, byte for byte."""
    name, encode = encoding
    sent = encode(BODY)
    url = origin.route('/coded', body=sent, headers={'Content-Encoding': name})
    read, decoded = READERS[mode]
    miss = session.get(url, stream=True)
    assert read(miss) == (BODY if decoded or name == 'identity' else sent)
    hit = session.get(url)
    assert hit.from_cache is True
    assert hit.content == BODY
    assert origin.count('/coded') == 1


@pytest.mark.parametrize('mode', list(READERS))
@pytest.mark.parametrize('coding', ['gzip', 'deflate'])
def test_compressed_stream_cut_short_with_a_matching_length_is_not_stored(
    session, origin, coding, mode
):
    """A compressed body cut in half, sent with a Content-Length that matches the cut bytes, is
    read without a transport error, and never stored, whatever the read mode."""
    cut = ENCODINGS[coding][1](BODY)
    cut = cut[: len(cut) // 2]
    url = origin.route('/cut', body=cut, headers={'Content-Encoding': coding})
    read, _decoded = READERS[mode]
    read(session.get(url, stream=True))
    assert len(session.cache.responses) == 0
    assert session.get(url).from_cache is False


def test_garbage_behind_a_gzip_header_is_an_error_and_not_stored(session, origin):
    """A body that is not gzip data raises requests' ContentDecodingError and is not stored."""
    url = origin.route(
        '/bad', body=b'\x1f\x8b' + b'not gzip' * 50, headers={'Content-Encoding': 'gzip'}
    )
    with pytest.raises(requests.exceptions.ContentDecodingError):
        session.get(url, stream=True).content  # noqa: B018
    assert len(session.cache.responses) == 0


def test_raw_bytes_that_do_not_decode_are_passed_and_not_stored(session, origin):
    """Read raw, undecodable gzip reaches the caller as sent and is not stored."""
    sent = b'\x1f\x8b' + b'not gzip' * 50
    url = origin.route('/bad-raw', body=sent, headers={'Content-Encoding': 'gzip'})
    assert session.get(url, stream=True).raw.read() == sent
    assert len(session.cache.responses) == 0


def test_trailing_garbage_after_a_gzip_member_is_served_but_not_stored(session, origin):
    """Bytes after a complete gzip member are ignored for the caller (as urllib3 does) but make
    the body doubtful, so it is not stored."""
    url = origin.route(
        '/trailing', body=gzip.compress(BODY) + b'junk', headers={'Content-Encoding': 'gzip'}
    )
    assert session.get(url, stream=True).content == BODY
    assert len(session.cache.responses) == 0


def test_caller_abandoning_the_stream_then_reading_on_stores_the_whole_body(session, origin):
    """Stopping iteration part way and reading the rest with raw.read() still stores the whole
    decoded body: the tee follows the bytes, not the calls."""
    url = origin.route('/mixed', body=gzip.compress(BODY), headers={'Content-Encoding': 'gzip'})
    response = session.get(url, stream=True)
    first = next(response.raw.stream(1000, decode_content=True))
    rest = response.raw.read(decode_content=True)
    assert first + rest == BODY
    assert session.get(url).content == BODY
