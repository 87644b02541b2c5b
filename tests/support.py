"""Real processes over real sockets for tests: a dev cluster and a gateway in front of it."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "ome"


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
        self.http = httpx.Client(base_url=self.url, timeout=30)

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


class Gateway:
    """A gateway process; `query` posts GraphQL and returns the decoded answer."""

    def __init__(self, kubeconfig: Path, env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ome_gateway.cli", "serve", "--kubeconfig", str(kubeconfig), "--port",
             str(self.port)], env={**os.environ, "OME_GATEWAY_LOG_LEVEL": "warning", **(env or {})},
            stderr=subprocess.PIPE, text=True)
        self.http = httpx.Client(base_url=self.url, timeout=30)

        def up():
            try:
                return self.http.get("/healthz").status_code == 200
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

    def stop(self) -> None:
        self.http.close()
        self.proc.terminate()
        self.proc.wait(10)


