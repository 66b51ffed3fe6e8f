"""OpenTelemetry metrics: exact counts for a scripted sequence, read through the SDK's in-memory
reader, agreeing with session.stats and `requests-cache stats`; nothing at all when off."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

import requests_cache
from requests_cache import CachedSession, MemoryCache
from requests_cache.cli import main as cli
from requests_cache.errors import ConfigurationError, StorageError
from requests_cache.otel import METER_NAME

Points = dict[tuple[str, tuple[tuple[str, Any], ...]], Any]


@pytest.fixture
def reader() -> Iterator[tuple[InMemoryMetricReader, MeterProvider]]:
    """An SDK meter provider of our own with an in-memory reader (the global one is left
    alone)."""
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    yield reader, provider
    provider.shutdown()


def collect(reader: InMemoryMetricReader, cache_name: str) -> Points:
    """Every data point of our meter for one cache: (instrument, other attributes) -> value
    (for the histogram, its count), checking the backend and cache_name attributes."""
    points: Points = {}
    for resource in reader.get_metrics_data().resource_metrics:
        for scope in resource.scope_metrics:
            if scope.scope.name != METER_NAME:
                continue
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    attributes = dict(point.attributes)
                    if attributes.pop('cache_name') != cache_name:
                        continue
                    assert attributes.pop('backend') in ('sqlite', 'memory')
                    value = getattr(point, 'count', None) if metric.unit == 's' else point.value
                    points[metric.name, tuple(sorted(attributes.items()))] = value
    return points


def test_a_scripted_sequence_is_counted_exactly(reader, origin, tmp_path, capsys):
    """Hits, misses by reason, stale by reason, revalidations by outcome, stores, bytes stored
    and saved, and lookups are exactly what the sequence did, and session.stats and
    `requests-cache stats` say the same."""
    memory_reader, provider = reader
    path = str(tmp_path / 'scripted')
    session = CachedSession(path, stale_if_error=True, metrics=provider)
    page = origin.url('/page')  # bodies are b'body of <path>'
    lang = origin.route('/lang', headers={'Vary': 'Accept-Language'})
    tagged = origin.route('/tagged', headers={'ETag': '"v1"'})
    flaky = origin.url('/flaky')

    session.get(page)  # uri-miss, stored (13 bytes)
    session.get(page)  # hit (13 saved)
    session.get(page)  # hit (13 saved)
    session.get(lang, headers={'Accept-Language': 'en'})  # uri-miss, stored (13)
    session.get(lang, headers={'Accept-Language': 'fr'})  # vary-miss, stored (13)
    session.get(lang, headers={'Accept-Language': 'en'})  # hit (13 saved)
    session.get(tagged, expire_after=0)  # uri-miss, stored (15)
    session.get(tagged, expire_after=0)  # stale: revalidated, 304 (15 saved)
    origin.route('/tagged', headers={'ETag': '"v2"'})
    session.get(tagged, expire_after=0)  # stale: revalidated, 200; a miss, stored (15)
    session.get(origin.url('/never'), only_if_cached=True)  # a 504
    with session.cache_disabled():
        session.get(page)  # bypass
    session.post(origin.url('/other'))  # method
    session.get(flaky, expire_after=0)  # uri-miss, stored (14)
    origin.route('/flaky', status=500)
    session.get(flaky)  # stale, the origin fails: stale-if-error (14 saved)
    assert origin.count() == 10

    expected_counts = {
        'hits': 3,
        'stale': 1,
        'misses': 10,
        'revalidations': 2,
        'stores': 6,
        'bytes_stored': 83,
        'bytes_saved': 68,
        'read_errors': 0,
        'write_errors': 0,
        'evictions': 0,
    }
    misses = {
        'uri-miss': 4,
        'vary-miss': 1,
        'stale': 2,
        'only-if-cached': 1,
        'bypass': 1,
        'method': 1,
    }
    revalidations = {'not-modified': 1, 'modified': 1}
    assert collect(memory_reader, path) == {
        ('requests_cache.hits', ()): 3,
        ('requests_cache.stale_served', (('reason', 'stale-if-error'),)): 1,
        **{('requests_cache.misses', (('reason', r),)): n for r, n in misses.items()},
        **{
            ('requests_cache.revalidations', (('outcome', o),)): n for o, n in revalidations.items()
        },
        ('requests_cache.stores', ()): 6,
        ('requests_cache.evictions', ()): 0,
        ('requests_cache.body.stored', ()): 83,
        ('requests_cache.body.saved', ()): 68,
        ('requests_cache.storage_errors', (('operation', 'read'),)): 0,
        ('requests_cache.storage_errors', (('operation', 'write'),)): 0,
        ('requests_cache.lookup.duration', ()): 12,  # every request but the two bypasses
    }
    for stats in (session.stats, session.cache.stats):
        assert stats.as_dict() == expected_counts
        assert stats.misses_by_reason == misses
        assert stats.revalidations_by_outcome == revalidations
        assert stats.stale_by_reason == {'stale-if-error': 1}
    assert session.stats.hit_ratio == pytest.approx(4 / 12)  # bypasses are not lookups

    session.close()
    assert cli(['stats', '--json', path + '.sqlite']) == 0
    persisted = json.loads(capsys.readouterr().out)
    assert {name: persisted[name] for name in expected_counts} == expected_counts
    assert persisted['misses_by_reason'] == misses
    assert persisted['revalidations_by_outcome'] == revalidations
    assert persisted['stale_by_reason'] == {'stale-if-error': 1}
    assert persisted['hit_ratio'] == round(4 / 12, 4)


def test_evictions_and_storage_errors(reader, origin, monkeypatch):
    """Evictions and skipped reads and writes reach the metrics, by operation."""
    memory_reader, provider = reader
    cache = MemoryCache('bounded', max_entries=1)
    session = CachedSession(backend=cache, metrics=provider)
    session.get(origin.url('/one'))
    session.get(origin.url('/two'))  # evicts /one

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise StorageError('the storage is down')

    monkeypatch.setattr(cache.responses, 'get', fail)
    monkeypatch.setattr(cache.responses, 'set', fail)
    session.get(origin.url('/three'))  # the read fails (a miss), then the write fails
    points = collect(memory_reader, 'bounded')
    # How many /two's store evicts is the eviction policy's business (it frees some headroom).
    assert points['requests_cache.evictions', ()] == cache.stats.evictions >= 1
    assert points['requests_cache.storage_errors', (('operation', 'read'),)] == 1
    assert points['requests_cache.storage_errors', (('operation', 'write'),)] == 1
    assert points['requests_cache.stores', ()] == 2
    assert (cache.stats.read_errors, cache.stats.write_errors) == (1, 1)


def test_sessions_sharing_a_cache_report_it_once(reader, origin):
    """Two sessions on one cache, both with metrics on, give one series counting both."""
    memory_reader, provider = reader
    cache = MemoryCache('shared')
    first = CachedSession(backend=cache, metrics=provider)
    second = CachedSession(backend=cache, metrics=provider)
    first.get(origin.url('/shared'))
    second.get(origin.url('/shared'))
    points = collect(memory_reader, 'shared')
    assert (points['requests_cache.hits', ()], points['requests_cache.stores', ()]) == (1, 1)
    assert points['requests_cache.lookup.duration', ()] == 2


def test_lookup_durations_land_in_buckets_made_for_them(reader, origin):
    """Lookup durations are in seconds, in buckets from 10 µs up (not OpenTelemetry's default
    buckets, which are made for milliseconds)."""
    memory_reader, provider = reader
    session = CachedSession(backend=MemoryCache('timed'), metrics=provider)
    for _ in range(3):
        session.get(origin.url('/timed'))
    data = memory_reader.get_metrics_data()
    (histogram,) = [
        metric
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == 'requests_cache.lookup.duration'
    ]
    (point,) = histogram.data.data_points
    assert point.count == 3 and 0 < point.sum < 1
    assert point.explicit_bounds[0] == 0.00001 and point.explicit_bounds[-1] == 1.0


def test_install_cache_reports_plain_requests_calls(reader, origin):
    """install_cache(metrics=...) counts requests.get() calls, every one a new session on the
    one shared cache."""
    memory_reader, provider = reader
    requests_cache.install_cache('installed', backend='memory', metrics=provider)
    for _ in range(3):
        requests.get(origin.url('/installed'))
    points = collect(memory_reader, 'installed')
    assert (points['requests_cache.hits', ()], points['requests_cache.stores', ()]) == (2, 1)


def test_a_bad_metrics_value_is_a_configuration_error():
    """metrics takes True, False or a MeterProvider; anything else says what is allowed."""
    with pytest.raises(ConfigurationError, match='MeterProvider'):
        CachedSession(backend='memory', metrics='prometheus')
    with pytest.raises(ConfigurationError, match='MeterProvider'):
        requests_cache.install_cache(backend='memory', metrics='prometheus')
    assert not requests_cache.is_installed()


def run_python(code: str) -> str:
    """Run ``code`` in a fresh interpreter (global OpenTelemetry state stays out of this one)."""
    done = subprocess.run(
        [sys.executable, '-c', code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_off_by_default_and_never_imported(origin):
    """Without metrics=..., OpenTelemetry is not even imported, though it is installed."""
    code = f"""
