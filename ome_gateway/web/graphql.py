"""Strawberry's ASGI view, with a per-request context, persisted queries and an execution timeout."""
from __future__ import annotations

import asyncio

from cross_web import HTTPException
from graphql import GraphQLError
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_SSE_PROTOCOL, GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.types import ExecutionResult

from ..config import Settings
from ..k8s.access import Access
from ..resolvers.context import Context
from ..resolvers.errors import GatewayError
from ..resolvers.feeds import parse_event_id
from ..schema import schema
from .auth import NOBODY, UNRESTRICTED, Caller
from . import logs
from .persisted import PersistedQueries, digest
from .streaming import ResumableSSE

APQ_ERROR = "_apq_error"


def _failure(code: str, message: str) -> ExecutionResult:
    return ExecutionResult(data=None, errors=[GraphQLError(message, extensions={"code": code})])


class GatewayGraphQL(GraphQL):
    stream_transport_classes_by_protocol = {**GraphQL.stream_transport_classes_by_protocol,
                                            GRAPHQL_SSE_PROTOCOL: ResumableSSE}

    def __init__(self, settings: Settings) -> None:
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=True, subscription_protocols=[
            GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL, GRAPHQL_SSE_PROTOCOL])
        self.settings = settings
        self.client = self.cache = self.bus = self.jobs = self.auth = None
        self.persisted = PersistedQueries(preload_dir=settings.persisted_dir)

    def _bind(self, ctx: Context, caller: Caller) -> Context:
        """Give a context the caller's identity: their rights for writes, their view of the cache for reads."""
        ctx.client = self.client.acting_as(caller.act_as)
        ctx.access = Access(caller.user, self.auth.reviewer) if caller.user else None
        ctx.identity = caller.identity
        ctx.refresh()
        return ctx

    async def get_context(self, request, response) -> Context:
        ctx = Context(client=self.client, settings=self.settings, cache=self.cache, bus=self.bus,
                      jobs=self.jobs, request=request, response=response)
        if not isinstance(request, WebSocket):
            try:
                ctx.resume = parse_event_id(request.headers.get("last-event-id"))
            except GatewayError as exc:
                raise HTTPException(400, exc.message) from None
        if self.auth.mode == "none":
            return self._bind(ctx, UNRESTRICTED)
        # HTTP callers were identified by the Authenticate middleware; a websocket is nobody until connection_init
        caller = None if isinstance(request, WebSocket) else getattr(request.state, "caller", None)
        return self._bind(ctx, caller or NOBODY)

    async def on_ws_connect(self, context: Context):
        """Identify a websocket from its upgrade headers or its connection_init payload ({"Authorization": ...})."""
        if self.auth.mode == "none":
            return await super().on_ws_connect(context)
        socket = context.request
        try:
            caller = await self.auth.caller(socket.headers, socket.client.host if socket.client else None,
                                            context.connection_params)
        except Unauthenticated as exc:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED", "message": str(exc)}) from None
        self._bind(context, caller)
        logs.user.set(caller.user.name if caller.user else "-")
        return await super().on_ws_connect(context)

    async def parse_http_body(self, request):
        data = await super().parse_http_body(request)
        if isinstance(data, list):
            raise HTTPException(400, "batched operations are not accepted")
        persisted = (data.extensions or {}).get("persistedQuery")
        if isinstance(persisted, dict):
            sha = persisted.get("sha256Hash")
            if not isinstance(sha, str) or len(sha) != 64:
                raise HTTPException(400, "persistedQuery.sha256Hash must be a SHA-256 hex digest")
            if data.query is None:
                data.query = await self.persisted.get(sha)
                if data.query is None:
                    data.extensions[APQ_ERROR] = ("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")
            elif digest(data.query) != sha:
                raise HTTPException(400, "provided sha256Hash does not match the query")
            elif self.settings.persisted_only and not self.persisted.known(sha):
                data.extensions[APQ_ERROR] = ("PERSISTED_QUERY_REQUIRED", "only the deployment's persisted queries "
                                                                        "are accepted")
            else:
                await self.persisted.put(sha, data.query)
        elif self.settings.persisted_only and data.query is not None and not self.persisted.known(digest(data.query)):
            data.extensions = {**(data.extensions or {}), APQ_ERROR: (
                "PERSISTED_QUERY_REQUIRED", "only the deployment's persisted queries are accepted")}
        return data

    async def execute_single(self, request, request_adapter, sub_response, context, root_value, request_data):
        failure = (request_data.extensions or {}).get(APQ_ERROR)
        if failure:
            return _failure(*failure)
        try:
            return await asyncio.wait_for(super().execute_single(request, request_adapter, sub_response, context,
                                                                 root_value, request_data),
                                          self.settings.execution_timeout)
        except asyncio.TimeoutError:
            return _failure("TIMEOUT", f"the operation took longer than {self.settings.execution_timeout:g}s")
