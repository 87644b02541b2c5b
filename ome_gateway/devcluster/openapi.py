"""A minimal OpenAPI v3 index: enough for kubectl to learn that writes accept server-side field validation."""
from __future__ import annotations

import hashlib

from .resources import Registry

QUERY_PARAMS = ("dryRun", "fieldManager", "fieldValidation", "force", "pretty")


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def root(registry: Registry) -> dict:
    paths = {}
    for group, versions in registry.groups().items():
        for version in versions:
            gv = _gv_path(group, version)
            digest = hashlib.sha256(repr(sorted(rt.plural for rt in registry.all() if rt.group == group)).encode())
            paths[gv] = {"serverRelativeURL": f"/openapi/v3/{gv}?hash={digest.hexdigest()[:32].upper()}"}
    return {"paths": paths}


def group_version(registry: Registry, gv: str) -> dict | None:
    """Paths for each resource of one group version, whose write operations list the query parameters."""
    served = [rt for rt in registry.all() if _gv_path(rt.group, rt.version) == gv]
    if not served:
        return None
    params = [{"name": p, "in": "query", "schema": {"type": "string"}, "uniqueItems": True} for p in QUERY_PARAMS]
    paths = {}
    for rt in served:
        gvk = {"group": rt.group, "version": rt.version, "kind": rt.kind}
        scope = "/namespaces/{namespace}" if rt.namespaced else ""
        op = {"x-kubernetes-group-version-kind": gvk, "parameters": params, "responses": {"200": {
            "description": "OK"}}}
        paths[f"/{gv}{scope}/{rt.plural}/{{name}}"] = {"patch": op, "put": op, "get": op, "delete": op}
        paths[f"/{gv}{scope}/{rt.plural}"] = {"post": op, "get": op}
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.32.0"}, "paths": paths,
            "components": {"schemas": {}}}
