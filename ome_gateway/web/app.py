"""The ASGI application: /graphql (POST, GET, GraphiQL, subscriptions), health probes, CORS, request ids."""
from __future__ import annotations

from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_SSE_PROTOCOL, GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL

from ..config import Settings
from ..k8s.cache import Cache
from ..k8s.client import KubeClient
from ..resolvers.context import CACHE_PLAN, Context
from ..schema import schema
from ..subscriptions.bus import Bus
from .health import healthz, readyz
from .logs import RequestIdMiddleware


class GatewayGraphQL(GraphQL):
    """Strawberry's ASGI app with a fresh Context (and so fresh loaders) per request."""

    def __init__(self, settings: Settings, **kwargs) -> None:
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=True, subscription_protocols=[
            GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL, GRAPHQL_SSE_PROTOCOL], **kwargs)
        self.settings = settings
        self.client: KubeClient | None = None
        self.cache: Cache | None = None
        self.bus: Bus | None = None

    async def get_context(self, request, response) -> Context:
        return Context(client=self.client, settings=self.settings, cache=self.cache, bus=self.bus,
                       request=request, response=response)


def create_app(settings: Settings, client: KubeClient | None = None) -> Starlette:
    """Build the app; without a client, one is connected from the settings at startup."""
    graphql = GatewayGraphQL(settings)

    @asynccontextmanager
    async def lifespan(app):
        own = client is None
        app.state.client = graphql.client = client or await KubeClient.connect(
            settings.kubeconfig, in_cluster=settings.in_cluster)
        app.state.cache = graphql.cache = Cache(graphql.client, CACHE_PLAN) if settings.cache else None
        if app.state.cache:
            await app.state.cache.start()  # /readyz reports when it has synced
        app.state.bus = graphql.bus = Bus(settings.redis_url)
        await app.state.bus.start()
        try:
            yield
        finally:
            await app.state.bus.stop()
            if app.state.cache:
                await app.state.cache.stop()
            if own:
                await app.state.client.close()

    middleware = [Middleware(RequestIdMiddleware)]
    if settings.cors_origins:
        middleware.append(Middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                                     allow_methods=["GET", "POST", "OPTIONS"],
                                     allow_headers=["content-type", "authorization", "x-request-id"]))
    routes = [Route("/healthz", healthz), Route("/readyz", readyz),
              Route("/graphql", graphql, methods=["GET", "POST", "OPTIONS"]), WebSocketRoute("/graphql", graphql)]
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
