"""Cluster totals for dashboards: counts by kind and readiness, GPUs total and in use."""
from __future__ import annotations

from ..k8s import kinds
from ..ome import refs
from .context import Context
from ..maybe import resolved
from .lookup import MODEL_KINDS, RUNTIME_KINDS, list_kind, list_scoped


def _gpus(resources: dict | None) -> int:
    total = 0
    for key, value in (resources or {}).items():
        if key.endswith("/gpu"):
            try:
                total += int(str(value))
            except ValueError:
                continue
    return total


def gpus_of_node(node: dict) -> int:
    return _gpus((node.get("status") or {}).get("allocatable") or (node.get("status") or {}).get("capacity"))


def gpus_of_pod(pod: dict) -> int:
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        return 0
    total = 0
    for c in (pod.get("spec") or {}).get("containers") or []:
        res = c.get("resources") or {}
        total += _gpus(res.get("requests") or res.get("limits"))
    return total


async def cluster_summary(ctx: Context) -> dict:
    models, runtimes, services, accels, nodes, pods = [await resolved(v) for v in (
        list_scoped(ctx, MODEL_KINDS, None, None, None), list_scoped(ctx, RUNTIME_KINDS, None, None, None),
        list_kind(ctx, kinds.INFERENCE_SERVICE), list_kind(ctx, kinds.ACCELERATOR_CLASS),
        list_kind(ctx, kinds.NODE), list_kind(ctx, kinds.POD, None, refs.ISVC_POD_LABEL))]
    ready_services = sum(refs.service_ready(s) for s in services)
    return {
        "models": len(models), "models_ready": sum(refs.model_ready(m) for m in models),
        "runtimes": len(runtimes),
        "runtimes_disabled": sum(bool((r.get("spec") or {}).get("disabled")) for r in runtimes),
        "services": len(services), "services_ready": ready_services, "services_not_ready": len(services) - ready_services,
        "accelerator_classes": len(accels), "nodes": len(nodes),
        "gpus_total": sum(gpus_of_node(n) for n in nodes), "gpus_used": sum(gpus_of_pod(p) for p in pods),
        "namespaces": len({s["metadata"]["namespace"] for s in services}),
    }
