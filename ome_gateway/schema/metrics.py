"""GraphQL metrics: an extension counting and timing operations, and the gauge of open subscriptions."""
from __future__ import annotations

import asyncio
import re
import time
from contextlib import aclosing
from typing import AsyncIterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL

from .. import metrics
from .errors import NOT_OPERATIONS, coded

NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
MAX_NAMES = 200  # distinct operation names kept as labels; later ones count as "other"
WS_PROTOCOLS = (GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL)
_names: set[str] = set()


def name_label(name) -> str:
    """An operation name as a label: a valid GraphQL name of up to 64 characters among the first MAX_NAMES seen,
    else "anonymous" (no or an invalid name) or "other"."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        return "anonymous"
    if name not in _names:
        if len(_names) >= MAX_NAMES:
            return "other"
        _names.add(name)
    return name


def operation_kind(context) -> str:
    """query, mutation or subscription; "unknown" when the document did not parse."""
    try:
        return context.operation_type.value
    except RuntimeError:
        return "unknown"


def _code(error: BaseException) -> str:
    """The extensions.code a client sees for this error."""
    if not isinstance(error, GraphQLError):
        error = GraphQLError(str(error), original_error=error)
    return coded(error).extensions["code"]


class OperationMetrics(SchemaExtension):
    """Counts operations by name, type and outcome when they finish; times queries and mutations."""

    def on_operation(self):
        started, self.outcome = time.perf_counter(), None
        try:
            yield
        except NOT_OPERATIONS:
            raise  # refused before it was an operation
        except (asyncio.CancelledError, GeneratorExit):  # a timeout, the client leaving, or a subscription's end
            self._record(started, cancelled=True)
            raise
        except Exception as exc:
            self.outcome = _code(exc)
            self._record(started)
            raise
        else:
            self._record(started)

    def on_stream_result(self, result):
        """A streamed operation's outcome is its first error's code."""
        if self.outcome is None and getattr(result, "errors", None):
            self.outcome = _code(result.errors[0])
        yield

    def _record(self, started: float, cancelled: bool = False) -> None:
        context = self.execution_context
        kind = operation_kind(context)
        outcome = self.outcome
        if outcome is None:
            errors = getattr(context.result, "errors", None)
            outcome = "CANCELLED" if cancelled and kind != "subscription" else _code(errors[0]) if errors else "ok"
        metrics.OPERATIONS.labels(name_label(context.operation_name), kind, outcome).inc()
        if kind in ("query", "mutation"):
            metrics.OPERATION_SECONDS.labels(kind).observe(time.perf_counter() - started)


def transport(request) -> str:
    """How a subscriber is connected: the websocket subprotocol it chose, else SSE (the only HTTP stream)."""
    scope = getattr(request, "scope", None) or {}
    if scope.get("type") == "websocket":
        return next((p for p in scope.get("subprotocols") or () if p in WS_PROTOCOLS), "websocket")
    return "sse"


async def subscriber(source: AsyncIterator, context) -> AsyncIterator:
    """A subscription's results, counted in the subscribers gauge while they stream."""
    gauge = metrics.SUBSCRIBERS.labels(transport(getattr(context, "request", None)))
    gauge.inc()
    try:
        async with aclosing(source):
            async for result in source:
                yield result
    finally:
        gauge.dec()
