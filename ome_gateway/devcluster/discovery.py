"""Discovery documents: /version, /api, /apis and each group version's resource list."""
from __future__ import annotations

from .resources import Registry

VERSION = {"major": "1", "minor": "32", "gitVersion": "v1.32.0-ome-devcluster", "gitCommit": "devcluster",
           "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23",
           "compiler": "gc", "platform": "linux/amd64"}


def api_versions() -> dict:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}


def api_groups(registry: Registry) -> dict:
    groups = []
    for name, versions in registry.groups().items():
        if not name:
            continue
        gvs = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
        groups.append({"name": name, "versions": gvs, "preferredVersion": gvs[0]})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(registry: Registry, group: str) -> dict | None:
    for g in api_groups(registry)["groups"]:
        if g["name"] == group:
            return {"kind": "APIGroup", "apiVersion": "v1", **g}
    return None


def resource_list(registry: Registry, group: str, version: str) -> dict | None:
    served = [rt for rt in registry.all() if rt.group == group and rt.version == version]
    if not served:
        return None
    resources = []
    for rt in served:
        entry = {"name": rt.plural, "singularName": rt.singular, "namespaced": rt.namespaced, "kind": rt.kind,
                 "verbs": list(rt.verbs)}
        if rt.short_names:
            entry["shortNames"] = list(rt.short_names)
        if rt.categories:
            entry["categories"] = list(rt.categories)
        resources.append(entry)
        for sub in rt.subresources:
            verbs = ["get"] if sub == "log" else ["get", "patch", "update"]
            resources.append({"name": f"{rt.plural}/{sub}", "singularName": "", "namespaced": rt.namespaced,
                              "kind": rt.kind if sub == "status" else "Pod", "verbs": verbs})
    gv = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}
