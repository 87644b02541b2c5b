"""`Status` answers shaped exactly as kube-apiserver shapes them."""
from __future__ import annotations

from .resources import ResourceType

REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
           409: "Conflict", 410: "Expired", 415: "UnsupportedMediaType", 422: "Invalid",
           429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable"}


class ApiError(Exception):
    def __init__(self, code: int, message: str, reason: str | None = None, details: dict | None = None,
                 plain: bool = False):
        super().__init__(message)
        self.code, self.message = code, message
        self.reason = reason or REASONS.get(code, "Unknown")
        self.details = details
        self.plain = plain  # answered as text/plain, as kube's http.Error answers (not a Status)

    def body(self) -> dict:
        out = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": self.message, "reason": self.reason, "code": self.code}
        if self.details is not None:
            out["details"] = self.details
        return out


def _details(rt: ResourceType, name: str, **extra) -> dict:
    return {"name": name, **({"group": rt.group} if rt.group else {}), "kind": rt.plural, **extra}


def not_found(rt: ResourceType, name: str) -> ApiError:
    return ApiError(404, f'{rt.qualified} "{name}" not found', details=_details(rt, name))


def already_exists(rt: ResourceType, name: str) -> ApiError:
    return ApiError(409, f'{rt.qualified} "{name}" already exists', "AlreadyExists", _details(rt, name))


def conflict(rt: ResourceType, name: str) -> ApiError:
    return ApiError(409, f'Operation cannot be fulfilled on {rt.qualified} "{name}": the object has been modified; '
                         "please apply your changes to the latest version and try again", details=_details(rt, name))


def invalid(rt: ResourceType, name: str, causes: list[dict]) -> ApiError:
    listed = ", ".join(f"{c['field']}: {c['message']}" if c.get("field") else c["message"] for c in causes)
    kind = f"{rt.kind}.{rt.group}" if rt.group else rt.kind
    return ApiError(422, f'{kind} "{name}" is invalid: [{listed}]' if len(causes) > 1
                    else f'{kind} "{name}" is invalid: {listed}', details=_details(rt, name, causes=causes))


def success(rt: ResourceType, name: str, uid: str | None = None) -> dict:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
            "details": _details(rt, name, **({"uid": uid} if uid else {}))}
