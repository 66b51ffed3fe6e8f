"""Service fixtures for backend tests: a real redis-server, a three-master Redis Cluster, a moto
DynamoDB server, and mongomock (or a real MongoDB when MONGODB_URL is set). Everything listens on
127.0.0.1 only.

With CI=true, a service this machine can run must start: the fixtures fail instead of skipping.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The contract suite is imported by name from the backend test modules.
sys.path.insert(0, str(Path(__file__).parent))

from services import (
    RedisCluster,
    RedisServer,
    free_port,
    private_redis_cluster,
    private_redis_server,
    unavailable,
    wait_for_port,
)


@pytest.fixture(scope='session')
def redis_server() -> Iterator[RedisServer | None]:
    """Our own redis-server (None when REDIS_URL points at an existing one)."""
    if os.environ.get('REDIS_URL'):
        yield None
        return
    yield from private_redis_server()


@pytest.fixture(scope='session')
def redis_url(redis_server: RedisServer | None) -> str:
    """The URL of the Redis server tests use."""
    return os.environ.get('REDIS_URL') or redis_server.url  # type: ignore[union-attr]


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[object]:
    """A redis-py client on the test server, closed after the test."""
    redis = pytest.importorskip('redis')
    client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
    yield client
    client.close()


@pytest.fixture(scope='session')
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisCluster]:
    """Our own three-master Redis Cluster on loopback ports, started once per test run."""
    pytest.importorskip('redis')
    yield from private_redis_cluster(tmp_path_factory.mktemp('redis-cluster'))


@pytest.fixture
def cluster_client(redis_cluster: RedisCluster) -> Iterator[object]:
    """A redis-py RedisCluster client on the test cluster, closed after the test."""
    from redis.cluster import RedisCluster as Client

    client = Client.from_url(redis_cluster.url, socket_timeout=2, socket_connect_timeout=2)
    yield client
    client.close()


@pytest.fixture(scope='session')
def moto_endpoint() -> Iterator[str]:
    """The URL of a moto server (DynamoDB emulation) on a free loopback port."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        unavailable(f'moto[server] is not installed: {exc}')
    port = free_port()
    server = ThreadedMotoServer(ip_address='127.0.0.1', port=port, verbose=False)
    try:
        server.start()
    except OSError as exc:
        unavailable(f'could not start the moto server: {exc}')
    if not wait_for_port(port):
        server.stop()
        unavailable('the moto server did not accept connections')
    yield f'http://127.0.0.1:{port}'
    server.stop()


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Dummy credentials, so boto3 never looks for (or finds) real ones."""
    for name in ('AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN'):
        monkeypatch.delenv(name, raising=False)
    credentials = {
        'aws_access_key_id': 'testing',
        'aws_secret_access_key': 'testing',
        'region_name': 'us-east-1',
    }
    for name, value in credentials.items():
        monkeypatch.setenv(name.upper() if name != 'region_name' else 'AWS_DEFAULT_REGION', value)
    return credentials


@pytest.fixture
def dynamodb_client(moto_endpoint: str, aws_credentials: dict[str, str]) -> Iterator[object]:
    """A boto3 DynamoDB client talking to the moto server."""
    boto3 = pytest.importorskip('boto3')
    client = boto3.client('dynamodb', endpoint_url=moto_endpoint, **aws_credentials)
    yield client
    client.close()


@pytest.fixture
def mongo_client() -> Iterator[object]:
    """A MongoDB client: pymongo on MONGODB_URL if set, else mongomock (with GridFS support)."""
    url = os.environ.get('MONGODB_URL')
    if url:
        pymongo = pytest.importorskip('pymongo')
        client = pymongo.MongoClient(url, serverSelectionTimeoutMS=3000)
    else:
        pytest.importorskip('mongomock')
        pytest.importorskip('gridfs')
        import mongomock.gridfs

        mongomock.gridfs.enable_gridfs_integration()
        client = mongomock.MongoClient()
    yield client
    client.close()
