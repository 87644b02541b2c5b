"""Who a caller is and what the cluster lets them see: TokenReview and SubjectAccessReview answers, cached
briefly per user, applied to reads from the shared cache (which the gateway fills with its own rights)."""
from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass
from typing import Any

from ..maybe import gather, then
from .client import KubeClient
from .errors import KubeError
from .kinds import Kind

TOKEN_REVIEWS = "/apis/authentication.k8s.io/v1/tokenreviews"
ACCESS_REVIEWS = "/apis/authorization.k8s.io/v1/subjectaccessreviews"


@dataclass(frozen=True)
class User:
    name: str
    groups: tuple[str, ...] = ()
    uid: str = ""

    @property
    def key(self) -> str:
        return self.name + "\0" + ",".join(sorted(self.groups))


class _Answers:
    """A small time-to-live memo of async answers; concurrent askers of one key share one request."""

    def __init__(self, ttl: float, limit: int = 10_000) -> None:
        self.ttl, self.limit = ttl, limit
        self._done: dict[Any, tuple[float, Any]] = {}
        self._pending: dict[Any, asyncio.Future] = {}

    def get(self, key, fetch):
        """The answer now when known and fresh, else an awaitable of it."""
        hit = self._done.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = asyncio.ensure_future(self._fetch(key, fetch))
        return asyncio.shield(pending)

    async def _fetch(self, key, fetch):
        try:
            answer = await fetch()
            if len(self._done) >= self.limit:
                self._done.clear()
            self._done[key] = (time.monotonic() + self.ttl, answer)
            return answer
        finally:
            self._pending.pop(key, None)


class Reviewer:
    """Asks the API server, with the gateway's own credentials, who a token belongs to and what a user may do."""

    def __init__(self, client: KubeClient, ttl: float = 10.0) -> None:
        self.client = client
        self._tokens = _Answers(ttl=60.0)
        self._decisions = _Answers(ttl=ttl)

    def user_of(self, token: str):
        """The User a bearer token authenticates as, or None (an awaitable unless cached)."""
        async def review():
            body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": token}}
            status = (await self.client.request("POST", TOKEN_REVIEWS, body=body, verb="create tokenreviews"))\
                .get("status") or {}
            if not status.get("authenticated"):
                return None
            user = status.get("user") or {}
            return User(user.get("username", ""), tuple(user.get("groups") or ()), user.get("uid", ""))
        return self._tokens.get(hashlib.sha256(token.encode()).hexdigest(), review)

    def allows(self, user: User, verb: str, kind: Kind, namespace: str | None):
        """Whether `user` may `verb` objects of `kind` (in `namespace`, or cluster-wide): a bool, or an awaitable."""
        async def review():
            attributes = {"verb": verb, "group": kind.group, "resource": kind.plural,
                          **({"namespace": namespace} if namespace else {})}
            body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
                    "spec": {"user": user.name, "groups": list(user.groups), "uid": user.uid,
                             "resourceAttributes": attributes}}
            answer = await self.client.request("POST", ACCESS_REVIEWS, body=body, verb="create subjectaccessreviews")
            return bool((answer.get("status") or {}).get("allowed"))
        return self._decisions.get((user.key, verb, kind.group, kind.plural, namespace or ""), review)


def forbidden(user: User, verb: str, kind: Kind, namespace: str | None) -> KubeError:
    where = f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
    return KubeError("FORBIDDEN", f'User "{user.name}" cannot {verb} resource "{kind.plural}" in API group '
                                  f'"{kind.group}"{where}', 403)


class Access:
    """One caller's view of the shared cache: lists keep only what they may list, gets fail as the API would."""

    def __init__(self, user: User, reviewer: Reviewer) -> None:
        self.user, self.reviewer = user, reviewer

    def may(self, verb: str, kind: Kind, namespace: str | None):
        return self.reviewer.allows(self.user, verb, kind, namespace if kind.namespaced else None)

    def check(self, verb: str, kind: Kind, namespace: str | None):
        """None when allowed (now or later), else raises FORBIDDEN."""
        def decide(allowed: bool) -> None:
            if not allowed:
                raise forbidden(self.user, verb, kind, namespace if kind.namespaced else None)
        return then(self.may(verb, kind, namespace), decide)

    def visible(self, kind: Kind, items: list[dict], verb: str = "list"):
        """The items this caller may see: all when allowed cluster-wide, else those of namespaces it may list."""
        def by_namespace(everywhere: bool):
            if everywhere or not kind.namespaced:
                return items if everywhere else []
            namespaces = sorted({o["metadata"].get("namespace") or "" for o in items})

            def keep(allowed: list[bool]) -> list[dict]:
                readable = {ns for ns, ok in zip(namespaces, allowed) if ok}
                return [o for o in items if (o["metadata"].get("namespace") or "") in readable]
            return gather([self.may(verb, kind, ns) for ns in namespaces], keep)
        return then(self.may(verb, kind, None), by_namespace)
