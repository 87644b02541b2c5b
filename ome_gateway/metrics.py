"""The gateway's Prometheus metrics, in prometheus_client's default registry (with its process metrics).

Every layer may import this module; it knows nothing of GraphQL or of HTTP frameworks. Metric objects are
created once per process, so building several apps in one process registers nothing twice."""
from __future__ import annotations

import time
from typing import Awaitable

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

disable_created_metrics()  # no *_created series: half the exposition, nothing a dashboard reads

OPERATIONS = Counter("ome_gateway_graphql_operations", "GraphQL operations finished (a subscription when its "
                     "stream ends), by operation name, type and outcome: ok, the first error's code, or CANCELLED",
                     ["name", "type", "outcome"])
OPERATION_SECONDS = Histogram("ome_gateway_graphql_operation_duration_seconds",
                              "Time to execute a query or mutation", ["type"])
UPSTREAM_REQUESTS = Counter("ome_gateway_upstream_requests", "Requests sent to the Kubernetes API (each retry "
                            "counts), by verb, kind and status class (error: no response)", ["verb", "kind", "code"])
UPSTREAM_SECONDS = Histogram("ome_gateway_upstream_request_duration_seconds",
                             "Time until the Kubernetes API's response headers (a watch: until it opens)", ["verb"])
CACHE_OBJECTS = Gauge("ome_gateway_cache_objects", "Objects the informer cache holds, by kind", ["kind"])
CACHE_SYNCED = Gauge("ome_gateway_cache_synced", "1 once a kind's informer has listed, else 0", ["kind"])
WATCH_RESTARTS = Counter("ome_gateway_watch_restarts", "Informer watches started again, by kind and reason: "
                         "closed (the server ended the stream), error, or gone (410: a relist)", ["kind", "reason"])
SUBSCRIBERS = Gauge("ome_gateway_subscribers", "Open subscriptions, by transport", ["transport"])
IMPORT_JOBS = Counter("ome_gateway_import_jobs", "Import jobs this process moved to a state: queued, running, "
                      "completed, failed or cancelled", ["state"])
RATE_LIMITED = Counter("ome_gateway_rate_limit_rejections", "Requests refused with 429 by the rate limit")
LIMIT_REJECTIONS = Counter("ome_gateway_limit_rejections", "Operations refused by a query or body size limit, "
                           "by the error code", ["reason"])


async def upstream(call: str, response: Awaitable):
    """Await a Kubernetes API response for call ("list inferenceservices"), counting and timing it."""
    verb, _, kind = call.partition(" ")
    if not kind:
        verb, kind = "get", verb  # /version
    started, code = time.perf_counter(), "error"
    try:
        resp = await response
        code = f"{resp.status // 100}xx"
        return resp
    finally:
        UPSTREAM_REQUESTS.labels(verb, kind, code).inc()
        UPSTREAM_SECONDS.labels(verb).observe(time.perf_counter() - started)


def observe_cache(informers: dict) -> None:
    """Set the cache gauges from a cache's informers (Kind -> Informer), at scrape time."""
    for kind, informer in informers.items():
        CACHE_OBJECTS.labels(kind.plural).set(len(informer.objects))
        CACHE_SYNCED.labels(kind.plural).set(1 if informer.synced.is_set() else 0)
