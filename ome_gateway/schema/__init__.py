"""The GraphQL schema: types, the root Query, and the error design."""
from __future__ import annotations

from typing import Any

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.tools import merge_types

from ..config import Settings
from .errors import coded, log_errors
from .huggingface import HuggingFaceQuery
from .imports import ImportMutation, ImportQuery, ImportSubscription
from .limits import Limits
from .documents import is_subscription
from .metrics import OperationMetrics, subscriber
from .mutation import Mutation
from .query import Query
from .sharing import SharedStreams
from .subscriptions import Subscription
from .tracing import OperationTracing


class ErrorCodes(SchemaExtension):
    """Gives every error an extensions.code and masks unexpected ones (their details go to the log)."""

    def on_operation(self):
        yield
        self._code(self.execution_context.result)

    def on_stream_result(self, result):
        """Each message of a subscription gets the same treatment, and the event id to resume after it."""
        self._code(result)
        event_id = getattr(self.execution_context.context, "event_id", None)
        if result is not None and event_id:
            result.extensions = {**(result.extensions or {}), "eventId": event_id}
        yield

    @staticmethod
    def _code(result) -> None:
        if result is not None and getattr(result, "errors", None):
            result.errors = [coded(e) for e in result.errors]


class GatewaySchema(strawberry.Schema):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.shared = SharedStreams()

    def process_errors(self, errors, execution_context: Any = None) -> None:
        log_errors(errors)

    async def stream(self, query, variable_values=None, context_value=None, root_value=None, operation_name=None,
                     operation_extensions=None, allowed_operation_types=None):
        """Subscriptions join a shared stream (one execution per change for identical subscribers); each
        subscriber is counted while it streams."""
        def start():
            return super(GatewaySchema, self).stream(query, variable_values, context_value, root_value,
                                                     operation_name, operation_extensions, allowed_operation_types)
        max_tokens = getattr(getattr(context_value, "settings", None), "max_tokens", Settings.max_tokens)
        if query and not getattr(context_value, "resume", None):  # a resuming subscriber has its own history
            identity = getattr(context_value, "identity", None)
            member = await self.shared.stream(query, variable_values, operation_name, identity, max_tokens, start)
            if member is not None:
                return subscriber(member, context_value)
        source = await start()
        return subscriber(source, context_value) if is_subscription(query, operation_name, max_tokens) else source


schema = GatewaySchema(query=merge_types("Query", (Query, HuggingFaceQuery, ImportQuery)),
                       mutation=merge_types("Mutation", (Mutation, ImportMutation)),
                       subscription=merge_types("Subscription", (Subscription, ImportSubscription)),
                       extensions=[OperationTracing, OperationMetrics, ErrorCodes, Limits])
