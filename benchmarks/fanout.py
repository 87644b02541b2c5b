"""Fan-out benchmark: N subscribers over graphql-transport-ws on one gateway; the dev cluster changes a service.

Prints p50/p99 delivery latency from the change to each subscriber, messages lost, upstream watch connections
(one per cached kind, whatever N) and gateway memory per subscriber.
Usage: python benchmarks/fanout.py [--subscribers 1000] [--changes 20]
"""
from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from fanout import measure  # noqa: E402
from support import DevCluster, Gateway  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=20)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * args.subscribers + 256)), hard))
    with tempfile.TemporaryDirectory() as tmp:
        cluster = DevCluster(Path(tmp), seed="crds", ready_delay=0)
        gateway = Gateway(cluster.kubeconfig)
        try:
            r = asyncio.run(measure(cluster, gateway.url, gateway.proc.pid, args.subscribers, args.changes))
        finally:
            gateway.stop()
            cluster.stop()
    print(f"{r['subscribers']} subscribers x {r['changes']} changes: delivered {r['delivered']}, lost {r['lost']}, "
          f"subscriber errors {r['errors']}")
    print(f"delivery latency: p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms")
    print(f"upstream watch connections: {r['watch_connections']} (one per cached kind)")
    print(f"gateway memory per subscriber: {r['kib_per_subscriber']:.1f} KiB")


if __name__ == "__main__":
    main()
