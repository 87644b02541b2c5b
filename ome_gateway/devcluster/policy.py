"""RBAC objects: kube's bootstrap policy (created in every dev cluster) and validation of RBAC writes."""
from __future__ import annotations

from .validation import Cause

GROUP = "rbac.authorization.k8s.io"
DISCOVERY_URLS = ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz",
                  "/version", "/version/"]
PUBLIC_URLS = ["/healthz", "/livez", "/readyz", "/version", "/version/"]
EVERYONE = ("system:authenticated", "system:unauthenticated")


def _role(name: str, rules: list[dict]) -> dict:
    return {"apiVersion": f"{GROUP}/v1", "kind": "ClusterRole", "metadata": {
        "name": name, "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"},
        "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"}}, "rules": rules}


def _binding(name: str, groups: tuple[str, ...]) -> dict:
    return {"apiVersion": f"{GROUP}/v1", "kind": "ClusterRoleBinding", "metadata": {
        "name": name, "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"},
        "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"}},
        "roleRef": {"apiGroup": GROUP, "kind": "ClusterRole", "name": name},
        "subjects": [{"apiGroup": GROUP, "kind": "Group", "name": g} for g in groups]}


# What kube-apiserver creates at start-up, trimmed to what the dev cluster serves. Unlike kube, discovery
# (system:discovery) is open to anonymous users too, so that /api, /apis and /openapi need no rights at all.
BOOTSTRAP = [
    _role("cluster-admin", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
                            {"nonResourceURLs": ["*"], "verbs": ["*"]}]),
    _binding("cluster-admin", ("system:masters",)),
    _role("system:discovery", [{"nonResourceURLs": DISCOVERY_URLS, "verbs": ["get"]}]),
    _binding("system:discovery", EVERYONE),
    _role("system:public-info-viewer", [{"nonResourceURLs": PUBLIC_URLS, "verbs": ["get"]}]),
    _binding("system:public-info-viewer", EVERYONE),
    _role("system:basic-user", [
        {"apiGroups": ["authorization.k8s.io"], "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
         "verbs": ["create"]},
        {"apiGroups": ["authentication.k8s.io"], "resources": ["selfsubjectreviews"], "verbs": ["create"]}]),
    _binding("system:basic-user", ("system:authenticated",)),
]


def path_segment_problems(name: str) -> list[str]:
    """kube's path.IsValidPathSegmentName, which RBAC object names are held to."""
    if name in (".", ".."):
        return [f"may not be '{name}'"]
    return [f"may not contain '{c}'" for c in "/%" if c in name]


def _go_struct(type_name: str, **fields) -> str:
    return type_name + "{" + ", ".join(f'{k}:"{v}"' for k, v in fields.items()) + "}"


def _unsupported(field: str, value, supported: list[str]) -> Cause:
    listed = ", ".join(f'"{s}"' for s in supported)
    return Cause("FieldValueNotSupported", field, f'Unsupported value: "{value}": supported values: {listed}')


