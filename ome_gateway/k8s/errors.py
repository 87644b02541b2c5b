"""Upstream failures as typed errors with a stable code, independent of GraphQL."""
from __future__ import annotations

import json


class KubeError(Exception):
    """code is one of NOT_FOUND, ALREADY_EXISTS, CONFLICT, FORBIDDEN, UNAUTHENTICATED, INVALID_INPUT, GONE,
    UPSTREAM_UNAVAILABLE."""

    def __init__(self, code: str, message: str, status: int = 0, causes: list[dict] | None = None):
        super().__init__(message)
        self.code, self.message, self.status, self.causes = code, message, status, causes or []


def from_response(status: int, body: bytes | str) -> KubeError:
    """Map an apiserver error answer (usually a `Status` object) to a KubeError."""
    try:
        doc = json.loads(body)
    except (ValueError, TypeError):
        doc = {}
    doc = doc if isinstance(doc, dict) else {}
    message = doc.get("message") or f"upstream answered HTTP {status}"
    reason = doc.get("reason")
    causes = (doc.get("details") or {}).get("causes") or []
    if status == 404:
        code = "NOT_FOUND"
    elif status == 409:
        code = "ALREADY_EXISTS" if reason == "AlreadyExists" else "CONFLICT"
    elif status == 403:
        code = "FORBIDDEN"
    elif status == 401:
        code = "UNAUTHENTICATED"
    elif status in (400, 415, 422):
        code = "INVALID_INPUT"
    elif status == 410:
        code = "GONE"
    else:
        code = "UPSTREAM_UNAVAILABLE"
    return KubeError(code, message, status, causes)


def unavailable(reason: str) -> KubeError:
    return KubeError("UPSTREAM_UNAVAILABLE", f"the Kubernetes API is unavailable: {reason}")
