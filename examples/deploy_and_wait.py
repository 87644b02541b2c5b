"""Deploy a model on OME through the gateway and wait until the service is Ready, with the typed Python client.

    pip install ./clients/python          # the generated client (httpx, websockets, pydantic)
    python examples/deploy_and_wait.py --url http://127.0.0.1:8000 --namespace research --name demo \
        --model llama-3-1-8b-instruct

The runtime is chosen by the gateway (as OME's selector would); readiness is followed through the
inferenceServiceStatus subscription, so nothing polls. Exits non-zero with the gateway's error code on failure."""
from __future__ import annotations

import argparse
import asyncio
import sys

from ome_gateway_client import Client, DeployInferenceServiceInput, GraphQLClientGraphQLMultiError


async def deploy_and_wait(url: str, namespace: str, name: str, model: str, timeout: float) -> None:
    ws_url = url.replace("http", "ws", 1) + "/graphql"
    async with Client(url=f"{url}/graphql", ws_url=ws_url) as gateway:
        request = DeployInferenceServiceInput(namespace=namespace, name=name, model=model)
        checked = (await gateway.deploy(request.model_copy(update={"dry_run": True}))).deploy_inference_service
        print(f"dry run: runtime {checked.runtime.runtime.name} "
              f"({'chosen by the gateway' if checked.auto_selected else 'as asked'})", *checked.warnings, sep="\n  ")
        await gateway.deploy(request)
        print(f"created {namespace}/{name}; waiting until it is Ready")
        async with asyncio.timeout(timeout):
            async for update in gateway.service_status(namespace=namespace, name=name):
                status = update.inference_service_status
                replicas = ", ".join(f"{c.kind.value.lower()} {c.ready_replicas or 0}/{c.replicas or 0}"
                                     for c in status.components)
                print(f"  ready={status.ready} {replicas}")
                if status.ready:
                    print(f"{namespace}/{name} is Ready")
                    return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the gateway's base URL")
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--model", required=True, help="a ClusterBaseModel, or a BaseModel of the namespace")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for Ready")
    args = parser.parse_args()
    try:
        asyncio.run(deploy_and_wait(args.url.rstrip("/"), args.namespace, args.name, args.model, args.timeout))
    except GraphQLClientGraphQLMultiError as exc:
        error = exc.errors[0]
        sys.exit(f"{(error.extensions or {}).get('code', 'ERROR')}: {error.message}")
    except TimeoutError:
        sys.exit(f"TIMEOUT: not Ready after {args.timeout:g}s")


if __name__ == "__main__":
    main()
