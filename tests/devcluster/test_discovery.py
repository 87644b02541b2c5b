"""Discovery and kubectl: the dev cluster must be indistinguishable from kube-apiserver for kubectl."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap

import pytest
from kubernetes_asyncio import client


async def test_discovery_documents(kube):
    version = await client.VersionApi(kube).get_code()
    assert version.major == "1" and version.git_version.startswith("v1.")
    groups = await client.ApisApi(kube).get_api_versions()
    assert "ome.io" in [g.name for g in groups.groups]
    resources = await client.CustomObjectsApi(kube).get_api_resources("ome.io", "v1beta1")
    by_name = {r.name: r for r in resources.resources}
    assert by_name["inferenceservices"].namespaced and by_name["inferenceservices"].short_names == ["isvc"]
    assert not by_name["clusterbasemodels"].namespaced
    assert "inferenceservices/status" in by_name and "clusterservingruntimes/status" not in by_name


def kubectl(devcluster, *args: str, stdin: str | None = None, timeout: float = 30) -> subprocess.CompletedProcess:
    env = {**os.environ, "KUBECONFIG": str(devcluster.kubeconfig), "HOME": str(devcluster.kubeconfig.parent)}
    return subprocess.run(["kubectl", *args], input=stdin, capture_output=True, text=True, timeout=timeout, env=env)


needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed here")


@needs_kubectl
def test_kubectl_api_resources_and_get(devcluster):
    out = kubectl(devcluster, "api-resources", "--api-group=ome.io")
    assert out.returncode == 0, out.stderr
    assert "inferenceservices" in out.stdout and "isvc" in out.stdout and "clusterbasemodels" in out.stdout
    out = kubectl(devcluster, "get", "isvc", "-A")
    assert out.returncode == 0, out.stderr
    header = out.stdout.splitlines()[0].split()
    assert header[:2] == ["NAMESPACE", "NAME"] and "BASEMODEL" in header and "RUNTIME" in header
    out = kubectl(devcluster, "get", "clusterbasemodels", "-o", "json")
    assert out.returncode == 0 and json.loads(out.stdout)["items"]


@needs_kubectl
def test_kubectl_apply_get_watch_delete(devcluster):
    manifest = textwrap.dedent("""\
        apiVersion: v1
        kind: Namespace
        metadata: {name: kubectl-test}
        ---
        apiVersion: ome.io/v1beta1
        kind: InferenceService
        metadata: {name: via-kubectl, namespace: kubectl-test}
        spec:
          model: {name: some-model}
          engine: {minReplicas: 1, maxReplicas: 1}
        """)
    out = kubectl(devcluster, "apply", "-f", "-", stdin=manifest)
    assert out.returncode == 0, out.stderr
    assert "inferenceservice.ome.io/via-kubectl created" in out.stdout
    again = kubectl(devcluster, "apply", "-f", "-", stdin=manifest.replace("maxReplicas: 1", "maxReplicas: 4"))
    assert again.returncode == 0 and "via-kubectl configured" in again.stdout, again.stderr
    got = json.loads(kubectl(devcluster, "get", "isvc", "via-kubectl", "-n", "kubectl-test", "-o", "json").stdout)
    assert got["spec"]["engine"]["maxReplicas"] == 4
    watch = subprocess.Popen(["kubectl", "get", "isvc", "-n", "kubectl-test", "-w", "--request-timeout=3s",
                              "-o", "name"], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "KUBECONFIG": str(devcluster.kubeconfig)})
    assert watch.stdout.readline().strip() == "inferenceservice.ome.io/via-kubectl"  # the initial list
    out = kubectl(devcluster, "delete", "isvc", "via-kubectl", "-n", "kubectl-test")
    assert out.returncode == 0, out.stderr
    watched, _ = watch.communicate(timeout=20)
    assert set(watched.split()) == {"inferenceservice.ome.io/via-kubectl"}  # its changes and its deletion
    gone = kubectl(devcluster, "get", "isvc", "via-kubectl", "-n", "kubectl-test")
    assert gone.returncode != 0 and "NotFound" in gone.stderr
    assert kubectl(devcluster, "delete", "namespace", "kubectl-test").returncode == 0
