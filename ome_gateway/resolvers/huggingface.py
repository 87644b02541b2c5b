"""Hugging Face Hub reads for the graph: search, detection (through the metadata cache), and the runtimes that
could serve a detected model."""
from __future__ import annotations

import contextlib

from ..hf import detect as hub
from ..jobs.request import ImportRequest, InvalidRequest, target_name
from ..ome.selector import rank_runtimes
from . import lookup
from .context import Context
from .errors import GatewayError, invalid_input
from ..maybe import resolved


@contextlib.contextmanager
def _hub_errors():
    try:
        yield
    except hub.HubError as exc:
        raise GatewayError(exc.code, exc.message, **({"hint": exc.hint} if exc.hint else {})) from None


def _short(value: str | None, field: str, limit: int = 200) -> str | None:
    if value is not None and (len(value) > limit or not value.strip()):
        raise invalid_input(f"{field} must be 1 to {limit} characters", field)
    return value


async def search(ctx: Context, query: str | None, author: str | None, task: str | None, library: str | None,
                 sort: str, limit: int) -> list[dict]:
    if not 1 <= limit <= 100:
        raise invalid_input("limit must be between 1 and 100", "limit")
    with _hub_errors():
        return await ctx.jobs.hub.search(query=_short(query, "search"), author=_short(author, "author"),
                                         task=_short(task, "task"), library=_short(library, "library"),
                                         sort=sort, limit=limit)


async def detect(ctx: Context, repo_id: str, revision: str | None) -> tuple[hub.Detection, bool]:
    """The detection and whether it came from the cache."""
    try:
        ImportRequest.checked(repo_id, revision=revision)
    except InvalidRequest as exc:
        raise invalid_input(exc.message, "id" if exc.field == "repoId" else exc.field) from None
    with _hub_errors():
        return await ctx.jobs.hub.detect(repo_id, revision)


def spec_of(found: hub.Detection) -> dict:
    return hub.model_spec(found)


async def runtime_matches(ctx: Context, repo_id: str, spec: dict) -> list:
    """Every runtime ranked for the model an import of `repo_id` would create with `spec` (selector.RuntimeMatch
    items)."""
    runtimes = await resolved(lookup.list_scoped(ctx, lookup.RUNTIME_KINDS, None, None, None))
    return rank_runtimes({"metadata": {"name": target_name(repo_id)}, "spec": spec}, runtimes)
