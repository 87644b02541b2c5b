"""Runtime selection over the cached lists: which runtimes fit a model, which models a runtime can serve."""
from __future__ import annotations

from ..ome import selector
from . import lookup
from .context import Context
from ..maybe import gather, then


def candidates(ctx: Context, namespace: str | None):
    """Cluster runtimes plus the runtimes of `namespace` (of every namespace when it is None)."""
    def pick(items):
        return [r for r in items if not r["metadata"].get("namespace") or namespace in (None, r["metadata"]["namespace"])]
    return then(lookup.list_scoped(ctx, lookup.RUNTIME_KINDS, None, None, None), pick)


def runtimes_for(ctx: Context, model: dict, accelerator_class: str | None, namespace: str | None):
    """Every candidate runtime judged for `model`, ranked as OME ranks them. A namespaced model only sees its
    own namespace's runtimes."""
    classes = {accelerator_class} if accelerator_class else set()
    scope = model["metadata"].get("namespace") or namespace
    return then(candidates(ctx, scope), lambda runtimes: selector.rank_runtimes(model, runtimes, classes))


def models_for(ctx: Context, runtime: dict):
    """Models this runtime is compatible with (a namespaced runtime: cluster models and its namespace's)."""
    namespace = runtime["metadata"].get("namespace")

    def pick(items):
        return [m for m in items if (not namespace or m["metadata"].get("namespace") in (None, namespace))
                and selector.match(runtime, m.get("spec") or {}).compatible]
    return then(lookup.list_scoped(ctx, lookup.MODEL_KINDS, None, None, None), pick)


def report(ctx: Context, model_ref: tuple, runtime_ref: tuple, accelerator_class: str | None):
    """(model, runtime, verdict) for two references; model or runtime None when it does not exist."""
    def judge(pair):
        model, runtime = pair
        if model is None or runtime is None:
            return model, runtime, None
        classes = {accelerator_class} if accelerator_class else set()
        return model, runtime, selector.match(runtime, model.get("spec") or {}, classes)
    return gather([lookup.get_ref(ctx, model_ref), lookup.get_ref(ctx, runtime_ref)], judge)
