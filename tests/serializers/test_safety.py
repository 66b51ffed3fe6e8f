"""Planted pickle gadgets never run, and unsigned pickle on shared storage is warned about."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import pytest
from serializer_samples import SECRET

import requests_cache.serializers.signing as signing
from requests_cache.serializers import (
    DecodeError,
    binary_serializer,
    init_serializer,
    json_serializer,
    pickle_serializer,
    signed,
    warn_if_unsafe,
)


class Gadget:
    """Unpickling this creates the sentinel file: what an attacker would plant."""

    def __init__(self, sentinel: Path) -> None:
        self.sentinel = sentinel

    def __reduce__(self) -> Any:
        return (open, (str(self.sentinel), 'w'))


def _gadget(sentinel: Path) -> bytes:
    return pickle.dumps({'body': Gadget(sentinel)}, protocol=5)


def test_gadget_is_live(tmp_path: Path) -> None:
    """Control: the gadget really creates the file when unpickled."""
    sentinel = tmp_path / 'pwned'
    pickle.loads(_gadget(sentinel)).get('body').close()
    assert sentinel.exists()


@pytest.mark.parametrize('pipeline', [binary_serializer, json_serializer], ids=['binary', 'json'])
@pytest.mark.parametrize('with_tag', [True, False], ids=['tagged', 'bare'])
def test_gadget_never_runs_in_safe_formats(pipeline: Any, with_tag: bool, tmp_path: Path) -> None:
    """A pickle gadget stored under a safe format is a DecodeError and does not execute."""
    sentinel = tmp_path / 'pwned'
    blob = (pipeline.tag.encode() if with_tag else b'') + _gadget(sentinel)
    with pytest.raises(DecodeError):
        pipeline.loads(blob, 'key-1')
    assert not sentinel.exists()


def test_gadget_never_runs_with_a_wrong_signature(tmp_path: Path) -> None:
    """A gadget planted under the signed pickle format with a forged signature never runs."""
    sentinel = tmp_path / 'pwned'
    pipeline = signed(pickle_serializer, SECRET)
    inner = pickle_serializer.tag.encode() + _gadget(sentinel)
    forged = pipeline.tag.encode() + os.urandom(32) + inner
    with pytest.raises(DecodeError, match='bad signature'):
        pipeline.loads(forged, 'key-1')
    assert not sentinel.exists()


def test_gadget_signed_with_another_secret_never_runs(tmp_path: Path) -> None:
    """A gadget signed with a different secret (a correctly formed blob) never runs."""
    sentinel = tmp_path / 'pwned'
    attacker = signed(pickle_serializer, 'guessed secret')
    blob = attacker.tag.encode() + attacker._mac(
        attacker._keys[0], 'key-1', pickle_serializer.tag.encode() + _gadget(sentinel)
    )
    blob += pickle_serializer.tag.encode() + _gadget(sentinel)
    with pytest.raises(DecodeError):
        signed(pickle_serializer, SECRET).loads(blob, 'key-1')
    assert not sentinel.exists()


@pytest.fixture
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget which backends have been warned about."""
    monkeypatch.setattr(signing, '_warned', set())


@pytest.mark.usefixtures('fresh_warnings')
@pytest.mark.parametrize('backend', ['redis', 'mongodb', 'gridfs', 'dynamodb'])
@pytest.mark.parametrize('serializer', ['pickle', pickle_serializer], ids=['name', 'pipeline'])
def test_warns_for_pickle_on_network_backends(backend: str, serializer: Any) -> None:
    """Unsigned pickle on a network backend warns, naming the backend."""
    with pytest.warns(UserWarning, match=backend):
        warn_if_unsafe(serializer, backend, None)


@pytest.mark.usefixtures('fresh_warnings')
def test_warns_once() -> None:
    """The warning is given once per backend name, not on every session."""
    with pytest.warns(UserWarning):
        warn_if_unsafe('pickle', 'redis', None)
    warn_if_unsafe('pickle', 'redis', None)  # filterwarnings=error: a second warning fails


@pytest.mark.usefixtures('fresh_warnings')
@pytest.mark.parametrize(
    ('serializer', 'backend', 'secret'),
    [
        ('pickle', 'redis', SECRET),
        ('pickle', 'sqlite', None),
        ('pickle', 'memory', None),
        (None, 'redis', None),
        ('json', 'mongodb', None),
        (signed(pickle_serializer, SECRET), 'redis', None),
        (init_serializer('binary', compress='zlib'), 'dynamodb', None),
    ],
)
def test_no_warning(serializer: Any, backend: str, secret: Any) -> None:
    """Signed pickle, local backends and safe formats do not warn."""
    warn_if_unsafe(serializer, backend, secret)


@pytest.mark.usefixtures('fresh_warnings')
def test_compressed_pickle_still_warns() -> None:
    """Compression does not make pickle safe."""
    with pytest.warns(UserWarning):
        warn_if_unsafe(init_serializer('pickle', compress='zlib'), 'redis', None)


def test_pickle_is_marked_unsafe() -> None:
    """Only pickle is marked unsafe among the built-in formats."""
    assert not pickle_serializer.safe
    assert binary_serializer.safe
    assert json_serializer.safe
