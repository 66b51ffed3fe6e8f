"""Peak memory of caching a large streamed response (issue #7).

Each read runs in a fresh subprocess, and what is measured is the growth of its peak resident set
size (``ru_maxrss``) while it reads a 100 MiB body with ``iter_content``: what a user would see.
The same read through plain ``requests`` in another fresh process is the baseline; caching may add
at most 64 MiB to it. The origin runs in the test process, so its memory is not counted.
"""

from __future__ import annotations

import hashlib
import json
import random
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

MIB = 1024 * 1024
BLOCK = random.Random(7).randbytes(MIB)  # incompressible, so no layer can cheat by compressing
BLOCKS = 100
BODY_SHA256 = hashlib.sha256(BLOCK * BLOCKS).hexdigest()
EXTRA_LIMIT_MIB = 64

# Imports and the session are set up before the first measurement, so only the read counts.
_READER = textwrap.dedent(
    """
    import hashlib, json, logging, os, resource, sys
    import requests
    import requests_cache

    def status_mib(field):
        with open('/proc/self/status') as status:
            line = next(line for line in status if line.startswith(field + ':'))
        return int(line.split()[1]) / 1024

    def start_measuring():
        # On Linux, reset the high-water mark so setup's own peak does not hide the read's;
        # elsewhere the growth of ru_maxrss is a lower bound of the read's peak.
        try:
            with open('/proc/self/clear_refs', 'w') as clear_refs:
                clear_refs.write('5')
            return status_mib('VmRSS')
        except OSError:
            return peak_mib()

    def peak_mib():
        if os.path.exists('/proc/self/status'):
            return status_mib('VmHWM')
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (1024 * 1024 if sys.platform == 'darwin' else 1024)  # bytes on macOS

    class Collect(logging.Handler):
        def __init__(self):
            super().__init__(logging.DEBUG)
            self.messages = []

        def emit(self, record):
            self.messages.append(record.getMessage())

    args = json.loads(sys.argv[1])
    log = Collect()
    logging.getLogger('requests_cache').addHandler(log)
    logging.getLogger('requests_cache').setLevel(logging.DEBUG)
    if args['backend'] == 'plain':
        session = requests.Session()
    else:
        session = requests_cache.CachedSession(
            args['cache'], backend=args['backend'], max_response_size=args['max_response_size']
        )
    before = start_measuring()
    response = session.get(args['url'], stream=True)
    digest = hashlib.sha256()
    for chunk in response.iter_content(64 * 1024):
        digest.update(chunk)
    response.close()
    result = {'growth_mib': peak_mib() - before, 'sha256': digest.hexdigest(), 'log': log.messages}
    if args['backend'] != 'plain':
        # After the measurement: a hit whose content is read holds the whole body, as it must.
        result['stored'] = len(session.cache.responses)
        hit = session.get(args['url'])
        result['hit_from_cache'] = hit.from_cache
        result['hit_sha256'] = hashlib.sha256(hit.content).hexdigest()
        session.close()
    print(json.dumps(result))
    """
)


