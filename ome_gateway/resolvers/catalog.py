"""Create, update, delete and clone models and runtimes, in either scope. The spec is checked by the API server
against the CRD, so its errors come back with field paths."""
from __future__ import annotations

import json

from ..k8s.errors import KubeError
from ..k8s.kinds import Kind
from . import lookup, validate, writes
from .context import Context
from .errors import GatewayError, invalid_input

MODELS, RUNTIMES = lookup.MODEL_KINDS, lookup.RUNTIME_KINDS
MAX_SPEC_BYTES = 256 * 1024


def kind_of(pair: tuple[Kind, Kind], namespace: str | None) -> Kind:
    """The namespaced kind of a pair when a namespace is given, else the cluster-wide one."""
    return pair[1] if namespace else pair[0]


def _spec(spec) -> dict:
    if not isinstance(spec, dict):
        raise invalid_input("spec must be a JSON object", "spec")
    if len(json.dumps(spec)) > MAX_SPEC_BYTES:
        raise invalid_input(f"spec must be at most {MAX_SPEC_BYTES // 1024} KiB", "spec")
    return spec


def _names(name: str, namespace: str | None, labels: dict | None) -> None:
    validate.subdomain(name, "name")
    validate.label(namespace, "namespace")
    validate.labels(labels or {}, "labels")


def manifest(kind: Kind, name: str, namespace: str | None, spec: dict, labels: dict | None) -> dict:
    meta = {"name": name, **({"namespace": namespace} if namespace else {}), **({"labels": labels} if labels else {})}
    return {"apiVersion": kind.api_version, "kind": kind.name, "metadata": meta, "spec": spec}


async def fresh(ctx: Context, kind: Kind, name: str, namespace: str | None) -> dict:
    """The object as the cluster holds it now (not the cache: updates build on it)."""
    try:
        return await ctx.client.get(kind, name, namespace)
    except KubeError as exc:
        if exc.code == "NOT_FOUND":
            where = f" in namespace {namespace}" if namespace else ""
            raise GatewayError("NOT_FOUND", f"{kind.name} {name}{where} not found",
                               [{"field": "name", "message": "not found"}]) from None
        raise


async def create(ctx: Context, pair, name: str, namespace: str | None, spec, labels: dict | None,
                 dry_run: bool) -> dict:
    _names(name, namespace, labels)
    kind = kind_of(pair, namespace)
    return await writes.create(ctx, kind, manifest(kind, name, namespace, _spec(spec), labels), dry_run)


async def update(ctx: Context, pair, name: str, namespace: str | None, spec, labels: dict | None,
                 resource_version: str | None, dry_run: bool) -> dict:
    """Replace the spec (and labels, when given); with resource_version, only if nobody changed it since."""
    _names(name, namespace, labels)
    spec = _spec(spec)
    kind = kind_of(pair, namespace)
    current = await fresh(ctx, kind, name, namespace)
    meta = dict(current["metadata"], resourceVersion=resource_version or current["metadata"]["resourceVersion"])
    if labels is not None:
        meta["labels"] = labels
    return await writes.replace(ctx, kind, {**current, "metadata": meta, "spec": spec}, dry_run)


async def delete(ctx: Context, pair, name: str, namespace: str | None, dry_run: bool) -> dict:
    _names(name, namespace, None)
    kind = kind_of(pair, namespace)
    await fresh(ctx, kind, name, namespace)
    return await writes.delete(ctx, kind, name, namespace, dry_run)


async def clone(ctx: Context, pair, name: str, namespace: str | None, new_name: str, new_namespace: str | None,
                dry_run: bool) -> dict:
    """A copy of a runtime or model under a new name, optionally in the other scope (or another namespace)."""
    _names(name, namespace, None)
    _names(new_name, new_namespace, None)
    source = await fresh(ctx, kind_of(pair, namespace), name, namespace)
    kind = kind_of(pair, new_namespace)
    labels = dict(source["metadata"].get("labels") or {})
    return await writes.create(ctx, kind, manifest(kind, new_name, new_namespace, source.get("spec") or {},
                                                   labels or None), dry_run)

