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

import httpx
from kubernetes_asyncio import client, config

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support import DevCluster, Gateway  # noqa: E402

QUERY = """{ inferenceServices(first: 100000) { totalCount edges { node {
  name namespace ready model { name architecture } runtime { name } accelerator { name gpuModel } } } } }"""
OME = "/apis/ome.io/v1beta1"


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


async def load(url: str, objects: list[tuple[str, dict]]) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        sem = asyncio.Semaphore(32)

        async def post(path, obj):
            async with sem:
                resp = await http.post(path, json=obj)
                resp.raise_for_status()
        namespaces = [(p, o) for p, o in objects if p == "/api/v1/namespaces"]
        await asyncio.gather(*(post(p, o) for p, o in namespaces))
        await asyncio.gather(*(post(p, o) for p, o in objects if p != "/api/v1/namespaces"))


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
            asyncio.run(load(cluster.url, catalog(args.size)))
            print(f"loaded {args.size} services, 100 models, 100 runtimes, 5 accelerator classes "
                  f"in {time.perf_counter() - t:.1f}s")
            gateway = Gateway(cluster.kubeconfig)
            gateway.data(QUERY)  # warm-up: imports, connection pool
            times, requests = [], []
            for _ in range(args.repeat):
                cluster.reset_requests()
                t = time.perf_counter()
                data = gateway.data(QUERY)
                times.append(time.perf_counter() - t)
                requests.append(cluster.requests()["total"])
            assert data["inferenceServices"]["totalCount"] == args.size
            ours = statistics.median(times)
            direct = asyncio.run(direct_list(cluster.kubeconfig, args.repeat))
            cluster.reset_requests()
            naive_requests, naive_time = asyncio.run(naive(cluster.kubeconfig))
            print(f"upstream requests per dashboard query: ours {max(requests)}, naive one-GET-per-link "
                  f"{naive_requests} ({naive_requests / max(requests):.0f}x fewer)")
            print(f"latency: ours {ours * 1000:.0f} ms (median of {args.repeat}), direct kubernetes_asyncio list "
                  f"{direct * 1000:.0f} ms, ratio {ours / direct:.1f}x; naive {naive_time * 1000:.0f} ms")
        finally:
            if gateway:
                gateway.stop()
            cluster.stop()


if __name__ == "__main__":
    main()
