"""Resource types the dev cluster serves: the built-in core kinds and whatever CRDs declare."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .policy import GROUP as RBAC_GROUP, RbacValidator

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
# Kinds without a spec, whose objects carry no metadata.generation.
NO_SPEC = frozenset(("ConfigMap", "Secret", "ServiceAccount", "Event", "Namespace", "Role", "ClusterRole",
                     "RoleBinding", "ClusterRoleBinding"))


@dataclass
class ResourceType:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    singular: str = ""
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    status_subresource: bool = False
    strategic: bool = False  # core kinds accept strategic merge patches
    validator: Any = None  # SchemaValidator for CRD-served kinds
    printer_columns: list[dict] = field(default_factory=list)
    crd_name: str | None = None  # set for CRD-served kinds
    subresources: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    review: bool = False  # create-only kinds answered, never stored (TokenReview, SubjectAccessReview, ...)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self) -> str:
        """Store key: one bucket per group and plural."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def qualified(self) -> str:
        """Name as kube-apiserver spells it in messages: `inferenceservices.ome.io`."""
        return self.key

    @property
    def has_spec(self) -> bool:
        return self.kind not in NO_SPEC


# Kinds `kubectl get all` lists.
IN_ALL = frozenset(("Pod", "Service", "Deployment", "HorizontalPodAutoscaler"))


def _core(plural, kind, namespaced, short=(), status=False, subresources=(), group="", version="v1", review=False):
    return ResourceType(group, version, plural, kind, namespaced, singular=kind.lower(),
                        validator=RbacValidator(kind) if group == RBAC_GROUP else None,
                        short_names=tuple(short), status_subresource=status, strategic=True,
                        categories=("all",) if kind in IN_ALL else (),
                        subresources=tuple(subresources) + (("status",) if status else ()),
                        verbs=("create",) if review else ALL_VERBS, review=review)


BUILTINS = [
    _core("namespaces", "Namespace", False, ("ns",), status=True),
    _core("nodes", "Node", False, ("no",), status=True),
    _core("pods", "Pod", True, ("po",), status=True, subresources=("log",)),
    _core("events", "Event", True, ("ev",)),
    _core("services", "Service", True, ("svc",), status=True),
    _core("configmaps", "ConfigMap", True, ("cm",)),
    _core("secrets", "Secret", True),
    _core("serviceaccounts", "ServiceAccount", True, ("sa",)),
    _core("deployments", "Deployment", True, ("deploy",), status=True, group="apps"),
    _core("customresourcedefinitions", "CustomResourceDefinition", False, ("crd", "crds"), status=True,
          group="apiextensions.k8s.io"),
    _core("horizontalpodautoscalers", "HorizontalPodAutoscaler", True, ("hpa",), status=True, group="autoscaling",
          version="v2"),
    _core("poddisruptionbudgets", "PodDisruptionBudget", True, ("pdb",), status=True, group="policy"),
    _core("networkpolicies", "NetworkPolicy", True, ("netpol",), group="networking.k8s.io"),
    _core("roles", "Role", True, group=RBAC_GROUP),
    _core("clusterroles", "ClusterRole", False, group=RBAC_GROUP),
    _core("rolebindings", "RoleBinding", True, group=RBAC_GROUP),
    _core("clusterrolebindings", "ClusterRoleBinding", False, group=RBAC_GROUP),
    _core("tokenreviews", "TokenReview", False, group="authentication.k8s.io", review=True),
    _core("selfsubjectreviews", "SelfSubjectReview", False, group="authentication.k8s.io", review=True),
    _core("subjectaccessreviews", "SubjectAccessReview", False, group="authorization.k8s.io", review=True),
    _core("selfsubjectaccessreviews", "SelfSubjectAccessReview", False, group="authorization.k8s.io", review=True),
    _core("localsubjectaccessreviews", "LocalSubjectAccessReview", True, group="authorization.k8s.io", review=True),
]


def from_crd(crd: dict, validator_factory) -> list[ResourceType]:
    """The resource types a CustomResourceDefinition serves (one per served version)."""
    spec = crd["spec"]
    names = spec["names"]
    out = []
    for ver in spec.get("versions", []):
        if not ver.get("served", True):
            continue
        schema = (ver.get("schema") or {}).get("openAPIV3Schema")
        status = "status" in (ver.get("subresources") or {})
        out.append(ResourceType(
            group=spec["group"], version=ver["name"], plural=names["plural"], kind=names["kind"],
            namespaced=spec.get("scope", "Namespaced") == "Namespaced",
            singular=names.get("singular", names["kind"].lower()),
            short_names=tuple(names.get("shortNames") or ()), categories=tuple(names.get("categories") or ()),
            status_subresource=status, validator=validator_factory(schema) if schema else None,
            printer_columns=list(ver.get("additionalPrinterColumns") or []), crd_name=crd["metadata"]["name"],
            subresources=("status",) if status else (),
        ))
    return out


class Registry:
    """Looks resource types up by (group, version, plural) and by kind."""

    def __init__(self) -> None:
        self._types: dict[tuple[str, str, str], ResourceType] = {}
        for rt in BUILTINS:
            self.add(rt)

    def add(self, rt: ResourceType) -> None:
        self._types[(rt.group, rt.version, rt.plural)] = rt

    def remove_crd(self, crd_name: str) -> None:
        for key, rt in list(self._types.items()):
            if rt.crd_name == crd_name:
                del self._types[key]

    def get(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._types.get((group, version, plural))

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        group, _, version = api_version.rpartition("/")
        for rt in self._types.values():
            if rt.group == group and rt.version == version and rt.kind == kind:
                return rt
        return None

    def all(self) -> list[ResourceType]:
        return list(self._types.values())

    def groups(self) -> dict[str, list[str]]:
        """Group name to its served versions, in registration order."""
        out: dict[str, list[str]] = {}
        for rt in self._types.values():
            versions = out.setdefault(rt.group, [])
            if rt.version not in versions:
                versions.append(rt.version)
        return out
