"""RBAC as kube-apiserver evaluates it: request attributes, rule matching, and bindings indexed by subject.

The index and the per-user grants are rebuilt lazily after any change to a Role, ClusterRole, RoleBinding or
ClusterRoleBinding; decisions are cached until then, so a steady stream of requests costs a dict lookup each.
"""
from __future__ import annotations

import collections
import json
from dataclasses import dataclass
from typing import NamedTuple

from ..k8s.selectors import FieldSelector, SelectorError
from .resources import RBAC_GROUP
from .status import ApiError

MASTERS = "system:masters"
AUTHENTICATED, UNAUTHENTICATED = "system:authenticated", "system:unauthenticated"
SA_PREFIX = "system:serviceaccount:"
NAMESPACE_SUBRESOURCES = ("status", "finalize")
METHOD_VERBS = {"POST": "create", "GET": "get", "HEAD": "get", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}
DECISION_CACHE = 100_000


def truthy(value: str | None) -> bool:
    """How the dev cluster reads boolean query parameters such as `watch` (serving and authorizing alike)."""
    return (value or "").lower() in ("1", "true", "yes")


def quote(text: str) -> str:
    """Go's %q, near enough for names."""
    return json.dumps(text, ensure_ascii=False)


@dataclass(frozen=True)
class User:
    name: str
    uid: str = ""
    groups: tuple[str, ...] = ()
    extra: tuple[tuple[str, tuple[str, ...]], ...] = ()


class Attributes(NamedTuple):
    """What an authorizer sees of a request (kube's authorizer.Attributes)."""
    verb: str
    namespace: str = ""
    group: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""
    path: str = ""
    resource_request: bool = True


def request_attributes(method: str, path: str, query) -> Attributes:
    """kube's RequestInfoFactory: /api/v1/..., /apis/<group>/<version>/... are resource requests, the rest not."""
    parts = [p for p in path.split("/") if p]
    if len(parts) < 3 or parts[0] not in ("api", "apis") or (parts[0] == "apis" and len(parts) < 4):
        return Attributes(method.lower(), path=path, resource_request=False)
    group, rest = (parts[1], parts[3:]) if parts[0] == "apis" else ("", parts[2:])
    if rest[0] in ("watch", "proxy") and len(rest) > 1:
        verb, rest = rest[0], rest[1:]
    else:
        verb = METHOD_VERBS.get(method, "")
    namespace = ""
    if rest[0] == "namespaces" and len(rest) > 1:
        namespace = rest[1]
        if len(rest) > 2 and rest[2] not in NAMESPACE_SUBRESOURCES:
            rest = rest[2:]
    name = rest[1] if len(rest) > 1 else ""
    sub = rest[2] if len(rest) > 2 and verb != "proxy" else ""
    if not name and verb == "get":
        verb = "watch" if truthy(query.get("watch")) else "list"
        try:  # a list or watch of one name (fieldSelector=metadata.name=x) is authorized for that name
            terms = FieldSelector.parse(query.get("fieldSelector")).terms
            name = next((v for p, eq, v in terms if p == "metadata.name" and eq), "")
        except SelectorError:
            pass
        if name in (".", "..") or "/" in name or "%" in name:
            name = ""
    elif not name and verb == "delete":
        verb = "deletecollection"
    return Attributes(verb, namespace, group, rest[0], sub, name, path)


def forbidden(user: User, a: Attributes, reason: str = "") -> ApiError:
    """The 403 kube-apiserver answers for a denied request, word for word."""
    if a.resource_request:
        resource = f"{a.resource}/{a.subresource}" if a.subresource else a.resource
        scope = f"in the namespace {quote(a.namespace)}" if a.namespace else "at the cluster scope"
        why = (f"User {quote(user.name)} cannot {a.verb} resource {quote(resource)} in API group "
               f"{quote(a.group)} {scope}")
    else:
        why = f"User {quote(user.name)} cannot {a.verb} path {quote(a.path)}"
    why += f": {reason}" if reason else ""
    qualified = (f"{a.resource}.{a.group}" if a.group else a.resource) if a.resource_request else ""
    if not qualified:
        message = f"forbidden: {why}"
    else:
        message = f"{qualified} {quote(a.name)} is forbidden: {why}" if a.name else f"{qualified} is forbidden: {why}"
    details = {k: v for k, v in (("name", a.name), ("group", a.group), ("kind", a.resource if
                                                                         a.resource_request else "")) if v}
    return ApiError(403, message, details=details)


class Rule(NamedTuple):
    verbs: frozenset
    groups: frozenset
    resources: frozenset
    names: frozenset
    urls: tuple

    @classmethod
    def of(cls, rule: dict) -> Rule:
        get = lambda key: [str(v) for v in (rule.get(key) or ())]  # noqa: E731
        return cls(frozenset(get("verbs")), frozenset(get("apiGroups")), frozenset(get("resources")),
                   frozenset(get("resourceNames")), tuple(get("nonResourceURLs")))

    def allows(self, a: Attributes) -> bool:
        if "*" not in self.verbs and a.verb not in self.verbs:
            return False
        if not a.resource_request:
            return any(u == "*" or u == a.path or (u.endswith("*") and a.path.startswith(u.rstrip("*")))
                       for u in self.urls)
        if "*" not in self.groups and a.group not in self.groups:
            return False
        combined = f"{a.resource}/{a.subresource}" if a.subresource else a.resource
        if not ("*" in self.resources or combined in self.resources or
                (a.subresource and f"*/{a.subresource}" in self.resources)):
            return False
        return not self.names or a.name in self.names


