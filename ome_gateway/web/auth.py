"""Who is calling, by the configured mode, and whose rights the gateway then uses.

- none: nobody is identified; the gateway acts with its own rights (development only).
- bearer: the caller's token is checked with a TokenReview; writes are sent with that token, and reads from the
  shared cache are cut down by SubjectAccessReview answers for that user.
- proxy: an oauth2-proxy in front sets X-Forwarded-User / -Email / -Groups; they are believed only from trusted
  networks or with the shared secret, and the gateway acts by impersonating that user and groups."""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
from dataclasses import dataclass
from typing import Mapping

from starlette.datastructures import Headers
from starlette.responses import JSONResponse

from ..config import Settings
from ..k8s.access import Reviewer, User
from ..k8s.client import ActAs
from ..maybe import resolved
from . import logs

log = logging.getLogger("ome_gateway.auth")
ANONYMOUS = User("system:anonymous", ("system:unauthenticated",))
SECRET_HEADER = "x-gateway-proxy-secret"


class Unauthenticated(Exception):
    """The request carries no identity the gateway accepts; the message says what is missing."""


@dataclass(frozen=True)
class Caller:
    user: User | None  # None: auth mode none, every cached object is visible
    act_as: ActAs | None  # None: the gateway's own rights

    @property
    def identity(self) -> str | None:
        return self.user.key if self.user else None


UNRESTRICTED = Caller(None, None)
NOBODY = Caller(ANONYMOUS, ActAs(user=ANONYMOUS.name, groups=ANONYMOUS.groups))


def _bearer(value) -> str | None:
    if not isinstance(value, str):
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


class Authenticator:
    def __init__(self, settings: Settings, reviewer: Reviewer | None) -> None:
        self.mode, self.reviewer = settings.auth, reviewer
        self.secret = settings.proxy_secret
        self.networks = [ipaddress.ip_network(n) for n in settings.trusted_proxies]

    def _trusted(self, headers: Mapping, host: str | None) -> bool:
        offered = headers.get(SECRET_HEADER)
        if self.secret and offered is not None:
            return hmac.compare_digest(offered.encode(), self.secret.encode())
        try:
            address = ipaddress.ip_address(host or "")
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    async def caller(self, headers: Mapping, host: str | None, params: Mapping | None = None) -> Caller:
        """The caller of an HTTP request, or of a websocket from its upgrade headers and connection_init payload."""
        if self.mode == "none":
            return UNRESTRICTED
        if self.mode == "bearer":
            token = _bearer(headers.get("authorization"))
            if token is None and isinstance(params, Mapping):
                token = _bearer(params.get("Authorization") or params.get("authorization"))
            if token is None:
                raise Unauthenticated("a bearer token is required (Authorization: Bearer <token>)")
            user = await resolved(self.reviewer.user_of(token))
            if user is None:
                raise Unauthenticated("the bearer token is not valid")
            return Caller(user, ActAs(token=token))
        if not self._trusted(headers, host):
            log.warning("identity headers from untrusted source %s refused", host)
            raise Unauthenticated("requests must come through the authenticating proxy")
        name = headers.get("x-forwarded-user") or headers.get("x-forwarded-email")
        if not name:
            raise Unauthenticated("the proxy sent no X-Forwarded-User")
        groups = tuple(g.strip() for g in (headers.get("x-forwarded-groups") or "").split(",") if g.strip())
        # the API server adds system:authenticated to an impersonated user itself; reviews need it said
        return Caller(User(name, groups + ("system:authenticated",)), ActAs(user=name, groups=groups))

    def rate_key(self, headers: Mapping, host: str | None) -> str:
        """Whom a request counts against for rate limiting, without any upstream call."""
        if self.mode == "bearer":
            token = _bearer(headers.get("authorization"))
            if token:
                return "token:" + hashlib.sha256(token.encode()).hexdigest()[:24]
        elif self.mode == "proxy" and headers.get("x-forwarded-user") and self._trusted(headers, host):
            return "user:" + headers["x-forwarded-user"]
        return "ip:" + (host or "unknown")


class Authenticate:
    """ASGI middleware: identifies every /graphql HTTP request (the GraphiQL page itself excepted) and answers 401
    with a GraphQL error when it cannot; websockets are identified at connection_init instead."""

    def __init__(self, app, authenticator: Authenticator) -> None:
        self.app, self.authenticator = app, authenticator

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] != "/graphql" or self.authenticator.mode == "none":
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        if scope["method"] == "OPTIONS" or (scope["method"] == "GET" and "text/html" in headers.get("accept", "")):
            return await self.app(scope, receive, send)  # preflights, and the explorer page (its requests carry
            # the token)
        client = scope.get("client")
        try:
            caller = await self.authenticator.caller(headers, client[0] if client else None)
        except Unauthenticated as exc:
            body = {"data": None, "errors": [{"message": str(exc), "extensions": {"code": "UNAUTHENTICATED"}}]}
            challenge = {"WWW-Authenticate": "Bearer"} if self.authenticator.mode == "bearer" else None
            return await JSONResponse(body, 401, headers=challenge)(scope, receive, send)
        scope.setdefault("state", {})["caller"] = caller
        logs.user.set(caller.user.name if caller.user else "-")
        await self.app(scope, receive, send)
