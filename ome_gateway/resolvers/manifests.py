"""Applying and validating multi-document YAML of OME objects: every document is checked by the API server (a dry
run) before any is written, so a bad document changes nothing."""
from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from ..k8s import kinds
from ..k8s.errors import KubeError
from . import validate, writes
from .context import Context
from .errors import GatewayError, invalid_input

MAX_DOCUMENTS = 100
MAX_DEPTH = 50
MAX_NODES = 100_000
OME_KINDS = {k.name: k for k in (kinds.INFERENCE_SERVICE, kinds.CLUSTER_BASE_MODEL, kinds.BASE_MODEL,
                                 kinds.CLUSTER_SERVING_RUNTIME, kinds.SERVING_RUNTIME, kinds.ACCELERATOR_CLASS)}


@dataclass
class Outcome:
    index: int
    kind: str | None = None
    name: str | None = None
    namespace: str | None = None
    action: str | None = None  # "create" or "update"
    applied: bool = False
    error: GatewayError | None = None
    object: dict | None = field(default=None, repr=False)


def _scan(text: str) -> None:
    """Refuse aliases (YAML bombs), deep nesting and floods of nodes before anything is built."""
    depth = nodes = documents = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                raise invalid_input("YAML aliases (*name) are not accepted in manifests", "yaml")
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise invalid_input(f"manifest nests deeper than {MAX_DEPTH} levels", "yaml")
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            elif isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > MAX_DOCUMENTS:
                    raise invalid_input(f"at most {MAX_DOCUMENTS} documents per manifest", "yaml")
            nodes += 1
            if nodes > MAX_NODES:
                raise invalid_input(f"manifest has more than {MAX_NODES} YAML nodes", "yaml")
    except yaml.YAMLError as exc:
        raise invalid_input(f"manifest is not valid YAML: {exc}", "yaml") from None


def parse(text: str) -> list:
    _scan(text)
    try:
        return [doc for doc in yaml.safe_load_all(text) if doc is not None]
    except yaml.YAMLError as exc:
        raise invalid_input(f"manifest is not valid YAML: {exc}", "yaml") from None
    except (ValueError, TypeError, AttributeError, OverflowError) as exc:  # a tagged value that does not construct
        raise invalid_input(f"manifest has a value YAML cannot read: {exc}", "yaml") from None


def _shape(index: int, doc) -> Outcome:
    """The document's identity, or an Outcome carrying why it is not an OME object the gateway can apply."""
    out = Outcome(index)
    if not isinstance(doc, dict):
        out.error = invalid_input(f"document {index} is not a mapping", f"documents[{index}]")
        return out
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    name, namespace = meta.get("name"), meta.get("namespace")
    out.kind, out.name, out.namespace = (str(doc.get("kind"))[:100] if doc.get("kind") else None,
                                         name if isinstance(name, str) else None,
                                         namespace if isinstance(namespace, str) else None)
    kind = OME_KINDS.get(doc["kind"]) if isinstance(doc.get("kind"), str) else None
    try:
        if namespace is not None and out.namespace is None:
            raise invalid_input(f"document {index}: metadata.namespace must be a string",
                                f"documents[{index}].metadata.namespace")
        if doc.get("apiVersion") != "ome.io/v1beta1" or kind is None:
            raise invalid_input(f"document {index}: only ome.io/v1beta1 kinds ({', '.join(OME_KINDS)}) can be "
                                f"applied, not {doc.get('apiVersion')}/{out.kind}", f"documents[{index}].kind")
        if out.name is None:
            raise invalid_input(f"document {index}: metadata.name is required and must be a string",
                                f"documents[{index}].metadata.name")
        validate.subdomain(out.name, f"documents[{index}].metadata.name")
        if kind.namespaced != isinstance(out.namespace, str):
            need = "needs metadata.namespace" if kind.namespaced else "is cluster-scoped: remove metadata.namespace"
            raise invalid_input(f"document {index}: {kind.name} {need}", f"documents[{index}].metadata.namespace")
        validate.label(out.namespace, f"documents[{index}].metadata.namespace")
    except GatewayError as exc:
        out.error = exc
    out.object = doc
    return out


async def _write(ctx: Context, out: Outcome, dry_run: bool) -> None:
    kind = OME_KINDS[out.kind]
    doc = {k: v for k, v in out.object.items() if k != "status"}
    try:
        try:
            current = await ctx.client.get(kind, out.name, out.namespace)
        except KubeError as exc:
            if exc.code != "NOT_FOUND":
                raise
            current = None
        if current is None:
            out.action = "create"
            out.object = await writes.create(ctx, kind, doc, dry_run)
        else:
            out.action = "update"
            meta = {**current["metadata"], **{k: v for k, v in doc["metadata"].items() if k in ("labels", "annotations")},
                    "resourceVersion": current["metadata"]["resourceVersion"]}
            out.object = await writes.replace(ctx, kind, {**current, **doc, "metadata": meta}, dry_run)
        out.applied = not dry_run
    except (KubeError, GatewayError) as exc:
        out.error = exc if isinstance(exc, GatewayError) else GatewayError(
            exc.code, exc.message, [{"field": c.get("field"), "message": c.get("message")} for c in exc.causes])


async def apply(ctx: Context, text: str, dry_run: bool) -> list[Outcome]:
    """Check every document with a server-side dry run; write them all only when every one passed."""
    if not text.strip():
        raise invalid_input("manifest is empty", "yaml")
    outcomes = [_shape(i, doc) for i, doc in enumerate(parse(text))]
    if not outcomes:
        raise invalid_input("manifest has no documents", "yaml")
    seen: set = set()
    for out in outcomes:
        key = (out.kind, out.namespace, out.name)
        if out.error is None and key in seen:
            out.error = invalid_input(f"document {out.index} repeats {out.kind} {out.name}",
                                      f"documents[{out.index}]")
        seen.add(key)
    for out in outcomes:
        if out.error is None:
            await _write(ctx, out, dry_run=True)
    if dry_run or any(out.error for out in outcomes):
        return outcomes
    for out in outcomes:
        await _write(ctx, out, dry_run=False)
    return outcomes

