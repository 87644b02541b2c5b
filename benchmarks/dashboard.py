"""Dashboard benchmark: every service with its model, runtime and accelerator, through the gateway.

Prints, from one run: upstream requests of our resolvers against a naive one-GET-per-link baseline, and the
query's latency as a ratio to a direct kubernetes_asyncio list of the same services.
Usage: python benchmarks/dashboard.py [--size 1000] [--repeat 5]
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from kubernetes_asyncio import client, config

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support import DevCluster, Gateway, load_catalog  # noqa: E402

QUERY = """query($n: Int!) { inferenceServices(first: $n) { totalCount edges { node {
  name namespace ready model { name architecture } runtime { name } accelerator { name gpuModel } } } } }"""


async def direct_list(kubeconfig: Path, repeat: int) -> float:
    configuration = client.Configuration()
    await config.load_kube_config(config_file=str(kubeconfig), client_configuration=configuration)
    async with client.ApiClient(configuration) as api:
        custom = client.CustomObjectsApi(api)
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            await custom.list_cluster_custom_object("ome.io", "v1beta1", "inferenceservices")
            times.append(time.perf_counter() - t)
        return statistics.median(times)


async def naive(kubeconfig: Path) -> tuple[int, float]:
    """One GET per link: list services, then fetch each one's model, runtime and accelerator."""
    configuration = client.Configuration()
    await config.load_kube_config(config_file=str(kubeconfig), client_configuration=configuration)
    async with client.ApiClient(configuration) as api:
        custom = client.CustomObjectsApi(api)
        t = time.perf_counter()
        services = (await custom.list_cluster_custom_object("ome.io", "v1beta1", "inferenceservices"))["items"]
        requests = 1
        for s in services:
            await custom.get_cluster_custom_object("ome.io", "v1beta1", "clusterbasemodels", s["spec"]["model"]["name"])
            await custom.get_cluster_custom_object("ome.io", "v1beta1", "clusterservingruntimes",
                                                   s["spec"]["runtime"]["name"])
            await custom.get_cluster_custom_object("ome.io", "v1beta1", "acceleratorclasses",
                                                   s["metadata"]["annotations"]["ome.io/accelerator-class"])
            requests += 3
        return requests, time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cluster = DevCluster(Path(tmp), seed="crds", ready_delay=0.0, event_window=args.size * 2 + 1000)
        gateway = None
        try:
            t = time.perf_counter()
            asyncio.run(load_catalog(cluster, args.size))
            print(f"loaded {args.size} services, 100 models, 100 runtimes, 5 accelerator classes "
                  f"in {time.perf_counter() - t:.1f}s")
            measured = {}
            for mode in ("cache", "loaders"):
                gateway = Gateway(cluster.kubeconfig, env={"OME_GATEWAY_MAX_PAGE_SIZE": str(args.size),
                                                           "OME_GATEWAY_CACHE": "on" if mode == "cache" else "off"})
                gateway.data(QUERY, {"n": args.size})  # warm-up: imports, connection pool, cache
                times, requests = [], []
                for _ in range(args.repeat):
                    cluster.reset_requests()
                    t = time.perf_counter()
                    data = gateway.data(QUERY, {"n": args.size})
                    times.append(time.perf_counter() - t)
                    requests.append(cluster.requests()["total"])
                assert data["inferenceServices"]["totalCount"] == args.size
                measured[mode] = (statistics.median(times), max(requests))
                gateway.stop()
                gateway = None
            direct = asyncio.run(direct_list(cluster.kubeconfig, args.repeat))
            cluster.reset_requests()
            naive_requests, naive_time = asyncio.run(naive(cluster.kubeconfig))
            print(f"upstream requests per dashboard query: warm cache {measured['cache'][1]}, loaders "
                  f"{measured['loaders'][1]}, naive one-GET-per-link {naive_requests}")
            for mode, (ours, _) in measured.items():
                print(f"latency ({mode}): {ours * 1000:.0f} ms (median of {args.repeat}); direct kubernetes_asyncio "
                      f"list {direct * 1000:.0f} ms; ratio {ours / direct:.1f}x")
            print(f"latency (naive): {naive_time * 1000:.0f} ms")
        finally:
            if gateway:
                gateway.stop()
            cluster.stop()


if __name__ == "__main__":
    main()
