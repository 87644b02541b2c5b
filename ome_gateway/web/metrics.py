"""/metrics: the process's Prometheus metrics, with the cache gauges read from this app's cache when scraped."""
from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import Response

from .. import metrics as gauges


async def metrics(request: Request) -> Response:
    cache = getattr(request.app.state, "cache", None)
    if cache is not None:
        gauges.observe_cache(cache.informers)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
