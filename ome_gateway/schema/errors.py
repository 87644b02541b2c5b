"""One error design for the whole graph: every error carries extensions.code; nothing internal leaks."""
from __future__ import annotations

import logging

from graphql import GraphQLError

from ..k8s.errors import KubeError
from ..resolvers.errors import GatewayError

log = logging.getLogger("ome_gateway.errors")
INTERNAL = "INTERNAL_SERVER_ERROR"


def coded(error: GraphQLError) -> GraphQLError:
    """The error a client sees: known failures keep their message and get a code; others are masked."""
    original = error.original_error
    extensions = dict(error.extensions or {})
    if original is None:
        extensions.setdefault("code", "GRAPHQL_VALIDATION_FAILED")
        message = error.message
    elif isinstance(original, GatewayError):
        extensions.update(code=original.code, **({"fields": original.fields} if original.fields else {}),
                          **original.details)
        message = original.message
    elif isinstance(original, KubeError):
        code = "UPSTREAM_UNAVAILABLE" if original.code == "GONE" else original.code
        extensions["code"] = code
        if original.causes:
            extensions["fields"] = [{"field": c.get("field"), "message": c.get("message")} for c in original.causes]
        message = original.message
    else:
        extensions["code"] = INTERNAL
        message = "Internal server error"
    return GraphQLError(message, nodes=error.nodes, source=error.source, positions=error.positions,
                        path=error.path, original_error=original, extensions=extensions)


def log_errors(errors: list[GraphQLError]) -> None:
    for error in errors:
        original = error.original_error
        if original is None or isinstance(original, (GatewayError, KubeError)):
            log.info("graphql error: %s", error.message)
        else:
            log.error("unexpected error at %s", error.path, exc_info=original)
