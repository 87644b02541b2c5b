"""Writing a kubeconfig file that points clients at a dev cluster."""
from __future__ import annotations

import base64
from pathlib import Path

import yaml

ADMIN_TOKEN = "devcluster-admin"


def write(path: Path, server: str, ca_pem: bytes, token: str = ADMIN_TOKEN) -> None:
    """Write a kubeconfig for `server`, trusting the CA `ca_pem` and authenticating with `token`."""
    cluster = {"server": server, "certificate-authority-data": base64.b64encode(ca_pem).decode()}
    config = {"apiVersion": "v1", "kind": "Config", "current-context": "devcluster",
              "clusters": [{"name": "devcluster", "cluster": cluster}],
              "users": [{"name": "admin", "user": {"token": token}}],
              "contexts": [{"name": "devcluster", "context": {"cluster": "devcluster", "user": "admin",
                                                              "namespace": "default"}}]}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(config, sort_keys=False))
    tmp.replace(path)
