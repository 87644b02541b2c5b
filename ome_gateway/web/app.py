"""The ASGI application: /graphql (POST, GET, GraphiQL, subscriptions), health probes, /metrics, CORS, request ids."""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager

import redis.asyncio as aioredis
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route, WebSocketRoute

from ..config import Settings
from ..workers import Jobs
from ..k8s.access import Reviewer
from ..k8s.cache import Cache
from ..k8s.client import KubeClient
from ..resolvers.context import CACHE_PLAN
from ..subscriptions.bus import Bus
from . import dashboard
from .auth import Authenticate, Authenticator
from .graphql import GatewayGraphQL
from .guards import BodyLimit, RateLimit, RateLimiter
from .health import healthz, readyz
from .logs import RequestIdMiddleware
from .metrics import metrics

log = logging.getLogger("ome_gateway")


def create_app(settings: Settings, client: KubeClient | None = None) -> Starlette:
    """Build the app; without a client, one is connected from the settings at startup."""
    graphql = GatewayGraphQL(settings)
    graphql.auth = authenticator = Authenticator(settings, None)
    limiter = RateLimiter(settings.rate_limit)

    def rate_key(scope) -> str:
        client = scope.get("client")
        return authenticator.rate_key(Headers(scope=scope), client[0] if client else None)

    @asynccontextmanager
    async def lifespan(app):
        own = client is None
        app.state.client = graphql.client = client or await KubeClient.connect(
            settings.kubeconfig, in_cluster=settings.in_cluster)
        if settings.auth != "none":
            authenticator.reviewer = Reviewer(graphql.client, settings.review_ttl)
        else:
            log.warning("AUTHENTICATION IS OFF (OME_GATEWAY_AUTH=none): every caller acts with the gateway's own "
                        "Kubernetes rights. Use bearer or proxy mode outside development.")
        app.state.cache = graphql.cache = Cache(graphql.client, CACHE_PLAN) if settings.cache else None
        if app.state.cache:
            await app.state.cache.start()  # /readyz reports when it has synced
        app.state.bus = graphql.bus = Bus(settings.redis_url)
        await app.state.bus.start()
        redis = aioredis.Redis.from_url(settings.redis_url, socket_connect_timeout=2) if settings.redis_url else None
        graphql.persisted.redis = limiter.redis = redis
        app.state.limiter = limiter
        app.state.jobs = graphql.jobs = Jobs(settings)
        graphql.jobs.start(settings.import_workers, graphql.client, app.state.cache, app.state.bus)
        try:
            yield
        finally:
            await graphql.jobs.stop()
            if redis is not None:
                await redis.aclose()
            await app.state.bus.stop()
            if app.state.cache:
                await app.state.cache.stop()
            if own:
                await app.state.client.close()

    middleware = [Middleware(RequestIdMiddleware)]
    if settings.cors_origins:  # outside the others: a preflight carries no token and needs no rate
        middleware.append(Middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                                     allow_methods=["GET", "POST", "OPTIONS"],
                                     allow_headers=["content-type", "authorization", "x-request-id"]))
    middleware += [Middleware(BodyLimit, max_bytes=settings.max_body_bytes),
                   Middleware(RateLimit, limiter=limiter, identity=rate_key),
                   Middleware(Authenticate, authenticator=authenticator)]
    routes = [Route("/healthz", healthz), Route("/readyz", readyz),
              Route("/graphql", graphql, methods=["GET", "POST", "OPTIONS"]), WebSocketRoute("/graphql", graphql),
              *dashboard.routes()]
    if settings.metrics:
        routes.append(Route("/metrics", metrics))
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
