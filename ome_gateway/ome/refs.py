"""How OME objects point at each other, and what their statuses mean."""
from __future__ import annotations

ACCELERATOR_ANNOTATION = "ome.io/accelerator-class"
COMPONENTS = ("engine", "decoder", "router")
ISVC_POD_LABEL = "serving.ome.io/inferenceservice"
COMPONENT_LABEL = "component"


def _spec(obj: dict) -> dict:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


def model_ref(isvc: dict) -> tuple[str, str | None, str] | None:
    """(kind, namespace or None, name) of the model a service serves."""
    ref = _spec(isvc).get("model") or {}
    if not ref.get("name"):
        return None
    kind = ref.get("kind") or "ClusterBaseModel"
    return kind, isvc["metadata"].get("namespace") if kind == "BaseModel" else None, ref["name"]


def runtime_ref(isvc: dict) -> tuple[str, str | None, str] | None:
    """(kind, namespace or None, name) of the runtime a service names; None when OME picks one."""
    ref = _spec(isvc).get("runtime") or {}
    if not ref.get("name"):
        return None
    kind = ref.get("kind") or "ClusterServingRuntime"
    return kind, isvc["metadata"].get("namespace") if kind == "ServingRuntime" else None, ref["name"]


def accelerator_class(isvc: dict) -> str | None:
    """The accelerator class a service asks for: annotation, then selector, then an engine override."""
    spec = _spec(isvc)
    return ((isvc["metadata"].get("annotations") or {}).get(ACCELERATOR_ANNOTATION)
            or (spec.get("acceleratorSelector") or {}).get("acceleratorClass")
            or ((spec.get("engine") or {}).get("acceleratorOverride") or {}).get("acceleratorClass"))


def condition(obj: dict, kind: str) -> dict | None:
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if isinstance(cond, dict) and cond.get("type") == kind:
            return cond
    return None


def service_ready(isvc: dict) -> bool:
    cond = condition(isvc, "Ready")
    return bool(cond and cond.get("status") == "True")


def model_ready(model: dict) -> bool:
    return (model.get("status") or {}).get("state") == "Ready"


def components(isvc: dict) -> list[str]:
    """Components a service runs: always the engine, plus decoder and router when specified."""
    spec = _spec(isvc)
    return ["engine"] + [c for c in ("decoder", "router") if spec.get(c) is not None]


def refers_to(isvc: dict, ref: tuple[str, str | None, str] | None, obj: dict) -> bool:
    """Whether a reference (from model_ref/runtime_ref) names obj."""
    if ref is None:
        return False
    kind, namespace, name = ref
    meta = obj["metadata"]
    return kind == obj.get("kind") and name == meta["name"] and (namespace or None) == (meta.get("namespace") or None)
