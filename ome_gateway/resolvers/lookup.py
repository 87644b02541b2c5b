"""Reads behind the graph's fields and links. Each returns plain dicts: now when the cache holds the kind,
as an awaitable when a loader has to ask the cluster (see maybe.py)."""
from __future__ import annotations

from ..k8s import kinds
from ..ome import refs
from .context import Context
from ..maybe import gather, then

MODEL_KINDS = (kinds.CLUSTER_BASE_MODEL, kinds.BASE_MODEL)
RUNTIME_KINDS = (kinds.CLUSTER_SERVING_RUNTIME, kinds.SERVING_RUNTIME)


def list_kind(ctx: Context, kind, namespace=None, label_selector=None):
    if namespace and not kind.namespaced:
        return []
    return ctx.loaders.list(kind, namespace, label_selector)


def list_scoped(ctx: Context, pair, scope, namespace, label_selector):
    """Cluster- and namespace-scoped kinds of one concept (models, runtimes) listed together."""
    chosen = {"CLUSTER": pair[:1], "NAMESPACE": pair[1:]}.get(scope or "", pair)
    parts = [list_kind(ctx, k, namespace, label_selector) for k in chosen if not (namespace and not k.namespaced)]
    return gather(parts, lambda lists: [o for items in lists for o in items])


def get_ref(ctx: Context, ref):
    if ref is None:
        return None
    kind_name, namespace, name = ref
    kind = kinds.BY_NAME.get(kind_name)
    return ctx.loaders.get(kind, name, namespace) if kind else None


def model_of(ctx: Context, isvc: dict):
    return get_ref(ctx, refs.model_ref(isvc))


def runtime_of(ctx: Context, isvc: dict):
    return get_ref(ctx, refs.runtime_ref(isvc))


def accelerator_of(ctx: Context, isvc: dict):
    name = refs.accelerator_class(isvc)
    return ctx.loaders.get(kinds.ACCELERATOR_CLASS, name) if name else None


def _pod_owner(pod: dict) -> str | None:
    return (pod["metadata"].get("labels") or {}).get(refs.ISVC_POD_LABEL)


def _event_subject(event: dict) -> str | None:
    return (event.get("involvedObject") or {}).get("name")


def pods_of(ctx: Context, isvc: dict):
    meta = isvc["metadata"]
    return ctx.loaders.related(kinds.POD, meta["namespace"], meta["name"], _pod_owner,
                               label_selector=refs.ISVC_POD_LABEL)


def events_of(ctx: Context, obj: dict):
    """Events about obj, newest first (events are not cached: always a loader)."""
    meta = obj["metadata"]
    events = ctx.loaders.related(kinds.EVENT, meta.get("namespace") or "default", meta["name"], _event_subject,
                                 field_selector=f"involvedObject.kind={obj['kind']}")
    return then(events, lambda items: sorted(items, key=lambda e: e.get("lastTimestamp") or "", reverse=True))


def services_referring(ctx: Context, obj: dict, ref_of):
    """Inference services whose model (ref_of=refs.model_ref) or runtime reference names obj."""
    services = list_kind(ctx, kinds.INFERENCE_SERVICE, obj["metadata"].get("namespace"))
    return then(services, lambda items: [s for s in items if refs.refers_to(s, ref_of(s), obj)])


def runtimes_for_accelerator(ctx: Context, accel: dict):
    name = accel["metadata"]["name"]
    return then(list_scoped(ctx, RUNTIME_KINDS, None, None, None), lambda items: [
        r for r in items
        if name in (((r.get("spec") or {}).get("acceleratorRequirements") or {}).get("acceleratorClasses") or [])])


def selects_node(accel: dict, node: dict) -> bool:
    selector = (((accel.get("spec") or {}).get("discovery") or {}).get("nodeSelector")) or {}
    labels = node["metadata"].get("labels") or {}
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def nodes_for_accelerator(ctx: Context, accel: dict):
    return then(list_kind(ctx, kinds.NODE), lambda nodes: [n for n in nodes if selects_node(accel, n)])


def accelerators_of_node(ctx: Context, node: dict):
    return then(list_kind(ctx, kinds.ACCELERATOR_CLASS), lambda items: [a for a in items if selects_node(a, node)])