def _subject_user(subject: dict, namespace: str) -> tuple[str, str] | None:
    """The (kind, name) key a subject matches users by: service accounts match their user name."""
    kind, name = subject.get("kind"), subject.get("name") or ""
    if kind == "ServiceAccount":
        ns = subject.get("namespace") or namespace
        return ("User", f"{SA_PREFIX}{ns}:{name}") if ns else None
    return (kind, name) if kind in ("User", "Group") else None


def _describe(subject: dict, namespace: str) -> str:
    if subject.get("kind") == "ServiceAccount":
        return f'ServiceAccount {quote(subject.get("name", "") + "/" + (subject.get("namespace") or namespace))}'
    return f'{subject.get("kind")} {quote(subject.get("name", ""))}'


class Authorizer:
    """Allows a request when a rule of a role bound to the user (or one of its groups) covers it."""

    def __init__(self, store, registry) -> None:
        self.store, self.registry = store, registry
        self._bindings: dict | None = None  # subject key -> [(namespace, binding)]
        self._grants: dict[tuple, tuple] = {}
        self._decisions: dict[tuple, tuple[bool, str]] = {}
        store.listeners.append(self._on_event)

    def _on_event(self, ev) -> None:
        if ev.rt.group == RBAC_GROUP:
            self._bindings = None
            self._grants.clear()
            self._decisions.clear()

    def _rt(self, plural: str):
        return self.registry.get(RBAC_GROUP, "v1", plural)

    def _index(self) -> dict:
        index = collections.defaultdict(list)
        for plural in ("clusterrolebindings", "rolebindings"):
            for binding in self.store.list(self._rt(plural)):
                ns = binding["metadata"].get("namespace", "")
                for key in {_subject_user(s, ns) for s in binding.get("subjects") or () if isinstance(s, dict)}:
                    if key:
                        index[key].append((ns, binding))
        return index

    def _rules(self, ref: dict, namespace: str) -> tuple[tuple[Rule, ...], str | None]:
        kind, name = ref.get("kind"), ref.get("name", "")
        if kind == "ClusterRole" or (kind == "Role" and namespace):
            role = self.store.get(self._rt("clusterroles" if kind == "ClusterRole" else "roles"),
                                  "" if kind == "ClusterRole" else namespace, name)
            if role is not None:
                return tuple(Rule.of(r) for r in role.get("rules") or () if isinstance(r, dict)), None
        return (), f'{(kind or "").lower()}.{RBAC_GROUP} {quote(name)} not found'

    def grants(self, user: User) -> tuple[list, dict]:
        """(cluster-wide grants, grants by namespace), each a list of (source, rules, error) in kube's order."""
        key = (user.name, user.groups)
        found = self._grants.get(key)
        if found is None:
            if self._bindings is None:
                self._bindings = self._index()
            keys = [("User", user.name)] + [("Group", g) for g in user.groups]
            matched = {(ns, b["metadata"]["name"]): (ns, b) for k in keys for ns, b in self._bindings.get(k, ())}
            cluster, by_ns = [], collections.defaultdict(list)
            for (ns, name), (_, binding) in sorted(matched.items()):
                subject = next(s for s in binding["subjects"] if isinstance(s, dict) and _subject_user(s, ns) in keys)
                ref = binding.get("roleRef") or {}
                kind = "RoleBinding" if ns else "ClusterRoleBinding"
                source = (f'{kind} {quote(name + "/" + ns if ns else name)} of {ref.get("kind")} '
                          f'{quote(ref.get("name", ""))} to {_describe(subject, ns)}')
                (by_ns[ns] if ns else cluster).append((source, *self._rules(ref, ns)))
            found = self._grants[key] = (cluster, dict(by_ns))
        return found

    def authorize(self, user: User, a: Attributes) -> tuple[bool, str]:
        """(allowed, reason) as the RBAC authorizer gives them; system:masters is allowed everything."""
        if MASTERS in user.groups:
            return True, ""
        key = (user.name, user.groups, a)
        decision = self._decisions.get(key)
        if decision is None:
            if len(self._decisions) >= DECISION_CACHE:
                self._decisions.clear()
            decision = self._decisions[key] = self._evaluate(user, a)
        return decision

    def _evaluate(self, user: User, a: Attributes) -> tuple[bool, str]:
        cluster, by_ns = self.grants(user)
        errors: list[str] = []
        for source, rules, error in cluster + (by_ns.get(a.namespace, []) if a.namespace else []):
            if error:
                errors.append(error)
            elif any(rule.allows(a) for rule in rules):
                return True, f"RBAC: allowed by {source}"
        errors = list(dict.fromkeys(errors))
        if not errors:
            return False, ""
        return False, "RBAC: " + (errors[0] if len(errors) == 1 else f"[{', '.join(errors)}]")
