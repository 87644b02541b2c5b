"""Reads behind the graph's fields and links; each returns plain dicts and goes through the loaders."""
from __future__ import annotations

from ..k8s import kinds
from ..ome import refs
from .context import Context

MODEL_KINDS = (kinds.CLUSTER_BASE_MODEL, kinds.BASE_MODEL)
RUNTIME_KINDS = (kinds.CLUSTER_SERVING_RUNTIME, kinds.SERVING_RUNTIME)


def _kinds_for(scope: str | None, cluster_kind, namespaced_kind):
    return {"CLUSTER": (cluster_kind,), "NAMESPACE": (namespaced_kind,)}.get(scope or "", (cluster_kind,
                                                                                           namespaced_kind))


async def list_kind(ctx: Context, kind, namespace=None, label_selector=None) -> list[dict]:
    if namespace and not kind.namespaced:
        return []
    return await ctx.loaders.list(kind, namespace, label_selector)


async def list_scoped(ctx: Context, pair, scope, namespace, label_selector) -> list[dict]:
    """Cluster- and namespace-scoped kinds of one concept (models, runtimes) listed together."""
    out = []
    for kind in _kinds_for(scope, *pair):
        if namespace and not kind.namespaced:
            continue
        out += await list_kind(ctx, kind, namespace, label_selector)
    return out


async def get_ref(ctx: Context, ref) -> dict | None:
    if ref is None:
        return None
    kind_name, namespace, name = ref
    kind = kinds.BY_NAME.get(kind_name)
    return await ctx.loaders.get(kind, name, namespace) if kind else None


async def model_of(ctx: Context, isvc: dict) -> dict | None:
    return await get_ref(ctx, refs.model_ref(isvc))


async def runtime_of(ctx: Context, isvc: dict) -> dict | None:
    return await get_ref(ctx, refs.runtime_ref(isvc))


async def accelerator_of(ctx: Context, isvc: dict) -> dict | None:
    name = refs.accelerator_class(isvc)
    return await ctx.loaders.get(kinds.ACCELERATOR_CLASS, name) if name else None


def _pod_owner(pod: dict) -> str | None:
    return (pod["metadata"].get("labels") or {}).get(refs.ISVC_POD_LABEL)


def _event_subject(event: dict) -> str | None:
    return (event.get("involvedObject") or {}).get("name")


async def pods_of(ctx: Context, isvc: dict) -> list[dict]:
    meta = isvc["metadata"]
    return await ctx.loaders.related(kinds.POD, meta["namespace"], meta["name"], _pod_owner,
                                     label_selector=refs.ISVC_POD_LABEL)


async def events_of(ctx: Context, obj: dict) -> list[dict]:
    meta = obj["metadata"]
    events = await ctx.loaders.related(kinds.EVENT, meta.get("namespace") or "default", meta["name"],
                                       _event_subject, field_selector=f"involvedObject.kind={obj['kind']}")
    return sorted(events, key=lambda e: e.get("lastTimestamp") or "", reverse=True)


async def services_referring(ctx: Context, obj: dict, ref_of) -> list[dict]:
    """Inference services whose model (ref_of=refs.model_ref) or runtime reference names obj."""
    namespace = obj["metadata"].get("namespace")
    services = await list_kind(ctx, kinds.INFERENCE_SERVICE, namespace)
    return [s for s in services if refs.refers_to(s, ref_of(s), obj)]


async def runtimes_for_accelerator(ctx: Context, accel: dict) -> list[dict]:
    name = accel["metadata"]["name"]
    return [r for r in await list_scoped(ctx, RUNTIME_KINDS, None, None, None)
            if name in (((r.get("spec") or {}).get("acceleratorRequirements") or {}).get("acceleratorClasses") or [])]


def selects_node(accel: dict, node: dict) -> bool:
    selector = (((accel.get("spec") or {}).get("discovery") or {}).get("nodeSelector")) or {}
    labels = node["metadata"].get("labels") or {}
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


async def nodes_for_accelerator(ctx: Context, accel: dict) -> list[dict]:
    return [n for n in await list_kind(ctx, kinds.NODE) if selects_node(accel, n)]


async def accelerators_of_node(ctx: Context, node: dict) -> list[dict]:
    return [a for a in await list_kind(ctx, kinds.ACCELERATOR_CLASS) if selects_node(a, node)]
