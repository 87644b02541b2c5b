"""Running a dev cluster: seed it, serve it with uvicorn, and write its kubeconfig."""
from __future__ import annotations

import asyncio
import logging
import socket
from pathlib import Path

import tempfile

import trustme
import uvicorn

from . import kubeconfig, seed
from .auth import read_token_file
from .controller import Controller
from .server import Cluster, build_app

log = logging.getLogger("ome_gateway.devcluster")


async def serve(host: str = "127.0.0.1", port: int = 0, kubeconfig_path: Path | None = None,
                seed_name: str = "demo", ready_delay: float = 2.0, event_window: int = 2000,
                token_auth_file: Path | None = None) -> None:
    """Serve until cancelled. `seed_name` is "demo", "crds" (CRDs only), "none" or a path of manifests.
    `token_auth_file` is a kube-apiserver --token-auth-file CSV (default: the demo users with the demo seed,
    else only the admin token of the kubeconfig)."""
    if token_auth_file is None and seed_name == "demo":
        token_auth_file = seed.demo_tokens()
    cluster = Cluster(event_window, read_token_file(token_auth_file) if token_auth_file else None)
    Controller(cluster, ready_delay)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # asyncio sets TCP_NODELAY
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)  # connections made as soon as the URL is printed wait in the backlog until uvicorn serves
    server_url = f"https://{host}:{sock.getsockname()[1]}"
    # Serve TLS like kube-apiserver (kubectl sends bearer tokens only over TLS), with a CA made for this run.
    ca = trustme.CA()
    cert = ca.issue_cert(host, "localhost", "127.0.0.1")
    secrets_dir = tempfile.TemporaryDirectory(prefix="devcluster-tls-")
    cert_file, key_file = Path(secrets_dir.name, "tls.crt"), Path(secrets_dir.name, "tls.key")
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))

    async def on_startup():
        for problem in seed.load(cluster, seed.documents(seed_name)):
            log.warning("seed: %s", problem)
        if kubeconfig_path:
            kubeconfig.write(kubeconfig_path, server_url, ca.cert_pem.bytes())
        print(f"devcluster listening on {server_url}", flush=True)

    app = build_app(cluster, on_startup)
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1,
                            ssl_certfile=str(cert_file), ssl_keyfile=str(key_file))
    with secrets_dir:
        await uvicorn.Server(config).serve(sockets=[sock])


def run(**kwargs) -> None:
    asyncio.run(serve(**kwargs))
