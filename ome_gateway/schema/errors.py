"""One error design for the whole graph: every error carries extensions.code; nothing internal leaks."""
from __future__ import annotations

import logging

from graphql import GraphQLError
from strawberry.exceptions import MissingQueryError
from strawberry.relay.types import GlobalIDValueError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from ..k8s.errors import KubeError
from ..resolvers.errors import GatewayError

log = logging.getLogger("ome_gateway.errors")
INTERNAL = "INTERNAL_SERVER_ERROR"
# Strawberry's refusals of a request that names no runnable operation (answered with 400 over HTTP).
NOT_OPERATIONS = (MissingQueryError, CannotGetOperationTypeError, InvalidOperationTypeError)
# Failures graphql-core and Strawberry report about the request itself (variables that do not coerce, an unknown
# operation name, a missing query): their messages are written for clients.
REQUEST_ERRORS = (GraphQLError, *NOT_OPERATIONS)
# Everything coded() passes on to clients; anything else is unexpected, masked and logged with its traceback.
EXPECTED = (GatewayError, KubeError, GlobalIDValueError, *REQUEST_ERRORS)


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
    elif isinstance(original, GlobalIDValueError):
        extensions["code"] = "INVALID_INPUT"
        message = f"not a node id: {original}"
    elif isinstance(original, REQUEST_ERRORS):
        variable = error.path is None and error.message.startswith("Variable ")
        extensions.setdefault("code", "INVALID_INPUT" if variable else "GRAPHQL_VALIDATION_FAILED")
        message = error.message
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
        if original is None or isinstance(original, EXPECTED):
            log.info("graphql error: %s", error.message)
        else:
            log.error("unexpected error at %s", error.path, exc_info=original)