class RbacValidator:
    """Validation of Role, ClusterRole, RoleBinding and ClusterRoleBinding as kube's rbac validation does it."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def apply(self, obj: dict) -> list[Cause]:
        if self.kind.endswith("Binding"):
            return self._binding(obj)
        causes = []
        rules = obj.get("rules")
        if rules is not None and not isinstance(rules, list):
            return [Cause("FieldValueTypeInvalid", "rules", "Invalid value: must be a list of rules")]
        for i, rule in enumerate(rules or ()):
            path = f"rules[{i}]"
            if not isinstance(rule, dict):
                causes.append(Cause("FieldValueTypeInvalid", path, "Invalid value: must be an object"))
                continue
            if not rule.get("verbs"):
                causes.append(Cause("FieldValueRequired", f"{path}.verbs",
                                    "Required value: verbs must contain at least one value"))
            urls = rule.get("nonResourceURLs")
            if urls:
                shown = "[]string{" + ", ".join(f'"{u}"' for u in urls) + "}"
                if self.kind == "Role":
                    causes.append(Cause("FieldValueInvalid", f"{path}.nonResourceURLs", f"Invalid value: {shown}: "
                                        "namespaced rules cannot apply to non-resource URLs"))
                if rule.get("apiGroups") or rule.get("resources") or rule.get("resourceNames"):
                    causes.append(Cause("FieldValueInvalid", f"{path}.nonResourceURLs", f"Invalid value: {shown}: "
                                        "rules cannot apply to both regular resources and non-resource URLs"))
                continue
            if not rule.get("apiGroups"):
                causes.append(Cause("FieldValueRequired", f"{path}.apiGroups",
                                    "Required value: resource rules must supply at least one api group"))
            if not rule.get("resources"):
                causes.append(Cause("FieldValueRequired", f"{path}.resources",
                                    "Required value: resource rules must supply at least one resource"))
        return causes

    def _binding(self, obj: dict) -> list[Cause]:
        causes = []
        ref = obj.get("roleRef")
        if not isinstance(ref, dict):
            ref = obj["roleRef"] = {}
        if ref.get("apiGroup") != GROUP:
            causes.append(_unsupported("roleRef.apiGroup", ref.get("apiGroup", ""), [GROUP]))
        kinds = ["Role", "ClusterRole"] if self.kind == "RoleBinding" else ["ClusterRole"]
        if ref.get("kind") not in kinds:
            causes.append(_unsupported("roleRef.kind", ref.get("kind", ""), kinds))
        if not ref.get("name"):
            causes.append(Cause("FieldValueRequired", "roleRef.name", "Required value"))
        else:
            causes += [Cause("FieldValueInvalid", "roleRef.name", f'Invalid value: "{ref["name"]}": {p}')
                       for p in path_segment_problems(str(ref["name"]))]
        for i, subject in enumerate(obj.get("subjects") or ()):
            causes += self._subject(subject, f"subjects[{i}]") if isinstance(subject, dict) else [
                Cause("FieldValueTypeInvalid", f"subjects[{i}]", "Invalid value: must be an object")]
        return causes

    def _subject(self, s: dict, path: str) -> list[Cause]:
        causes = [] if s.get("name") else [Cause("FieldValueRequired", f"{path}.name", "Required value")]
        kind = s.get("kind")
        if kind == "ServiceAccount":
            if s.get("apiGroup"):
                causes.append(_unsupported(f"{path}.apiGroup", s["apiGroup"], [""]))
            if self.kind == "ClusterRoleBinding" and not s.get("namespace"):
                causes.append(Cause("FieldValueRequired", f"{path}.namespace", "Required value"))
        elif kind in ("User", "Group"):
            s.setdefault("apiGroup", GROUP)  # v1 defaulting
            if s["apiGroup"] != GROUP:
                causes.append(_unsupported(f"{path}.apiGroup", s["apiGroup"], [GROUP]))
        else:
            causes.append(_unsupported(f"{path}.kind", kind or "", ["ServiceAccount", "User", "Group"]))
        return causes

    def apply_update(self, old: dict, new: dict) -> list[Cause]:
        """roleRef is immutable."""
        if not self.kind.endswith("Binding") or old.get("roleRef") == new.get("roleRef"):
            return []
        ref = new.get("roleRef") or {}
        shown = _go_struct("rbac.RoleRef", APIGroup=ref.get("apiGroup", ""), Kind=ref.get("kind", ""),
                           Name=ref.get("name", ""))
        return [Cause("FieldValueInvalid", "roleRef", f"Invalid value: {shown}: cannot change roleRef")]


def bootstrap(cluster) -> None:
    """Create the bootstrap policy, as kube-apiserver does on every start."""
    import copy

    for doc in BOOTSTRAP:
        rt = cluster.registry.by_kind(doc["apiVersion"], doc["kind"])
        cluster.objects.create(rt, None, copy.deepcopy(doc))
