"""OpenTelemetry metrics: what a cache did, in the user's own monitoring.

Turned on with ``CachedSession(..., metrics=True)`` (the global ``MeterProvider``) or
``metrics=provider`` (a provider of your own); needs ``pip install 'requests-cache[otel]'``.
This module, and OpenTelemetry, are imported only then: with metrics off nothing here runs.

Counters are not counted twice. They are OpenTelemetry *observable* counters, read at each
collection from ``cache.stats``, the same `CacheStats` that ``session.stats`` mirrors and that
``requests-cache stats`` reads back from storage; only lookup durations are recorded as they
happen. Every instrument has the attributes ``backend`` (``sqlite``, ``redis``..., or the class
name of a custom backend) and ``cache_name``. Metrics describe a cache: every session that uses
it is counted, once metrics are on for one of them.

Instruments (meter ``requests_cache``; unit in brackets):

- ``requests_cache.hits`` [1]: fresh responses served from the cache.
- ``requests_cache.stale_served`` [1]: stale responses served; ``reason``: ``stale-if-error``,
  ``stale-while-revalidate``, ``max-stale``, ``only-if-cached``.
- ``requests_cache.misses`` [1]: requests not answered from storage; ``reason``: the RFC 9211
  ``fwd`` value (``uri-miss``, ``vary-miss``, ``miss``, ``stale``, ``request``, ``bypass``,
  ``method``), or ``only-if-cached`` for a 504.
- ``requests_cache.revalidations`` [1]: conditional requests for a stored response;
  ``outcome``: ``not-modified``, ``modified``, ``failed``.
- ``requests_cache.stores`` [1]: responses written.
- ``requests_cache.evictions`` [1]: responses removed to respect a size limit.
- ``requests_cache.body.stored`` [By]: body bytes written.
- ``requests_cache.body.saved`` [By]: body bytes served from storage instead of the origin.
- ``requests_cache.storage_errors`` [1]: storage failures skipped; ``operation``: ``read``,
  ``write``.
- ``requests_cache.lookup.duration`` [s]: histogram of lookups (key, storage read, decision).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Optional

from .backends import BACKEND_CLASSES, BaseCache
from .errors import ConfigurationError, MissingDependencyError
from .stats import Totals

try:
    from opentelemetry import metrics as otel_metrics
    from opentelemetry.metrics import CallbackOptions, Histogram, MeterProvider, Observation
except ImportError as exc:  # pragma: no cover - the otel extra is installed for the tests
    raise MissingDependencyError('OpenTelemetry metrics', 'otel', 'opentelemetry-api') from exc

__all__ = ['METER_NAME', 'LookupRecorder', 'instrument']

#: The name of the meter every instrument belongs to.
METER_NAME = 'requests_cache'

#: Bucket boundaries of the lookup duration, in seconds: from 10 µs (a memory hit) to 1 s (a
#: storage server that is struggling). OpenTelemetry's default boundaries are made for ms.
LOOKUP_BUCKETS = (
    0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005,
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
)  # fmt: skip

#: (instrument name, unit, description, counter of `CacheStats`, breakdown, attribute name)
_COUNTERS = (
    ('requests_cache.hits', '1', 'Fresh responses served from the cache', 'hits', None, None),
    (
        'requests_cache.stale_served',
        '1',
        'Stale responses served from the cache, by the rule that allowed it',
        'stale',
        'stale_by_reason',
        'reason',
    ),
    (
        'requests_cache.misses',
        '1',
        'Requests not answered from storage, by reason (RFC 9211 fwd, or only-if-cached)',
        'misses',
        'misses_by_reason',
        'reason',
    ),
    (
        'requests_cache.revalidations',
        '1',
        'Conditional requests for a stored response, by outcome',
        'revalidations',
        'revalidations_by_outcome',
        'outcome',
    ),
    ('requests_cache.stores', '1', 'Responses written to the cache', 'stores', None, None),
    (
        'requests_cache.evictions',
        '1',
        'Responses removed to respect a size limit',
        'evictions',
        None,
        None,
    ),
    ('requests_cache.body.stored', 'By', 'Body bytes written', 'bytes_stored', None, None),
    (
        'requests_cache.body.saved',
        'By',
        'Body bytes served from storage instead of from the origin',
        'bytes_saved',
        None,
        None,
    ),
)
_STORAGE_ERRORS = (('read_errors', 'read'), ('write_errors', 'write'))


class LookupRecorder:
    """Records the duration of one cache's lookups in the lookup histogram."""

    __slots__ = ('_attributes', '_histogram')

    def __init__(self, histogram: Histogram, attributes: dict[str, str]) -> None:
        self._histogram = histogram
        self._attributes = attributes

    def record(self, seconds: float) -> None:
        """Record one lookup that took ``seconds``."""
        self._histogram.record(seconds, self._attributes)


