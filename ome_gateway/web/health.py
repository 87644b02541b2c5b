"""Liveness and readiness: /healthz answers while the process runs; /readyz while the cluster answers."""
from __future__ import annotations

import asyncio
import time

from starlette.requests import Request
from starlette.responses import JSONResponse

from ..k8s.errors import KubeError

CACHE_SECONDS = 1.0


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    state = request.app.state
    now = time.monotonic()
    cached = getattr(state, "ready_cache", None)
    if cached is None or now - cached[0] > CACHE_SECONDS:
        try:
            await asyncio.wait_for(state.client.version(), 2.0)
            cached = (now, True, None)
        except (KubeError, asyncio.TimeoutError) as exc:
            cached = (now, False, getattr(exc, "message", None) or "timed out")
        state.ready_cache = cached
    _, ok, reason = cached
    cache = getattr(state, "cache", None)
    if ok and cache is not None and not cache.synced:
        ok, reason = False, "the cache has not synced yet"
    body = {"status": "ready"} if ok else {"status": "unavailable", "reason": reason}
    bus = getattr(state, "bus", None)
    if bus is not None:
        body["bus"] = bus.mode  # informational: a Redis outage degrades live events, never readiness
    return JSONResponse(body, 200 if ok else 503)
