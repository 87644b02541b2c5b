"""The GraphQL schema: types, the root Query, and the error design."""
from __future__ import annotations

from typing import Any

import strawberry
from strawberry.extensions import SchemaExtension

from .errors import coded, log_errors
from .query import Query


class ErrorCodes(SchemaExtension):
    """Gives every error an extensions.code and masks unexpected ones (their details go to the log)."""

    def on_operation(self):
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [coded(e) for e in result.errors]


class GatewaySchema(strawberry.Schema):
    def process_errors(self, errors, execution_context: Any = None) -> None:
        log_errors(errors)


schema = GatewaySchema(query=Query, extensions=[ErrorCodes])
