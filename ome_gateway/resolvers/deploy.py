"""Deploying an inference service: check the request, pick the runtime as OME would, and let the API server
validate the object (a dry run when asked)."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..k8s import kinds
from ..k8s.errors import KubeError
from ..ome import refs, selector
from . import compatibility, validate, writes
from .context import Context
from .errors import GatewayError, invalid_input
from ..maybe import resolved


@dataclass
class Component:
    min_replicas: int | None = None
    max_replicas: int | None = None
    cpu: str | None = None
    memory: str | None = None
    gpus: int | None = None


@dataclass
class DeployRequest:
    name: str
    namespace: str
    model: str
    model_namespaced: bool | None = None  # None: a BaseModel of the namespace if there is one, else the cluster's
    runtime: str | None = None            # None: auto-selected
    runtime_namespaced: bool | None = None
    accelerator_class: str | None = None
    components: dict[str, Component] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False


@dataclass
class Deployed:
    service: dict
    selection: selector.RuntimeMatch
    model: dict
    auto_selected: bool
    warnings: list[str]


def _check(req: DeployRequest) -> None:
    validate.label(req.name, "name")
    validate.label(req.namespace, "namespace")
    validate.subdomain(req.model, "model")
    validate.subdomain(req.runtime, "runtime")
    validate.subdomain(req.accelerator_class, "acceleratorClass")
    validate.labels(req.labels, "labels")
    for name, part in req.components.items():
        validate.replicas(part.min_replicas, part.max_replicas, name)
        validate.quantity(part.cpu, f"{name}.cpu")
        validate.quantity(part.memory, f"{name}.memory")
        if part.gpus is not None and not 0 <= part.gpus <= 64:
            raise invalid_input("gpus must be between 0 and 64", f"{name}.gpus")


async def _find(ctx: Context, cluster_kind, namespaced_kind, name: str, namespace: str, namespaced: bool | None,
                field_name: str) -> dict:
    if namespaced is not False:
        try:
            found = await resolved(ctx.loaders.get(namespaced_kind, name, namespace))
        except KubeError as exc:  # not allowed to look in the namespace: only the cluster's one can be meant
            if exc.code != "FORBIDDEN" or namespaced:
                raise
            found = None
        if found is not None or namespaced:
            if found is None:
                raise GatewayError("NOT_FOUND", f"{namespaced_kind.name} {name} not found in namespace {namespace}",
                                   [{"field": field_name, "message": "not found"}])
            return found
    found = await resolved(ctx.loaders.get(cluster_kind, name))
    if found is None:
        raise GatewayError("NOT_FOUND", f"no {field_name} named {name} (looked for a {cluster_kind.name}"
                                        f"{'' if namespaced is False else f' and a {namespaced_kind.name} in ' + namespace})",
                           [{"field": field_name, "message": "not found"}])
    return found


def _component(part: Component) -> dict:
    out: dict = {k: v for k, v in (("minReplicas", part.min_replicas), ("maxReplicas", part.max_replicas))
                 if v is not None}
    amounts = {k: v for k, v in (("cpu", part.cpu), ("memory", part.memory),
                                 ("nvidia.com/gpu", str(part.gpus) if part.gpus else None)) if v}
    if amounts:
        out["runner"] = {"resources": {"requests": amounts, "limits": dict(amounts)}}
    return out


def manifest(req: DeployRequest, model: dict, runtime: dict) -> dict:
    """The InferenceService object a request makes."""
    spec: dict = {"model": {"name": model["metadata"]["name"], "kind": model["kind"]},
                  "runtime": {"name": runtime["metadata"]["name"], "kind": runtime["kind"]},
                  "engine": _component(req.components.get("engine") or Component())}
    for name in ("decoder", "router"):
        if name in req.components:
            spec[name] = _component(req.components[name])
    if req.accelerator_class:
        spec["acceleratorSelector"] = {"acceleratorClass": req.accelerator_class}
    meta = {"name": req.name, "namespace": req.namespace, **({"labels": req.labels} if req.labels else {})}
    return {"apiVersion": kinds.INFERENCE_SERVICE.api_version, "kind": "InferenceService", "metadata": meta,
            "spec": spec}


def _no_runtime(model: dict, ranked: list[selector.RuntimeMatch]) -> GatewayError:
    near = [f"{m.runtime['metadata']['name']}: {'; '.join(m.reasons) or 'not auto-selectable'}" for m in ranked[:5]]
    return GatewayError("INVALID_INPUT", f"no runtime can serve model {model['metadata']['name']}: name one "
                                         "explicitly or add a compatible runtime",
                        [{"field": "runtime", "message": "no compatible runtime to select"}], candidates=near)


async def deploy(ctx: Context, req: DeployRequest) -> Deployed:
    _check(req)
    model = await _find(ctx, kinds.CLUSTER_BASE_MODEL, kinds.BASE_MODEL, req.model, req.namespace,
                        req.model_namespaced, "model")
    warnings = [] if refs.model_ready(model) else [
        f"model {req.model} is not Ready (state: {(model.get('status') or {}).get('state') or 'unknown'}); the "
        "service will wait for it"]
    if req.accelerator_class and await resolved(ctx.loaders.get(kinds.ACCELERATOR_CLASS,
                                                                req.accelerator_class)) is None:
        raise GatewayError("NOT_FOUND", f"accelerator class {req.accelerator_class} not found",
                           [{"field": "acceleratorClass", "message": "not found"}])
    classes = {req.accelerator_class} if req.accelerator_class else set()
    if req.runtime:
        runtime = await _find(ctx, kinds.CLUSTER_SERVING_RUNTIME, kinds.SERVING_RUNTIME, req.runtime, req.namespace,
                              req.runtime_namespaced, "runtime")
        chosen = selector.match(runtime, model.get("spec") or {}, classes)
        if not chosen.compatible:
            raise GatewayError("INVALID_INPUT", f"runtime {req.runtime} cannot serve model {req.model}: "
                                                f"{'; '.join(chosen.reasons)}",
                               [{"field": "runtime", "message": r} for r in chosen.reasons])
    else:
        ranked = await resolved(compatibility.runtimes_for(ctx, model, req.accelerator_class, req.namespace))
        if not ranked or not ranked[0].auto_select:
            raise _no_runtime(model, ranked)
        chosen = ranked[0]
    warnings += [w for w in chosen.warnings if w != selector.NOT_AUTO]  # naming a runtime overrides autoSelect
    try:
        service = await writes.create(ctx, kinds.INFERENCE_SERVICE, manifest(req, model, chosen.runtime),
                                      req.dry_run)
    except KubeError as exc:
        if exc.code == "NOT_FOUND":  # the only thing a create can miss is its namespace
            raise GatewayError("NOT_FOUND", f"namespace {req.namespace} not found",
                               [{"field": "namespace", "message": "not found"}]) from None
        raise
    return Deployed(service, chosen, model, not req.runtime, warnings)
