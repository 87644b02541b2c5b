"""The GraphQL schema: types, the root Query, and the error design."""
from __future__ import annotations

from typing import Any

import strawberry
from strawberry.extensions import SchemaExtension

from .errors import coded, log_errors
from .query import Query
from .subscriptions import Subscription


class ErrorCodes(SchemaExtension):
    """Gives every error an extensions.code and masks unexpected ones (their details go to the log)."""

    def on_operation(self):
        yield
        self._code(self.execution_context.result)

    def on_stream_result(self, result):
        """Each message of a subscription gets the same treatment."""
        self._code(result)
        yield

    @staticmethod
    def _code(result) -> None:
        if result is not None and getattr(result, "errors", None):
            result.errors = [coded(e) for e in result.errors]


class GatewaySchema(strawberry.Schema):
    def process_errors(self, errors, execution_context: Any = None) -> None:
        log_errors(errors)


schema = GatewaySchema(query=Query, subscription=Subscription, extensions=[ErrorCodes])
