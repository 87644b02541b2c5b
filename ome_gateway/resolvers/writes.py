"""Every write the gateway makes goes through here: the cluster call, cache write-through, and the audit event."""
from __future__ import annotations

from ..k8s.errors import KubeError
from ..k8s.kinds import Kind
from .context import Context
from .errors import GatewayError


def _done(ctx: Context, action: str, kind: Kind, obj: dict, dry_run: bool, deleted: bool = False) -> dict:
    if not dry_run:
        if ctx.cache is not None:
            ctx.cache.record(kind, obj, deleted=deleted)
        ctx.audit(action, kind, obj)
    return obj


async def create(ctx: Context, kind: Kind, obj: dict, dry_run: bool = False) -> dict:
    namespace = obj["metadata"].get("namespace") if kind.namespaced else None
    return _done(ctx, "create", kind, await ctx.client.create(kind, obj, namespace, dry_run), dry_run)


async def _conflict(ctx: Context, kind: Kind, name: str, namespace: str | None, exc: KubeError) -> GatewayError:
    """A CONFLICT that tells the client the version it should have sent."""
    try:
        current = (await ctx.client.get(kind, name, namespace))["metadata"].get("resourceVersion")
    except KubeError:
        current = None
    return GatewayError("CONFLICT", f"{kind.name} {name} was changed by someone else (now at resourceVersion "
                                    f"{current}); nothing was written: read it again and retry",
                        [{"field": "resourceVersion", "message": "stale"}], currentResourceVersion=current)


async def replace(ctx: Context, kind: Kind, obj: dict, dry_run: bool = False) -> dict:
    """PUT: fails with CONFLICT (and the current resourceVersion) when obj's resourceVersion is stale."""
    meta = obj["metadata"]
    try:
        answer = await ctx.client.replace(kind, obj, dry_run)
    except KubeError as exc:
        if exc.code != "CONFLICT":
            raise
        raise await _conflict(ctx, kind, meta["name"], meta.get("namespace"), exc) from None
    return _done(ctx, "update", kind, answer, dry_run)


async def patch(ctx: Context, kind: Kind, name: str, body, namespace: str | None = None, patch_type: str = "merge",
                dry_run: bool = False) -> dict:
    """PATCH: a resourceVersion in the patch's metadata makes it conditional (CONFLICT when stale)."""
    try:
        answer = await ctx.client.patch(kind, name, body, namespace, patch_type, dry_run)
    except KubeError as exc:
        if exc.code != "CONFLICT":
            raise
        raise await _conflict(ctx, kind, name, namespace, exc) from None
    return _done(ctx, "patch", kind, answer, dry_run)


async def delete(ctx: Context, kind: Kind, name: str, namespace: str | None = None, dry_run: bool = False) -> dict:
    """Returns what the cluster answered: the deleted object (or, for some kinds, a Status)."""
    answer = await ctx.client.delete(kind, name, namespace, dry_run)
    gone = answer if answer.get("kind") == kind.name else {"metadata": {"name": name, "namespace": namespace}}
    return _done(ctx, "delete", kind, gone, dry_run, deleted=True)