import sys
import requests_cache
session = requests_cache.CachedSession(backend='memory')
session.get({origin.url('/quiet')!r}); session.get({origin.url('/quiet')!r})
ours = ('opentelemetry', 'requests_cache.otel')
print(sorted(name for name in sys.modules if name.startswith(ours)))
"""
    assert run_python(code) == '[]'


def test_without_the_extra_the_error_names_it():
    """metrics=True without opentelemetry-api installed raises MissingDependencyError naming
    the otel extra; metrics off works as ever."""
    code = """
import sys
sys.modules['opentelemetry'] = None  # as if the package were not installed
import requests_cache
from requests_cache.errors import MissingDependencyError
requests_cache.CachedSession(backend='memory')
try:
    requests_cache.CachedSession(backend='memory', metrics=True)
except MissingDependencyError as exc:
    print(exc)
"""
    assert "pip install 'requests-cache[otel]'" in run_python(code)


def test_the_global_provider_may_be_set_after_the_session(origin):
    """metrics=True reports through the global MeterProvider, even one set up later."""
    code = f"""
import requests_cache
from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
session = requests_cache.CachedSession(backend='memory', metrics=True)
reader = InMemoryMetricReader()
metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
session.get({origin.url('/late')!r}); session.get({origin.url('/late')!r})
for resource in reader.get_metrics_data().resource_metrics:
    for scope in resource.scope_metrics:
        for metric in scope.metrics:
            if metric.name == 'requests_cache.hits':
                print(metric.data.data_points[0].value)
"""
    assert run_python(code) == '1'
