"""Changes to running inference services: scaling one component, and deletion."""
from __future__ import annotations

from ..k8s import kinds
from ..ome import refs
from . import validate, writes
from .context import Context
from .errors import GatewayError, invalid_input
from ..maybe import resolved


async def existing(ctx: Context, namespace: str, name: str) -> dict:
    validate.label(namespace, "namespace")
    validate.label(name, "name")
    found = await resolved(ctx.loaders.get(kinds.INFERENCE_SERVICE, name, namespace))
    if found is None:
        raise GatewayError("NOT_FOUND", f"inference service {namespace}/{name} not found",
                           [{"field": "name", "message": "not found"}])
    return found


async def scale(ctx: Context, namespace: str, name: str, component: str, min_replicas: int | None,
                max_replicas: int | None, resource_version: str | None = None) -> dict:
    """Patch the replica bounds of one component only; the other's bound, when not given, must stay consistent."""
    if min_replicas is None and max_replicas is None:
        raise invalid_input("give minReplicas, maxReplicas or both", "minReplicas")
    validate.replicas(min_replicas, max_replicas, component)
    service = await existing(ctx, namespace, name)
    current = (service.get("spec") or {}).get(component)
    if component != "engine" and component not in refs.components(service):
        raise invalid_input(f"inference service {namespace}/{name} has no {component}", "component")
    current = current if isinstance(current, dict) else {}
    validate.replicas(current.get("minReplicas") if min_replicas is None else min_replicas,
                      current.get("maxReplicas") if max_replicas is None else max_replicas, component)
    bounds = {k: v for k, v in (("minReplicas", min_replicas), ("maxReplicas", max_replicas)) if v is not None}
    body: dict = {"spec": {component: bounds}}
    if resource_version:
        body["metadata"] = {"resourceVersion": resource_version}
    return await writes.patch(ctx, kinds.INFERENCE_SERVICE, name, body, namespace)


async def delete(ctx: Context, namespace: str, name: str, dry_run: bool = False) -> dict:
    await existing(ctx, namespace, name)
    return await writes.delete(ctx, kinds.INFERENCE_SERVICE, name, namespace, dry_run)
