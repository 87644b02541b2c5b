"""Real processes over real sockets for tests: a dev cluster and a gateway in front of it."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import asyncio
import base64
import ssl
import tempfile

import httpx
import yaml

from ome_gateway.devcluster.kubeconfig import ADMIN_TOKEN

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "ome"
OME = "/apis/ome.io/v1beta1"
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}  # the dev cluster's admin (system:masters)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(check, proc: subprocess.Popen, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start within {timeout}s")
        time.sleep(0.05)


class DevCluster:
    """A dev cluster process; `admin` reads its request counters and sets its fault knobs."""

    def __init__(self, tmp: Path, seed: str = "demo", ready_delay: float = 0.3, event_window: int = 2000):
        self.kubeconfig = tmp / "kubeconfig"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ome_gateway.cli", "devcluster", "--seed", seed, "--kubeconfig",
             str(self.kubeconfig), "--ready-delay", str(ready_delay), "--event-window", str(event_window)],
            stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if "listening on" not in line:
            self.proc.kill()
            raise RuntimeError(f"dev cluster did not start: {line!r}")
        self.url = line.strip().rsplit(" ", 1)[-1]
        ca = yaml.safe_load(self.kubeconfig.read_text())["clusters"][0]["cluster"]["certificate-authority-data"]
        self.ssl = ssl.create_default_context(cadata=base64.b64decode(ca).decode())
        self.http = self.client()

    def client(self, timeout: float = 30) -> httpx.Client:
        """A client acting as the cluster's admin."""
        return httpx.Client(base_url=self.url, timeout=timeout, headers=ADMIN_HEADERS, verify=self.ssl)

    def async_client(self, timeout: float = 30) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=timeout, headers=ADMIN_HEADERS, verify=self.ssl)

    def requests(self) -> dict:
        return self.http.get("/_devcluster/requests").json()

    def reset_requests(self) -> None:
        self.http.delete("/_devcluster/requests")

    def faults(self, **knobs) -> dict:
        return self.http.put("/_devcluster/faults", json=knobs).json()

    def stop(self) -> None:
        self.http.close()
        self.proc.terminate()
        self.proc.wait(10)


class Hub:
    """An offline Hugging Face hub process; `faults` sets its fault knobs, `counts` reads its request counters."""

    def __init__(self) -> None:
        self.out = tempfile.TemporaryFile("w+")  # a file, not a pipe nobody reads
        env = {k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"}
        self.proc = subprocess.Popen([sys.executable, "-m", "ome_gateway.cli", "hub", "--port", "0"], cwd=ROOT,
                                     env=env, stdout=self.out, text=True)

        def listening():
            self.out.seek(0)
            return self.out.readline().startswith("hub listening on http://127.0.0.1:")
        _wait(listening, self.proc, "hub")
        self.out.seek(0)
        self.url = self.out.readline().split()[-1]

    def reset(self) -> str:
        """No faults and no counted requests; returns the URL."""
        httpx.put(f"{self.url}/_hub/faults", json={"error_rate": 0, "throttle_next": 0, "fail_next": 0})
        httpx.delete(f"{self.url}/_hub/requests")
        return self.url

    def faults(self, **knobs) -> dict:
        return httpx.put(f"{self.url}/_hub/faults", json=knobs).json()

    def counts(self) -> dict[str, int]:
        return httpx.get(f"{self.url}/_hub/requests").json()["counts"]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class Gateway:
    """A gateway process; `query` posts GraphQL and returns the decoded answer."""

    def __init__(self, kubeconfig: Path, env: dict | None = None, wait_ready: bool = True):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # the log goes to a file: a pipe nobody reads fills up and then blocks the gateway
        self.stderr = tempfile.TemporaryFile("w+")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ome_gateway.cli", "serve", "--kubeconfig", str(kubeconfig), "--port",
             str(self.port)], env={**os.environ, "OME_GATEWAY_LOG_LEVEL": "warning", **(env or {})},
            stderr=self.stderr, text=True)
        self.http = httpx.Client(base_url=self.url, timeout=30)

        probe = "/readyz" if wait_ready else "/healthz"

        def up():
            try:
                return self.http.get(probe).status_code == 200
            except httpx.TransportError:
                return False
        _wait(up, self.proc, "gateway")

    def query(self, query: str, variables: dict | None = None, **kwargs) -> dict:
        resp = self.http.post("/graphql", json={"query": query, "variables": variables or {}}, **kwargs)
        assert resp.headers["content-type"].startswith("application/json"), resp.text
        return resp.json()

    def data(self, query: str, variables: dict | None = None) -> dict:
        """The data of a query that must succeed."""
        answer = self.query(query, variables)
        assert not answer.get("errors"), answer["errors"]
        return answer["data"]

    def log(self) -> str:
        """What the gateway has written to stderr so far."""
        self.stderr.flush()
        self.stderr.seek(0)
        return self.stderr.read()

    def stop(self) -> None:
        self.http.close()
        self.proc.terminate()
        self.proc.wait(10)




