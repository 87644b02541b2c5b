"""A span for each GraphQL operation (see ome_gateway/tracing.py), named like "query Dashboard", with the
operation's type, name and error codes; the Kubernetes requests it makes are its children."""
from __future__ import annotations

from strawberry.extensions import SchemaExtension

from .. import tracing
from .metrics import operation_kind


class OperationTracing(SchemaExtension):
    def on_operation(self):
        request = getattr(self.execution_context.context, "request", None)
        headers = getattr(request, "headers", None)
        with tracing.span("graphql", dict(headers) if headers is not None else None, server=True) as span:
            yield
            if span is not None:
                self._describe(span)

    def _describe(self, span) -> None:
        context = self.execution_context
        kind, name = operation_kind(context), context.operation_name or "anonymous"
        span.update_name(f"{kind} {name}")
        span.set_attribute("graphql.operation.type", kind)
        span.set_attribute("graphql.operation.name", name)
        errors = getattr(context.result, "errors", None) or []
        codes = sorted({(e.extensions or {}).get("code", "INTERNAL_SERVER_ERROR") for e in errors})
        if codes:
            span.set_attribute("graphql.error.codes", codes)
