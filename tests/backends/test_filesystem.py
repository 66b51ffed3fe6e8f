"""The filesystem backend: the contracts, plus file naming, modes, atomicity and temp cleanup."""

from __future__ import annotations

import os
import stat
import threading
import time

import pytest
from base_storage_test import ODD_KEYS, BaseCacheTest, BaseStorageTest, make_response

from requests_cache.backends import init_backend
from requests_cache.backends.filesystem import FileCache, FileStorage


class TestFileStorage(BaseStorageTest):
    """The storage contract on a directory."""

    @pytest.fixture
    def storage_factory(self, tmp_path):
        """Open one directory."""
        return lambda: FileStorage(tmp_path / 'files')


class TestFileCache(BaseCacheTest):
    """The cache contract on a directory."""

    @pytest.fixture
    def cache_factory(self, tmp_path):
        """Open a cache on one directory."""
        return lambda **kwargs: FileCache(tmp_path / 'cache', **kwargs)


def test_file_names_never_come_from_keys(tmp_path):
    """Every file is a hex digest inside a two-character fan-out directory under the root."""
    storage = FileStorage(tmp_path / 'files')
    for key in ODD_KEYS:
        storage[key] = b'v'
    root = (tmp_path / 'files').resolve()
    for path in storage.paths():
        assert path.resolve().parent.parent == root
        assert len(path.name) == 64 and set(path.name) <= set('0123456789abcdef')
        assert path.parent.name == path.name[:2]
    assert not (tmp_path / 'etc').exists()


def test_private_modes(tmp_path):
    """Entry files are 0600 and the directories we create are 0700, whatever the umask."""
    old = os.umask(0o022)
    try:
        cache = FileCache(tmp_path / 'cache')
        cache.save_response(make_response('k'), 'k')
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / 'cache').stat().st_mode) == 0o700
    (path,) = cache.paths()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_stale_temp_files_removed_at_open(tmp_path):
    """Temp files left by a crashed writer are removed when the storage opens; fresh ones stay."""
    storage = FileStorage(tmp_path / 'files')
    storage['k'] = b'v'
    fan_out = storage.path_for('k').parent
    stale, fresh = fan_out / '.tmp-stale', fan_out / '.tmp-fresh'
    stale.write_bytes(b'partial')
    fresh.write_bytes(b'partial')
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    reopened = FileStorage(tmp_path / 'files')
    assert not stale.exists() and fresh.exists()
    assert list(reopened) == ['k'] and len(reopened) == 1


def test_readers_never_see_partial_files(tmp_path):
    """Concurrent readers of a key being rewritten see one complete value or the other."""
    storage = FileStorage(tmp_path / 'files')
    values = [b'a' * 200_000, b'b' * 300_000]
    storage['k'] = values[0]
    seen = set()
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            seen.add(storage['k'])

    reader = threading.Thread(target=read)
    reader.start()
    for i in range(30):
        storage['k'] = values[i % 2]
    stop.set()
    reader.join()
    assert seen <= set(values)


def test_corrupt_file_is_a_miss(tmp_path):
    """A damaged entry file reads as a missing key and is removed."""
    storage = FileStorage(tmp_path / 'files')
    storage['k'] = b'v'
    storage.path_for('k').write_bytes(b'X')
    with pytest.raises(KeyError):
        storage['k']
    assert not storage.path_for('k').exists()


def test_registered_and_use_temp(monkeypatch, tmp_path):
    """'filesystem' is a backend name, and use_temp places the directory in the temp dir."""
    import tempfile

    monkeypatch.setattr(tempfile, 'tempdir', str(tmp_path))
    cache = init_backend('files', 'filesystem', use_temp=True)
    assert isinstance(cache, FileCache) and cache.cache_dir == tmp_path / 'files'
