"""Errors resolvers raise on purpose; each has a code clients can branch on."""
from __future__ import annotations


class GatewayError(Exception):
    """code: INVALID_INPUT, NOT_FOUND, ALREADY_EXISTS, CONFLICT, FORBIDDEN, UNAUTHENTICATED, UPSTREAM_UNAVAILABLE."""

    def __init__(self, code: str, message: str, fields: list[dict] | None = None, **details) -> None:
        super().__init__(message)
        self.code, self.message, self.fields, self.details = code, message, fields or [], details


def invalid_input(message: str, field: str | None = None) -> GatewayError:
    return GatewayError("INVALID_INPUT", message, [{"field": field, "message": message}] if field else None)
