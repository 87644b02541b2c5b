"""Live feeds over the shared cache: resource changes, one service's or model's status, the cluster summary."""
from __future__ import annotations

import asyncio
import contextlib
from typing import AsyncIterator, Callable

from ..k8s import kinds
from ..k8s.kinds import Kind
from ..k8s.selectors import LabelSelector, SelectorError
from ..maybe import resolved
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


async def _may(ctx: Context, verb: str, kind: Kind, namespace: str | None) -> bool:
    return ctx.access is None or await resolved(ctx.access.may(verb, kind, namespace))


async def _check(ctx: Context, verb: str, kind: Kind, namespace: str | None) -> None:
    """Raise FORBIDDEN when the caller may not (or no longer) `verb` the kind there: it ends the stream."""
    if ctx.access is not None:
        await resolved(ctx.access.check(verb, kind, namespace))


def _rv(obj: dict) -> int:
    return int(obj["metadata"].get("resourceVersion") or 0)


def event_id(marks: dict[str, int]) -> str:
    """An event's id for resuming: the last resourceVersion delivered of each kind, e.g. "pods:81,nodes:7"."""
    return ",".join(f"{plural}:{rv}" for plural, rv in sorted(marks.items()))


def parse_event_id(text: str | None) -> dict[str, int] | None:
    """The marks of a Last-Event-ID; None when absent; INVALID_INPUT when it is not one of ours."""
    if not text:
        return None
    try:
        return {plural: int(rv) for plural, rv in (part.split(":") for part in text.split(","))}
    except ValueError:
        raise invalid_input("Last-Event-ID is not an event id of this gateway", "Last-Event-ID") from None


def _replay(ctx: Context, wanted: list[Kind], marks: dict[str, int]) -> list[tuple[str, Kind, dict, dict | None]]:
    """What happened after the marks, oldest first; RESUME_EXPIRED when the cache no longer remembers it all."""
    missed = []
    for kind in wanted:
        if kind.plural not in marks:
            continue
        found = ctx.cache.informers[kind].since(marks[kind.plural])
        if found is None:
            raise GatewayError("RESUME_EXPIRED", "too much changed since that event to resume without a gap: "
                                                 "subscribe again (without Last-Event-ID) and reload")
        missed += [(rv, change, kind, obj, old) for rv, change, obj, old in found]
    return [(change, kind, obj, old) for _, change, kind, obj, old in sorted(missed, key=lambda e: e[0])]


async def changes(ctx: Context, wanted: list[Kind], namespace: str | None,
                  label_selector: str | None) -> AsyncIterator[tuple[str, Kind, dict]]:
    """ADDED/MODIFIED/DELETED for objects of the wanted kinds; an object crossing the selector's edge is
    reported as added or deleted, like a Kubernetes watch does. With ctx.resume (a Last-Event-ID's marks), the
    changes missed since are replayed first, with no gap and no duplicate; ctx.event_id follows each change."""
    try:
        selector = LabelSelector.parse(label_selector)
    except SelectorError as exc:
        raise invalid_input(str(exc), "labelSelector") from None
    marks = dict(ctx.resume or {})

    def accept(kind, change, obj, old):
        if namespace and obj["metadata"].get("namespace") != namespace:
            return None
        now_in = selector.matches(obj["metadata"].get("labels"))
        was_in = old is not None and selector.matches(old["metadata"].get("labels"))
        if change == "MODIFIED" and now_in != was_in:
            return "ADDED" if now_in else "DELETED"
        return change if now_in else None

    async with _listening(ctx, wanted, accept) as queue:
        for kind in wanted if namespace else ():
            await _check(ctx, "watch", kind, namespace)
        replayed = _replay(ctx, wanted, marks)
        horizon = dict(marks)  # live changes up to here were delivered before the reconnect, or are replayed
        for _, kind, obj, _ in replayed:
            horizon[kind.plural] = max(horizon.get(kind.plural, 0), _rv(obj))
        pending = iter([(c, k, o) for c, k, o in ((accept(k, ch, o, old), k, o) for ch, k, o, old in replayed)
                        if c is not None])
        while True:
            item = next(pending, None)
            if item is None:
                item = await _next(queue)
                if _rv(item[2]) <= horizon.get(item[1].plural, -1):
                    continue
            change, kind, obj = item
            marks[kind.plural] = max(marks.get(kind.plural, 0), _rv(obj))
            ctx.event_id = event_id(marks)
            if namespace:
                await _check(ctx, "watch", kind, namespace)
            elif not await _may(ctx, "watch", kind, obj["metadata"].get("namespace")):
                continue  # never sent: the caller may not see objects there
            yield change, kind, obj


def _fresh(ctx: Context, kind: Kind, obj: dict) -> bool:
    """Set the event id of a state stream's next event; False when a resuming subscriber already has this state."""
    ctx.event_id = event_id({kind.plural: _rv(obj)})
    return _rv(obj) > (ctx.resume or {}).get(kind.plural, -1)


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
        await _check(ctx, "get", kinds.INFERENCE_SERVICE, namespace)
        isvc = services.get(namespace, name)
        if isvc is None:
            raise GatewayError("NOT_FOUND", f'inference service "{namespace}/{name}" not found')
        last = _service_signature(isvc, current_pods())
        ctx.refresh()
        if _fresh(ctx, kinds.INFERENCE_SERVICE, isvc):
            yield isvc
        while True:
            change, kind, obj = await _next(queue)
            await _check(ctx, "get", kinds.INFERENCE_SERVICE, namespace)
            if kind is kinds.INFERENCE_SERVICE and change == "DELETED":
                raise GatewayError("NOT_FOUND", f'inference service "{namespace}/{name}" was deleted')
            isvc = services.get(namespace, name) or isvc
            signature = _service_signature(isvc, current_pods())
            if signature != last:
                last = signature
                ctx.refresh()
                _fresh(ctx, kinds.INFERENCE_SERVICE, isvc)
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
        await _check(ctx, "get", kind, namespace)
        model = ctx.cache.informers[kind].get(namespace, name)
        if model is None:
            raise GatewayError("NOT_FOUND", f'model "{name}" not found')
        last = _model_signature(model)
        if _fresh(ctx, kind, model):
            yield model
        while True:
            change, _, model = await _next(queue)
            await _check(ctx, "get", kind, namespace)
            if change == "DELETED":
                raise GatewayError("NOT_FOUND", f'model "{name}" was deleted')
            if _model_signature(model) != last:
                last = _model_signature(model)
                _fresh(ctx, kind, model)
                yield model


async def audit(ctx: Context) -> AsyncIterator[dict]:
    """Writes made through any replica, of objects the caller may see."""
    if ctx.bus is None:
        raise GatewayError("UPSTREAM_UNAVAILABLE", "the event bus is not running")
    async for event in ctx.bus.subscribe("audit"):
        kind = kinds.BY_NAME.get(event.get("kind"))
        if kind is not None and await _may(ctx, "get", kind, event.get("namespace")):
            yield event


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
