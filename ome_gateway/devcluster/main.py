"""Running a dev cluster: seed it, serve it with uvicorn, and write its kubeconfig."""
from __future__ import annotations

import asyncio
import logging
import socket
from pathlib import Path

import uvicorn

from . import kubeconfig, seed
from .controller import Controller
from .server import Cluster, build_app

log = logging.getLogger("ome_gateway.devcluster")


async def serve(host: str = "127.0.0.1", port: int = 0, kubeconfig_path: Path | None = None,
                seed_name: str = "demo", ready_delay: float = 2.0, event_window: int = 2000) -> None:
    """Serve until cancelled. `seed_name` is "demo", "crds" (CRDs only), "none" or a path of manifests."""
    cluster = Cluster(event_window)
    Controller(cluster, ready_delay)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # asyncio sets TCP_NODELAY
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    server_url = f"http://{host}:{sock.getsockname()[1]}"

    async def on_startup():
        for problem in seed.load(cluster, seed.documents(seed_name)):
            log.warning("seed: %s", problem)
        if kubeconfig_path:
            kubeconfig.write(kubeconfig_path, server_url)
        print(f"devcluster listening on {server_url}", flush=True)

    app = build_app(cluster, on_startup)
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1)
    await uvicorn.Server(config).serve(sockets=[sock])


def run(**kwargs) -> None:
    asyncio.run(serve(**kwargs))
