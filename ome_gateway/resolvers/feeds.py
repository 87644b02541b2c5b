"""Live feeds over the shared cache: resource changes, one service's or model's status, the cluster summary."""
from __future__ import annotations

import asyncio
import contextlib
from typing import AsyncIterator, Callable

from ..k8s import kinds
from ..k8s.kinds import Kind
from ..k8s.selectors import LabelSelector, SelectorError
from ..ome import refs
from .context import Context
from .errors import GatewayError, invalid_input
from .summary import cluster_summary

QUEUE_LIMIT = 10_000
Filter = Callable[[Kind, str, dict, "dict | None"], "str | None"]  # returns the change type to deliver, or None


async def _synced(ctx: Context, wanted: list[Kind]) -> None:
    if ctx.cache is None:
        raise GatewayError("UPSTREAM_UNAVAILABLE", "live updates need the shared cache (OME_GATEWAY_CACHE=on)")
    if not await ctx.cache.wait_synced(10.0):
        raise GatewayError("UPSTREAM_UNAVAILABLE", "the cache has not synced with the cluster yet")


@contextlib.asynccontextmanager
async def _listening(ctx: Context, wanted: list[Kind], accept: Filter):
    """A queue that receives (change type, kind, object) for every cache change `accept` lets through."""
    await _synced(ctx, wanted)
    queue: asyncio.Queue = asyncio.Queue(QUEUE_LIMIT)
    overflow = []

    def listener_for(kind: Kind):
        def listener(change: str, obj: dict, old: dict | None) -> None:
            delivered = accept(kind, change, obj, old)
            if delivered is None:
                return
            try:
                queue.put_nowait((delivered, kind, obj))
            except asyncio.QueueFull:
                overflow.append(True)
                queue.get_nowait()
                queue.put_nowait(None)  # wakes the consumer, which ends the stream
        return listener

    listeners = [(kind, listener_for(kind)) for kind in wanted]
    for kind, listener in listeners:
        ctx.cache.listen(kind, listener)
    try:
        yield queue
    finally:
        for kind, listener in listeners:
            ctx.cache.unlisten(kind, listener)


async def _next(queue: asyncio.Queue):
    item = await queue.get()
    if item is None:
        raise GatewayError("RESOURCE_EXHAUSTED", "this subscriber fell too far behind; subscribe again")
    return item


async def changes(ctx: Context, wanted: list[Kind], namespace: str | None,
                  label_selector: str | None) -> AsyncIterator[tuple[str, Kind, dict]]:
    """ADDED/MODIFIED/DELETED for objects of the wanted kinds; an object crossing the selector's edge is
    reported as added or deleted, like a Kubernetes watch does."""
    try:
        selector = LabelSelector.parse(label_selector)
    except SelectorError as exc:
        raise invalid_input(str(exc), "labelSelector") from None

    def accept(kind, change, obj, old):
        if namespace and obj["metadata"].get("namespace") != namespace:
            return None
        now_in = selector.matches(obj["metadata"].get("labels"))
        was_in = old is not None and selector.matches(old["metadata"].get("labels"))
        if change == "MODIFIED" and now_in != was_in:
            return "ADDED" if now_in else "DELETED"
        return change if now_in else None

    async with _listening(ctx, wanted, accept) as queue:
        while True:
            yield await _next(queue)


def _service_signature(isvc: dict, pods: list[dict]) -> tuple:
    status = isvc.get("status") or {}
    conditions = tuple((c.get("type"), c.get("status"), c.get("reason")) for c in status.get("conditions") or [])
    spec = isvc.get("spec") or {}
    replicas = tuple((c, (spec.get(c) or {}).get("minReplicas"), (spec.get(c) or {}).get("maxReplicas"))
                     for c in refs.components(isvc))
    pod_state = tuple(sorted((p["metadata"]["name"], (p.get("status") or {}).get("phase"),
                              refs.condition(p, "Ready") is not None and refs.condition(p, "Ready").get("status"))
                             for p in pods))
    return status.get("url"), status.get("observedGeneration"), conditions, replicas, pod_state


async def service_status(ctx: Context, namespace: str, name: str) -> AsyncIterator[dict]:
    """The service now, then again at each change of its status, readiness, replicas, conditions or pods."""
    def accept(kind, change, obj, old):
        meta = obj["metadata"]
        if meta.get("namespace") != namespace:
            return None
        owner = (meta.get("labels") or {}).get(refs.ISVC_POD_LABEL) if kind is kinds.POD else meta["name"]
        return change if owner == name else None

    async with _listening(ctx, [kinds.INFERENCE_SERVICE, kinds.POD], accept) as queue:
        services, pods = ctx.cache.informers[kinds.INFERENCE_SERVICE], ctx.cache.informers[kinds.POD]

        def current_pods():
            return [p for p in pods.list(namespace)
                    if (p["metadata"].get("labels") or {}).get(refs.ISVC_POD_LABEL) == name]
        isvc = services.get(namespace, name)
        if isvc is None:
            raise GatewayError("NOT_FOUND", f'inference service "{namespace}/{name}" not found')
        last = _service_signature(isvc, current_pods())
        ctx.refresh()
        yield isvc
        while True:
            change, kind, obj = await _next(queue)
            if kind is kinds.INFERENCE_SERVICE and change == "DELETED":
                raise GatewayError("NOT_FOUND", f'inference service "{namespace}/{name}" was deleted')
            isvc = services.get(namespace, name) or isvc
            signature = _service_signature(isvc, current_pods())
            if signature != last:
                last = signature
                ctx.refresh()
                yield isvc


def _model_signature(model: dict) -> tuple:
    status = model.get("status") or {}
    return (status.get("state"), status.get("lifecycle"), tuple(status.get("nodesReady") or ()),
            tuple(status.get("nodesFailed") or ()), bool((model.get("spec") or {}).get("disabled")))


async def model_status(ctx: Context, name: str, namespace: str | None) -> AsyncIterator[dict]:
    """The model now, then again at each change of its download state, nodes or disabled flag."""
    kind = kinds.BASE_MODEL if namespace else kinds.CLUSTER_BASE_MODEL

    def accept(_, change, obj, old):
        meta = obj["metadata"]
        return change if meta["name"] == name and (meta.get("namespace") or None) == namespace else None

    async with _listening(ctx, [kind], accept) as queue:
        model = ctx.cache.informers[kind].get(namespace, name)
        if model is None:
            raise GatewayError("NOT_FOUND", f'model "{name}" not found')
        last = _model_signature(model)
        yield model
        while True:
            change, _, model = await _next(queue)
            if change == "DELETED":
                raise GatewayError("NOT_FOUND", f'model "{name}" was deleted')
            if _model_signature(model) != last:
                last = _model_signature(model)
                yield model


async def summary(ctx: Context, interval: float) -> AsyncIterator[dict]:
    """The cluster summary now, then whenever it changes, at most once per interval."""
    wanted = list(ctx.cache.informers) if ctx.cache else []
    async with _listening(ctx, wanted, lambda kind, change, obj, old: change) as queue:
        last = None
        while True:
            ctx.refresh()
            current = await cluster_summary(ctx)
            if current != last:
                last = current
                yield current
            await asyncio.sleep(interval)
            await _next(queue)
            while not queue.empty():
                await _next(queue)
