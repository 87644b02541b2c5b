"""Strawberry's ASGI view, with a per-request context, persisted queries and an execution timeout."""
from __future__ import annotations

import asyncio
import json

from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import ClientDisconnect
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_SSE_PROTOCOL, GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.types import ExecutionResult

from ..config import Settings
from ..k8s.access import Access
from ..resolvers.context import Context
from ..resolvers.errors import GatewayError
from ..resolvers.feeds import parse_event_id
from ..schema import schema
from ..schema.documents import is_subscription
from .auth import NOBODY, UNRESTRICTED, Caller, Unauthenticated
from . import logs
from .graphiql import saved_operations, with_examples
from .persisted import PersistedQueries, digest
from .streaming import ResumableSSE

APQ_ERROR = "_apq_error"


def _failure(code: str, message: str) -> ExecutionResult:
    return ExecutionResult(data=None, errors=[GraphQLError(message, extensions={"code": code})])


def _malformed(message) -> bool:
    """A websocket message strawberry's handlers would crash on (they index it blindly): not an object, no string
    type, an operation without a string id, or a subscription without a {query: string} payload."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return True
    if message["type"] in ("subscribe", "complete", "start", "stop") and not isinstance(message.get("id"), str):
        return True
    payload = message.get("payload")
    return message["type"] in ("subscribe", "start") and not (isinstance(payload, dict)
                                                              and isinstance(payload.get("query"), str))


class TransportWSHandler(BaseGraphQLTransportWSHandler):
    async def handle_message(self, message) -> None:
        if _malformed(message):
            return await self.handle_invalid_message("Failed to parse message")  # closes with 4400
        await super().handle_message(message)


class LegacyWSHandler(BaseGraphQLWSHandler):
    async def handle_message(self, message) -> None:
        if _malformed(message):
            return await self.websocket.close(code=4400, reason="Failed to parse message")
        await super().handle_message(message)


class GatewayGraphQL(GraphQL):
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler
    stream_transport_classes_by_protocol = {**GraphQL.stream_transport_classes_by_protocol,
                                            GRAPHQL_SSE_PROTOCOL: ResumableSSE}

    def __init__(self, settings: Settings) -> None:
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=True, subscription_protocols=[
            GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL, GRAPHQL_SSE_PROTOCOL])
        self.settings = settings
        self.client = self.cache = self.bus = self.jobs = self.auth = None
        self.persisted = PersistedQueries(preload_dir=settings.persisted_dir)
        self._ide_page = with_examples(super().graphql_ide_html, saved_operations())

    @property
    def graphql_ide_html(self) -> str:
        """GraphiQL with the example operations."""
        return self._ide_page

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

    def decode_json(self, data):
        """Any undecodable JSON is a JSONDecodeError (a 400, or close 4400 on a websocket): bytes that are not
        UTF-8 and nesting too deep for the parser too."""
        try:
            return json.loads(data)
        except (UnicodeDecodeError, RecursionError) as exc:
            raise json.JSONDecodeError(f"undecodable JSON ({type(exc).__name__})", "", 0) from None

    def parse_json(self, data):
        parsed = super().parse_json(data)
        if isinstance(data, bytes) and not isinstance(parsed, (dict, list)):  # a body (parameters come as str)
            raise HTTPException(400, "the request body must be a JSON object")
        return parsed

    async def parse_http_body(self, request):
        try:
            data = await super().parse_http_body(request)
        except ClientDisconnect:  # the client left in the middle of its body: nobody to answer
            raise HTTPException(400, "the request body was cut short") from None
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
        query = request_data.query  # strawberry would run a subscription here as a query, and fail inside
        if isinstance(query, str) and "subscription" in query and is_subscription(
                query, request_data.operation_name, self.settings.max_tokens):
            raise HTTPException(400, "subscriptions need a stream: graphql-transport-ws, graphql-ws or Server-Sent "
                                     "Events (Accept: text/event-stream)")
        try:
            return await asyncio.wait_for(super().execute_single(request, request_adapter, sub_response, context,
                                                                 root_value, request_data),
                                          self.settings.execution_timeout)
        except asyncio.TimeoutError:
            return _failure("TIMEOUT", f"the operation took longer than {self.settings.execution_timeout:g}s")
