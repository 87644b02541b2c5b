"""Every write the gateway makes goes through here: the cluster call, cache write-through, and the audit event."""
from __future__ import annotations

from ..k8s.kinds import Kind
from .context import Context


def _done(ctx: Context, action: str, kind: Kind, obj: dict, dry_run: bool, deleted: bool = False) -> dict:
    if not dry_run:
        if ctx.cache is not None:
            ctx.cache.record(kind, obj, deleted=deleted)
        ctx.audit(action, kind, obj)
    return obj


async def create(ctx: Context, kind: Kind, obj: dict, dry_run: bool = False) -> dict:
    namespace = obj["metadata"].get("namespace") if kind.namespaced else None
    return _done(ctx, "create", kind, await ctx.client.create(kind, obj, namespace, dry_run), dry_run)


async def replace(ctx: Context, kind: Kind, obj: dict, dry_run: bool = False) -> dict:
    """PUT: fails with CONFLICT when obj's metadata.resourceVersion is stale."""
    return _done(ctx, "update", kind, await ctx.client.replace(kind, obj, dry_run), dry_run)


async def patch(ctx: Context, kind: Kind, name: str, body, namespace: str | None = None, patch_type: str = "merge",
                dry_run: bool = False) -> dict:
    return _done(ctx, "patch", kind, await ctx.client.patch(kind, name, body, namespace, patch_type, dry_run), dry_run)


async def delete(ctx: Context, kind: Kind, name: str, namespace: str | None = None, dry_run: bool = False) -> dict:
    """Returns what the cluster answered: the deleted object (or, for some kinds, a Status)."""
    answer = await ctx.client.delete(kind, name, namespace, dry_run)
    gone = answer if answer.get("kind") == kind.name else {"metadata": {"name": name, "namespace": namespace}}
    return _done(ctx, "delete", kind, gone, dry_run, deleted=True)
