"""Authentication as kube-apiserver does it with --token-auth-file, impersonation, and the per-request access check."""
from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import unquote

from .kubeconfig import ADMIN_TOKEN
from .rbac import AUTHENTICATED, MASTERS, SA_PREFIX, UNAUTHENTICATED, Attributes, Authorizer, User, forbidden, \
    request_attributes
from .status import ApiError

ADMIN = User("admin", "devcluster-admin", (MASTERS, AUTHENTICATED))
ANONYMOUS = User("system:anonymous", "", (UNAUTHENTICATED,))


def read_token_file(path: Path) -> dict[str, User]:
    """token -> user from a `token,user,uid,"group1,group2"` CSV file (kube's --token-auth-file format)."""
    tokens: dict[str, User] = {}
    for record in csv.reader(io.StringIO(path.read_text(), newline=""), skipinitialspace=True):
        if not record:
            continue
        if len(record) < 3:
            raise ValueError(f"token file '{path}' must have at least 3 columns (token, user name, user uid), "
                             f"found {len(record)}")
        if record[0]:
            groups = tuple(g for g in record[3].split(",") if g) if len(record) > 3 else ()
            tokens[record[0]] = User(record[1], record[2], groups)
    return tokens


def with_authenticated(user: User) -> User:
    """kube's AuthenticatedGroupAdder: every authenticated user is in system:authenticated."""
    if AUTHENTICATED in user.groups or UNAUTHENTICATED in user.groups:
        return user
    return User(user.name, user.uid, user.groups + (AUTHENTICATED,), user.extra)


def bearer_token(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; None when there is no bearer token at all."""
    parts = (header or "").strip().split(" ", 2)
    if len(parts) < 2 or parts[0].lower() != "bearer" or not parts[1]:
        return None
    return parts[1]


def _go_ref(kind: str, name: str, namespace: str = "", api_version: str = "", field_path: str = "") -> str:
    """An ObjectReference as Go's %v prints it (kube quotes them in one error message)."""
    return "{" + " ".join((kind, namespace, name, "", api_version, "", field_path)) + "}"


class Access:
    """Who a request comes from (token, then impersonation) and whether RBAC lets it through."""

    def __init__(self, tokens: dict[str, User], authorizer: Authorizer) -> None:
        self.tokens = {t: with_authenticated(u) for t, u in tokens.items()}
        self.tokens[ADMIN_TOKEN] = ADMIN
        self.authorizer = authorizer

    def user_for_token(self, token: str) -> User | None:
        return self.tokens.get(token)

    def authenticate(self, header: str | None) -> User:
        token = bearer_token(header)
        if token is None:
            return ANONYMOUS
        user = self.tokens.get(token)
        if user is None:
            raise ApiError(401, "Unauthorized")
        return user

    def check(self, request) -> User:
        """The user a request acts as; raises 401, 403 (or kube's plain 500 for bad impersonation headers)."""
        user = self.authenticate(request.headers.get("authorization"))
        if any(k.startswith(b"impersonate-") for k, _ in request.headers.raw):
            user = self.impersonate(user, request)
        attrs = request_attributes(request.method, request.url.path, request.query_params)
        allowed, reason = self.authorizer.authorize(user, attrs)
        if not allowed:
            raise forbidden(user, attrs, reason)
        return user

    def impersonate(self, requester: User, request) -> User:
        """kube's WithImpersonation: each requested identity needs `impersonate` on users, groups,
        serviceaccounts, uids or userextras; the request then runs as that identity."""
        headers = request.headers
        wanted_user, uid = headers.get("impersonate-user", ""), headers.get("impersonate-uid", "")
        groups = [g for g in headers.getlist("impersonate-group")]
        extras = [(unquote(k.decode("latin-1")[len("impersonate-extra-"):]).lower(), v.decode("latin-1"))
                  for k, v in headers.raw if k.startswith(b"impersonate-extra-")]
        checks: list[tuple[Attributes, tuple[str, str]]] = []  # (attributes, (kind, apiVersion))
        auth_v1 = "authentication.k8s.io/v1"
        sa_namespace = None
        if wanted_user:
            ns, _, name = wanted_user[len(SA_PREFIX):].partition(":")
            if wanted_user.startswith(SA_PREFIX) and ns and name and ":" not in name:
                sa_namespace = ns
                checks.append((Attributes("impersonate", ns, "", "serviceaccounts", name=name), ("ServiceAccount", "")))
            else:
                checks.append((Attributes("impersonate", resource="users", name=wanted_user), ("User", "")))
        checks += [(Attributes("impersonate", resource="groups", name=g), ("Group", "")) for g in groups]
        checks += [(Attributes("impersonate", group="authentication.k8s.io", resource="userextras", subresource=k,
                               name=v), ("UserExtra", auth_v1)) for k, v in extras]
        if uid:
            checks.append((Attributes("impersonate", group="authentication.k8s.io", resource="uids", name=uid), ("UID", auth_v1)))
        if not wanted_user:
            listed = " ".join(_go_ref(kind, a.name, a.namespace, version, a.subresource)
                              for a, (kind, version) in checks)
            uri = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            text = f'Internal Server Error: "{uri}": requested [{listed}] without impersonating a user'
            raise ApiError(500, text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                           .replace('"', "&#34;").replace("'", "&#39;"), plain=True)
        for attrs, _ in checks:
            allowed, reason = self.authorizer.authorize(requester, attrs)
            if not allowed:
                raise forbidden(requester, attrs, reason)
        if sa_namespace is not None and not groups:
            groups = ["system:serviceaccounts", f"system:serviceaccounts:{sa_namespace}"]
        extra = {}
        for k, v in extras:
            extra.setdefault(k, []).append(v)
        user = User(wanted_user, uid, tuple(groups), tuple((k, tuple(v)) for k, v in extra.items()))
        if wanted_user == ANONYMOUS.name:
            return user if UNAUTHENTICATED in groups else User(user.name, uid, user.groups + (UNAUTHENTICATED,),
                                                               user.extra)
        return with_authenticated(user)