def _read_in_subprocess(url: str, backend: str, cache: Path, max_response_size: int) -> Any:
    args = {'url': url, 'backend': backend, 'cache': str(cache)}
    args['max_response_size'] = max_response_size
    done = subprocess.run(
        [sys.executable, '-c', _READER, json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def big_url(origin: Any) -> str:
    """A cacheable 100 MiB body that the origin sends block by block, never holding it whole."""
    headers = {'Cache-Control': 'max-age=600', 'Content-Type': 'application/octet-stream'}
    return str(origin.route('/big', body=BLOCK, repeat=BLOCKS, headers=headers))


@pytest.mark.parametrize('backend', ['sqlite', 'filesystem'])
def test_streamed_100mib_is_cached_in_bounded_memory(backend, big_url, tmp_path, figures):
    """A 100 MiB streamed miss is stored byte-exact with at most 64 MiB more peak RSS than
    reading it through plain requests."""
    baseline = _read_in_subprocess(big_url, 'plain', tmp_path / 'unused', 0)
    cached = _read_in_subprocess(big_url, backend, tmp_path / 'cache', 200 * MIB)
    extra = cached['growth_mib'] - baseline['growth_mib']
    figures.record(
        f'streaming_100mib_{backend}',
        backend=backend,
        peak_extra_mib=round(extra, 1),
        baseline_mib=round(baseline['growth_mib'], 1),
        cached_mib=round(cached['growth_mib'], 1),
    )
    assert baseline['sha256'] == cached['sha256'] == BODY_SHA256
    assert cached['stored'] == 1
    assert cached['hit_from_cache'] is True and cached['hit_sha256'] == BODY_SHA256
    assert extra <= EXTRA_LIMIT_MIB, f'caching added {extra:.1f} MiB of peak RSS'


@pytest.mark.parametrize('backend', ['sqlite', 'filesystem'])
def test_streamed_body_over_max_response_size_passes_through_unstored(
    backend, big_url, tmp_path, figures
):
    """A streamed body over max_response_size reaches the caller whole, is not stored, and the
    copy stops at the limit, so peak memory stays bounded."""
    baseline = _read_in_subprocess(big_url, 'plain', tmp_path / 'unused', 0)
    cached = _read_in_subprocess(big_url, backend, tmp_path / 'cache', 32 * MIB)
    extra = cached['growth_mib'] - baseline['growth_mib']
    figures.record(
        f'streaming_over_limit_{backend}',
        backend=backend,
        peak_extra_mib=round(extra, 1),
        baseline_mib=round(baseline['growth_mib'], 1),
    )
    assert cached['sha256'] == BODY_SHA256
    assert cached['stored'] == 0 and cached['hit_from_cache'] is False
    assert any('over max_response_size' in message for message in cached['log'])
    assert extra <= EXTRA_LIMIT_MIB, f'passing it through added {extra:.1f} MiB of peak RSS'


# --- streamed hits (issue 15, item 9) ----------------------------------------------------------
HIT_BLOCKS = 200
HIT_SHA256 = hashlib.sha256(BLOCK * HIT_BLOCKS).hexdigest()

# The measuring half of _READER, for a hit: the entry is already stored by another process.
_HIT_READER = _READER.split('args = json.loads', 1)[0] + textwrap.dedent(
    """
    args = json.loads(sys.argv[1])
    session = requests_cache.CachedSession(
        args['cache'], backend=args['backend'], max_response_size=args['max_response_size']
    )
    before = start_measuring()
    response = session.get(args['url'], stream=True)
    digest = hashlib.sha256()
    for chunk in response.iter_content(64 * 1024):
        digest.update(chunk)
    response.close()
    result = {'growth_mib': peak_mib() - before, 'sha256': digest.hexdigest(),
              'from_cache': response.from_cache}
    session.close()
    print(json.dumps(result))
    """
)


@pytest.mark.parametrize('backend', ['sqlite', 'filesystem'])
def test_streamed_200mib_hit_is_read_in_bounded_memory(backend, origin, tmp_path, figures):
    """A 200 MiB hit read with stream=True and iter_content is read from storage in pieces: at
    most 64 MiB more peak RSS than streaming the same body through plain requests (it was
    +400 MiB: the stored blob, then the body copied out of it)."""
    headers = {'Cache-Control': 'max-age=600', 'Content-Type': 'application/octet-stream'}
    url = str(origin.route('/big-hit', body=BLOCK, repeat=HIT_BLOCKS, headers=headers))
    baseline = _read_in_subprocess(url, 'plain', tmp_path / 'unused', 0)
    stored = _read_in_subprocess(url, backend, tmp_path / 'cache', 300 * MIB)
    assert stored['stored'] == 1 and stored['sha256'] == HIT_SHA256
    args = {'url': url, 'backend': backend, 'cache': str(tmp_path / 'cache')}
    args['max_response_size'] = 300 * MIB
    done = subprocess.run(
        [sys.executable, '-c', _HIT_READER, json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    hit = json.loads(done.stdout)
    extra = hit['growth_mib'] - baseline['growth_mib']
    figures.record(
        f'streamed_hit_200mib_{backend}',
        backend=backend,
        peak_extra_mib=round(extra, 1),
        baseline_mib=round(baseline['growth_mib'], 1),
        hit_mib=round(hit['growth_mib'], 1),
    )
    assert hit['from_cache'] is True and hit['sha256'] == HIT_SHA256
    assert extra <= EXTRA_LIMIT_MIB, f'the streamed hit added {extra:.1f} MiB of peak RSS'