def instrument(cache: BaseCache, meter_provider: Optional[Any] = None) -> LookupRecorder:
    """Report ``cache``'s statistics through OpenTelemetry, and return its lookup recorder.

    Args:
        cache: The cache to observe (weakly held: a closed, dropped cache stops reporting).
        meter_provider: An OpenTelemetry ``MeterProvider``; None for the global one, which may
            also be set after this call (the API forwards to it then).

    Raises:
        ConfigurationError: ``meter_provider`` is not a ``MeterProvider``.
    """
    if meter_provider is None:
        meter_provider = otel_metrics.get_meter_provider()
    if not isinstance(meter_provider, MeterProvider):
        raise ConfigurationError(
            f'metrics={meter_provider!r} is not valid; allowed: True (the global '
            'MeterProvider), False, or an opentelemetry.metrics.MeterProvider'
        )
    with _REGISTRY_LOCK:
        instruments = _REGISTRY.get(meter_provider)
        if instruments is None:
            instruments = _REGISTRY[meter_provider] = _Instruments(meter_provider)
    return instruments.observe(cache)


class _Instruments:
    """One provider's instruments, reading every cache registered with them."""

    def __init__(self, provider: MeterProvider) -> None:
        from . import __version__  # the package imports this module only on demand

        meter = provider.get_meter(METER_NAME, __version__)
        self._lock = threading.Lock()
        self._caches: weakref.WeakKeyDictionary[BaseCache, dict[str, str]] = (
            weakref.WeakKeyDictionary()
        )
        for name, unit, description, counter, breakdown, attribute in _COUNTERS:
            callback = self._reader(counter, breakdown, attribute)
            meter.create_observable_counter(name, [callback], unit, description)
        meter.create_observable_counter(
            'requests_cache.storage_errors',
            [self._read_storage_errors],
            '1',
            'Storage failures that were skipped (a miss, or a write not made), by operation',
        )
        self.lookup_duration = meter.create_histogram(
            'requests_cache.lookup.duration',
            unit='s',
            description='Cache lookups: key, storage read and decision',
            explicit_bucket_boundaries_advisory=LOOKUP_BUCKETS,
        )

    def observe(self, cache: BaseCache) -> LookupRecorder:
        """Include ``cache`` in every collection from now on."""
        attributes = {'backend': backend_name(cache), 'cache_name': str(cache.cache_name)}
        with self._lock:
            self._caches[cache] = attributes
        return LookupRecorder(self.lookup_duration, attributes)

    def _totals(self) -> Iterator[tuple[Totals, dict[str, str]]]:
        with self._lock:
            caches = list(self._caches.items())
        for cache, attributes in caches:
            yield cache.stats.totals(), attributes

    def _reader(
        self, counter: str, breakdown: Optional[str], attribute: Optional[str]
    ) -> Callable[[CallbackOptions], Iterable[Observation]]:
        def read(options: CallbackOptions) -> Iterable[Observation]:
            observations = []
            for totals, attributes in self._totals():
                if breakdown is None or attribute is None:
                    observations.append(Observation(totals['counts'].get(counter, 0), attributes))
                    continue
                for reason, count in sorted(totals[breakdown].items()):
                    observations.append(Observation(count, {**attributes, attribute: reason}))
            return observations

        return read

    def _read_storage_errors(self, options: CallbackOptions) -> Iterable[Observation]:
        return [
            Observation(totals['counts'].get(counter, 0), {**attributes, 'operation': operation})
            for totals, attributes in self._totals()
            for counter, operation in _STORAGE_ERRORS
        ]


def backend_name(cache: BaseCache) -> str:
    """The name ``backend=`` takes for this cache's class, or the class name of a custom one."""
    cls = type(cache)
    path = f'{cls.__module__}:{cls.__qualname__}'
    return next(
        (name for name in BACKEND_CLASSES if BACKEND_CLASSES.spec(name) == path), cls.__name__
    )


_REGISTRY: weakref.WeakKeyDictionary[Any, _Instruments] = weakref.WeakKeyDictionary()
_REGISTRY_LOCK = threading.Lock()
