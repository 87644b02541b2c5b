"""Compatibility benchmark: every upstream OME model judged against every upstream runtime, through the gateway.

Prints, from one run: the latency of the whole matrix as one GraphQL query, the time per model, the selector's
own share (in-process, no GraphQL), and the upstream requests the query made (the target is 0: the runtimes come
from the cache). Needs ../shared/ome beside the project.
Usage: python benchmarks/compatibility.py [--repeat 3]
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support import OME, SHARED, DevCluster, Gateway  # noqa: E402

from ome_gateway.ome import selector  # noqa: E402

QUERY = """{ models(first: 1000) { edges { node { name
  compatibleRuntimes { runtime { name } compatible score autoSelect reasons } } } } }"""
PLURALS = {"ClusterBaseModel": "clusterbasemodels", "ClusterServingRuntime": "clusterservingruntimes"}


def upstream() -> dict[str, list[dict]]:
    """Upstream models and runtimes by kind, one per name (a few names appear in two folders)."""
    found: dict[str, dict[str, dict]] = {kind: {} for kind in PLURALS}
    for path in sorted(SHARED.glob("*/**/*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") in found:
                found[doc["kind"]].setdefault(doc["metadata"]["name"], doc)
    return {kind: list(items.values()) for kind, items in found.items()}


async def load(cluster: DevCluster, docs: dict[str, list[dict]]) -> None:
    async with cluster.async_client(timeout=60) as http:
        for kind, items in docs.items():
            for doc in items:
                (await http.post(f"{OME}/{PLURALS[kind]}", json=doc)).raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not SHARED.is_dir():
        sys.exit(f"the upstream OME catalog is not at {SHARED}")
    docs = upstream()
    models, runtimes = docs["ClusterBaseModel"], docs["ClusterServingRuntime"]
    t = time.perf_counter()
    for model in models:
        selector.rank_runtimes(model, runtimes)
    in_process = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        cluster = DevCluster(Path(tmp), seed="crds")
        gateway = None
        try:
            asyncio.run(load(cluster, docs))
            gateway = Gateway(cluster.kubeconfig, env={"OME_GATEWAY_MAX_PAGE_SIZE": "1000",
                                                       "OME_GATEWAY_MAX_COMPLEXITY": "10000000"})
            gateway.data(QUERY)  # warm-up
            times, requests = [], []
            for _ in range(args.repeat):
                cluster.reset_requests()
                t = time.perf_counter()
                data = gateway.data(QUERY)
                times.append(time.perf_counter() - t)
                requests.append(cluster.requests()["total"])
        finally:
            if gateway:
                gateway.stop()
            cluster.stop()
    edges = data["models"]["edges"]
    pairs = sum(len(e["node"]["compatibleRuntimes"]) for e in edges)
    compatible = sum(m["compatible"] for e in edges for m in e["node"]["compatibleRuntimes"])
    selected = sum(bool(e["node"]["compatibleRuntimes"]) and e["node"]["compatibleRuntimes"][0]["autoSelect"]
                   for e in edges)
    latency = statistics.median(times)
    print(f"{len(edges)} models x {len(runtimes)} runtimes = {pairs} verdicts; {compatible} compatible pairs; "
          f"{selected} models with an auto-selected runtime")
    print(f"whole matrix over GraphQL: {latency * 1000:.0f} ms ({latency / len(edges) * 1000:.2f} ms per model); "
          f"selector alone in-process: {in_process * 1000:.0f} ms ({in_process / len(models) * 1000:.2f} ms per "
          f"model)")
    print(f"upstream requests per query: {max(requests)} (median of {args.repeat} runs: {statistics.median(requests)})")


if __name__ == "__main__":
    main()
