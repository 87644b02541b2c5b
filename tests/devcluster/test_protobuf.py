"""Bodies typed clients send as protobuf: kubectl's create commands work against the dev cluster, and what they
created reads back as JSON; kinds the dev cluster cannot decode get a 415 Status."""
from __future__ import annotations

import base64
import os
import shutil
import subprocess
import uuid

import pytest

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed here")


def kubectl(devcluster, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["kubectl", *args], env={**os.environ, "KUBECONFIG": str(devcluster.kubeconfig)},
                          capture_output=True, text=True, timeout=30)


def test_kubectl_create_commands_send_protobuf_the_cluster_decodes(devcluster):
    ns = f"pb-{uuid.uuid4().hex[:6]}"
    for args in (["create", "namespace", ns, "-v=8"],
                 ["create", "configmap", "settings", "-n", ns, "--from-literal=mode=fast"],
                 ["create", "secret", "generic", "hf", "-n", ns, "--from-literal=token=hf_granted_token"],
                 ["create", "serviceaccount", "runner", "-n", ns]):
        done = kubectl(devcluster, *args)
        assert done.returncode == 0, done.stderr
        if "-v=8" in args:  # the proof that kubectl really sent protobuf
            assert "application/vnd.kubernetes.protobuf" in done.stderr
    get = devcluster.http.get
    assert get(f"/api/v1/namespaces/{ns}").json()["status"]["phase"] == "Active"
    assert get(f"/api/v1/namespaces/{ns}/configmaps/settings").json()["data"] == {"mode": "fast"}
    secret = get(f"/api/v1/namespaces/{ns}/secrets/hf").json()
    assert base64.b64decode(secret["data"]["token"]) == b"hf_granted_token" and secret["type"] == "Opaque"
    assert get(f"/api/v1/namespaces/{ns}/serviceaccounts/runner").status_code == 200
    devcluster.http.delete(f"/api/v1/namespaces/{ns}")


def test_protobuf_of_other_kinds_is_refused_with_415(devcluster):
    body = b"k8s\x00" + bytes([0x0a, 0x0c, 0x0a, 0x02]) + b"v1" + bytes([0x12, 0x06]) + b"Pod\x00\x00\x00"
    answer = devcluster.http.post("/api/v1/namespaces/default/pods", content=body,
                                  headers={"Content-Type": "application/vnd.kubernetes.protobuf"})
    assert answer.status_code == 415 and answer.json()["reason"] == "UnsupportedMediaType"
    garbage = devcluster.http.post("/api/v1/namespaces", content=b"k8s\x00\xff\xff",
                                   headers={"Content-Type": "application/vnd.kubernetes.protobuf"})
    assert garbage.status_code == 400 and "could not be decoded" in garbage.json()["message"]
