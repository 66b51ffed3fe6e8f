"""Cache metrics in Prometheus, through OpenTelemetry: is the cache working, seen from outside.

The session reports through the OpenTelemetry API (``metrics=provider``); the OpenTelemetry SDK
with its Prometheus exporter serves them on a /metrics page, which Prometheus scrapes. Here the
page is served on 127.0.0.1 only, and the script scrapes it once itself.

Needs: pip install 'requests-cache[otel]' opentelemetry-sdk opentelemetry-exporter-prometheus
Run it with: python examples/prometheus_metrics.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import requests
from _local_server import LocalServer

from requests_cache import CachedSession

try:
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.sdk.metrics import MeterProvider
    from prometheus_client import CollectorRegistry, start_http_server
except ImportError as exc:
    raise SystemExit(
        f'{exc}. This example needs: pip install "requests-cache[otel]" '
        'opentelemetry-sdk opentelemetry-exporter-prometheus'
    ) from exc


def main() -> None:
    """Make a few requests, then print what Prometheus would scrape about the cache."""
    registry = CollectorRegistry()  # a registry of our own, not the process-wide default
    provider = MeterProvider(metric_readers=[PrometheusMetricReader(registry=registry)])
    exporter, _ = start_http_server(0, addr='127.0.0.1', registry=registry)  # 0: a free port
    with tempfile.TemporaryDirectory() as tmp, LocalServer() as server:
        session = CachedSession(str(Path(tmp) / 'metrics_cache'), metrics=provider)
        for _ in range(3):
            session.get(f'{server.url}/json')  # a miss, then two hits
        session.get(f'{server.url}/status/404')  # not storable: a miss every time
        session.post(f'{server.url}/post')  # POST is not cached: a miss by method
        session.close()

        scraped = requests.get(f'http://127.0.0.1:{exporter.server_port}/metrics', timeout=5)
        ours = [
            line
            for line in scraped.text.splitlines()
            if line.startswith('requests_cache_') and 'lookup_duration_seconds_bucket' not in line
        ]
        print(f'Scraped http://127.0.0.1:{exporter.server_port}/metrics:')
        print('\n'.join(ours))
        assert any(line.startswith('requests_cache_hits_total{') for line in ours)
        assert any(line.startswith('requests_cache_misses_total{') for line in ours)
    exporter.shutdown()
    exporter.server_close()
    provider.shutdown()


if __name__ == '__main__':
    main()