def catalog(size: int) -> list[tuple[str, dict]]:
    """(collection path, object) for `size` services over 20 namespaces, 100 models, 100 runtimes, 5 classes."""
    out = []
    for a in range(5):
        out.append((f"{OME}/acceleratorclasses", {"apiVersion": "ome.io/v1beta1", "kind": "AcceleratorClass",
                    "metadata": {"name": f"gpu-{a}"}, "spec": {"capabilities": {"memoryGB": "80Gi"}, "discovery": {
                        "nodeSelector": {"gpu": f"g{a}"}}, "model": f"G{a}"}}))
    for m in range(100):
        out.append((f"{OME}/clusterbasemodels", {"apiVersion": "ome.io/v1beta1", "kind": "ClusterBaseModel",
                    "metadata": {"name": f"model-{m}"}, "spec": {"storage": {"storageUri": f"hf://org/m{m}"},
                                                                 "modelArchitecture": "LlamaForCausalLM"}}))
        out.append((f"{OME}/clusterservingruntimes", {"apiVersion": "ome.io/v1beta1", "kind":
                    "ClusterServingRuntime", "metadata": {"name": f"runtime-{m}"}, "spec": {
                        "supportedModelFormats": [{"modelFormat": {"name": "safetensors"}, "modelFramework": {
                            "name": "transformers"}}]}}))
    for n in range(20):
        out.append(("/api/v1/namespaces", {"metadata": {"name": f"team-{n}"}}))
    for i in range(size):
        ns = f"team-{i % 20}"
        out.append((f"{OME}/namespaces/{ns}/inferenceservices", {
            "apiVersion": "ome.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": f"svc-{i}", "namespace": ns, "annotations": {"ome.io/accelerator-class": f"gpu-{i % 5}"}},
            "spec": {"model": {"name": f"model-{i % 100}"}, "runtime": {"name": f"runtime-{i % 100}"},
                     "engine": {"minReplicas": 0}}}))
    return out


async def load_catalog(cluster: DevCluster, size: int) -> None:
    """Load catalog(size) into a dev cluster over HTTP, namespaces first."""
    objects = catalog(size)
    async with cluster.async_client(timeout=60) as http:
        sem = asyncio.Semaphore(32)

        async def post(path, obj):
            async with sem:
                resp = await http.post(path, json=obj)
                resp.raise_for_status()
        namespaces = [(p, o) for p, o in objects if p == "/api/v1/namespaces"]
        await asyncio.gather(*(post(p, o) for p, o in namespaces))
        await asyncio.gather(*(post(p, o) for p, o in objects if p != "/api/v1/namespaces"))


def wait_for(check, timeout: float = 10, interval: float = 0.05):
    """Poll `check` until it returns something true, and return that; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)
