"""Every stored entry carries a checksum: one flipped bit anywhere is a DecodeError, never a
response (issue 15, item 4: a flipped bit was served in 544 of 897 positions)."""

from __future__ import annotations

from decimal import Decimal

import pytest
import xxhash
from serializer_samples import (
    binary_pipelines,
    document_pipelines,
    make_response,
)

from requests_cache.serializers import DecodeError, binary_serializer, chunks
from requests_cache.serializers.checksums import entry_checksum
from requests_cache.serializers.chunks import BytesBlob, attach_body
from requests_cache.serializers.entry import response_to_entry

BINARY = binary_pipelines()
DOCUMENTS = document_pipelines()


@pytest.mark.parametrize('name', list(BINARY))
def test_every_bit_flip_of_a_blob_is_a_decode_error(name):
    """Each of the blob's bits flipped in turn: every one is a DecodeError (so a logged miss)."""
    pipeline = BINARY[name]
    blob = pipeline.dumps(make_response(body=b'body of /x', redirects=1))
    served = 0
    for bit in range(len(blob) * 8):
        damaged = bytearray(blob)
        damaged[bit // 8] ^= 1 << (bit % 8)
        try:
            pipeline.loads(bytes(damaged), 'key-1')
        except DecodeError:
            continue
        served += 1
    assert served == 0, f'{served} of {len(blob) * 8} flipped bits were served'


def test_blob_ends_with_the_xxh3_of_everything_before_it():
    """The binary format's last 8 bytes are the XXH3-64 hash of the tag and payload
    (little-endian)."""
    blob = binary_serializer.dumps(make_response())
    assert blob.startswith(binary_serializer.tag.encode())
    assert int.from_bytes(blob[-8:], 'little') == xxhash.xxh3_64_intdigest(blob[:-8])


def test_chunked_blob_is_sealed_like_an_in_memory_one(monkeypatch):
    """A streamed body written in chunks gets the same checksum as the in-memory blob."""
    monkeypatch.setattr(chunks, 'INLINE_BODY_LIMIT', 0)
    response = make_response(body=b'')
    body = bytes(range(256)) * 100
    attach_body(response, BytesBlob(body))
    with binary_serializer.dumps_chunked(response) as blob:
        chunked = b''.join(blob.chunks())
        assert len(blob) == len(chunked)
    assert chunked == binary_serializer.dumps(response)
    assert binary_serializer.loads(chunked, 'key-1').content == body


@pytest.mark.parametrize('name', list(DOCUMENTS))
def test_document_with_a_changed_field_is_a_decode_error(name):
    """A document whose body, header, URL, status or expiry changed fails its checksum."""
    pipeline = DOCUMENTS[name]
    changes = {
        'body': lambda d: d.__setitem__('body', _other_bytes(d['body'])),
        'header': lambda d: d['headers'][0].__setitem__(1, 'text/html'),
        'url': lambda d: d.__setitem__('url', d['url'] + 'x'),
        'status': lambda d: d.__setitem__('status', 201),
        'expires': lambda d: d.__setitem__('expires', d['expires'] + 1),
    }
    for change in changes.values():
        document = pipeline.dumps(make_response(body=b'plain text body'))
        change(document)
        with pytest.raises(DecodeError, match='checksum'):
            pipeline.loads(document, 'key-1')


@pytest.mark.parametrize('name', list(DOCUMENTS))
def test_document_without_a_checksum_is_a_decode_error(name):
    """A document written before checksums (no ``_checksum``) is a miss."""
    document = DOCUMENTS[name].dumps(make_response())
    del document['_checksum']
    with pytest.raises(DecodeError):
        DOCUMENTS[name].loads(document, 'key-1')


def test_entry_checksum_ignores_what_a_database_may_change():
    """Key order, lists for tuples and Decimal or int for float give the same checksum."""
    entry = response_to_entry(make_response())
    as_database = {key: entry[key] for key in reversed(list(entry))}
    as_database['created_at'] = Decimal(repr(entry['created_at']))
    as_database['status'] = Decimal(entry['status'])
    as_database['headers'] = [tuple(pair) for pair in entry['headers']]
    assert entry_checksum(as_database) == entry_checksum(entry)
    as_database['status'] = 201
    assert entry_checksum(as_database) != entry_checksum(entry)


def _other_bytes(value):
    """Bytes-ish document field with one byte changed, in the field's own representation."""
    if isinstance(value, dict):  # the JSON document's {'text': ...}
        return {k: v.upper() for k, v in value.items()}
    return bytes(value[:-1]) + bytes([value[-1] ^ 1])
