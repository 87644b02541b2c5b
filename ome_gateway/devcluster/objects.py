"""Write semantics of kube-apiserver: create, update, patch, delete, status, generation, finalizers, CRDs."""
from __future__ import annotations

import copy
import re
import secrets

from . import status as st
from .patch import PatchError, UnsupportedPatch, apply_patch
from .policy import RbacValidator, path_segment_problems
from .resources import Registry, ResourceType, from_crd
from .store import Store, now
from .validation import SchemaValidator

SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
CRD_PLURAL = "customresourcedefinitions"


def _body(obj: dict) -> dict:
    """Everything but metadata and status: what a generation counts changes of."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}


class Objects:
    def __init__(self, store: Store, registry: Registry) -> None:
        self.store, self.registry = store, registry

    # -- reads -------------------------------------------------------------------------------------------
    def get(self, rt: ResourceType, namespace: str, name: str) -> dict:
        obj = self.store.get(rt, namespace, name)
        if obj is None:
            raise st.not_found(rt, name)
        return obj

    def require_namespace(self, namespace: str) -> None:
        ns_rt = self.registry.get("", "v1", "namespaces")
        if self.store.get(ns_rt, "", namespace) is None:
            raise st.not_found(ns_rt, namespace)

    # -- writes ------------------------------------------------------------------------------------------
    def create(self, rt: ResourceType, namespace: str | None, body: dict, dry_run: bool = False) -> dict:
        meta = self.check_envelope(rt, namespace, body)
        if not meta.get("name"):
            if not meta.get("generateName"):
                raise st.ApiError(422, f"{rt.kind} is invalid: metadata.name: Required value: name or generateName "
                                       "is required", details={"kind": rt.plural, "causes": [
                                           {"reason": "FieldValueRequired", "message": "Required value: name or "
                                            "generateName is required", "field": "metadata.name"}]})
            meta["name"] = meta["generateName"] + secrets.token_hex(3)[:5]
        self._check_name(rt, meta["name"])
        if rt.namespaced:
            self.require_namespace(meta["namespace"])
        if self.store.get(rt, meta.get("namespace", ""), meta["name"]) is not None:
            raise st.already_exists(rt, meta["name"])
        for field in ("resourceVersion", "uid", "deletionTimestamp", "creationTimestamp"):
            meta.pop(field, None)
        if rt.status_subresource and rt.crd_name:
            body.pop("status", None)
        self._defaults_on_create(rt, body)
        if rt.has_spec:
            meta["generation"] = 1
        self._validate(rt, body)
        if dry_run:
            return body
        obj = self.store.put(rt, body)
        if rt.plural == CRD_PLURAL:
            self._serve_crd(obj)
        return obj

    def update(self, rt: ResourceType, namespace: str | None, name: str, body: dict, dry_run: bool = False,
               subresource: str | None = None) -> dict:
        meta = self.check_envelope(rt, namespace, body)
        if meta.get("name") != name:
            raise st.ApiError(400, "the name of the object "
                              f"({meta.get('name')}) does not match the name on the URL ({name})")
        old = self.get(rt, namespace or "", name)
        want_rv = meta.get("resourceVersion")
        if want_rv and want_rv != old["metadata"]["resourceVersion"]:
            raise st.conflict(rt, name)
        return self._commit(rt, old, body, dry_run, subresource)

    def patch(self, rt: ResourceType, namespace: str | None, name: str, content_type: str, raw: bytes,
              dry_run: bool = False, subresource: str | None = None) -> dict:
        old = self.get(rt, namespace or "", name)
        try:
            new = apply_patch(content_type, old, raw, strategic=rt.strategic)
        except UnsupportedPatch as exc:
            raise st.ApiError(415, str(exc)) from None
        except PatchError as exc:
            raise st.ApiError(422 if "test" in str(exc).lower() else 400, str(exc)) from None
        if not isinstance(new, dict) or not isinstance(new.get("metadata"), dict):
            raise st.ApiError(400, "the patch must leave an object with metadata")
        want_rv = new["metadata"].get("resourceVersion")
        if want_rv and want_rv != old["metadata"]["resourceVersion"]:
            raise st.conflict(rt, name)
        self.check_envelope(rt, namespace, new)
        return self._commit(rt, old, new, dry_run, subresource)

    def delete(self, rt: ResourceType, namespace: str | None, name: str, dry_run: bool = False,
               precondition_rv: str | None = None) -> dict:
        old = self.get(rt, namespace or "", name)
        if precondition_rv and precondition_rv != old["metadata"]["resourceVersion"]:
            raise st.conflict(rt, name)
        if dry_run:
            return old
        if old["metadata"].get("finalizers"):
            if old["metadata"].get("deletionTimestamp"):
                return old
            new = copy.deepcopy(old)
            new["metadata"]["deletionTimestamp"] = now()
            new["metadata"]["deletionGracePeriodSeconds"] = 0
            return self.store.put(rt, new)
        return self._remove(rt, old)

    # -- internals ---------------------------------------------------------------------------------------
    def _commit(self, rt, old, new, dry_run, subresource):
        meta, old_meta = new["metadata"], old["metadata"]
        for field in ("uid", "creationTimestamp", "namespace", "name", "generation", "deletionTimestamp",
                      "deletionGracePeriodSeconds"):
            if field in old_meta:
                meta[field] = old_meta[field]
            else:
                meta.pop(field, None)
        if subresource == "status":
            new = {**copy.deepcopy(old), "status": new.get("status")}
            if new["status"] is None:
                del new["status"]
            new["metadata"] = {**new["metadata"], "resourceVersion": old_meta["resourceVersion"]}
        elif rt.status_subresource:
            if "status" in old:
                new["status"] = copy.deepcopy(old["status"])
            else:
                new.pop("status", None)
        if rt.has_spec and subresource != "status" and _body(new) != _body(old):
            new["metadata"]["generation"] = old_meta.get("generation", 1) + 1
        self._validate(rt, new, old)
        if dry_run:
            return new
        if meta.get("deletionTimestamp") and not meta.get("finalizers"):
            return self._remove(rt, new)
        obj = self.store.put(rt, new)
        if rt.plural == CRD_PLURAL:
            self._serve_crd(obj)
        return obj

    def _remove(self, rt, obj):
        meta = obj["metadata"]
        removed = self.store.remove(rt, meta.get("namespace", ""), meta["name"])
        if rt.plural == CRD_PLURAL:
            for served in self.registry.all():
                if served.crd_name == meta["name"]:
                    self.store.drop_bucket(served)
            self.registry.remove_crd(meta["name"])
        if rt.kind == "Namespace":
            for other in self.registry.all():
                if other.namespaced:
                    for item in self.store.list(other, meta["name"]):
                        self.store.remove(other, meta["name"], item["metadata"]["name"])
        return removed

    def check_envelope(self, rt, namespace, body) -> dict:
        if not isinstance(body, dict):
            raise st.ApiError(400, "the body of the request was in an unknown format - accepted media types "
                                   "include: application/json, application/yaml")
        if body.get("kind") not in (None, rt.kind) or body.get("apiVersion") not in (None, rt.api_version):
            raise st.ApiError(400, f"the API version in the data ({body.get('apiVersion')}) does not match the "
                                   f"expected API version ({rt.api_version})" if body.get("kind") == rt.kind else
                              f"{body.get('kind')} in version \"{rt.version}\" cannot be handled as a {rt.kind}")
        body["kind"], body["apiVersion"] = rt.kind, rt.api_version
        meta = body.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise st.ApiError(400, "metadata must be an object")
        if rt.namespaced:
            if meta.get("namespace") and namespace and meta["namespace"] != namespace:
                raise st.ApiError(400, "the namespace of the provided object does not match the namespace sent "
                                       "on the request")
            meta["namespace"] = namespace or meta.get("namespace") or "default"
        else:
            meta.pop("namespace", None)
        for field in ("labels", "annotations"):
            value = meta.get(field)
            if value is not None and not (isinstance(value, dict) and
                                          all(isinstance(v, str) for v in value.values())):
                raise st.invalid(rt, str(meta.get("name")), [{"reason": "FieldValueTypeInvalid", "field":
                                 f"metadata.{field}", "message": "Invalid value: must be a map of strings"}])
        return meta

    def _check_name(self, rt, name):
        if isinstance(rt.validator, RbacValidator):  # RBAC names only need to be valid path segments
            problems = path_segment_problems(name) if isinstance(name, str) and name else ["Required value"]
            if problems:
                raise st.invalid(rt, str(name), [{"reason": "FieldValueInvalid", "field": "metadata.name",
                                                  "message": f'Invalid value: "{name}": {p}'} for p in problems])
            return
        pattern, limit = (LABEL, 63) if rt.kind == "Namespace" else (SUBDOMAIN, 253)
        if not isinstance(name, str) or len(name) > limit or not pattern.match(name):
            what = "RFC 1123 label" if pattern is LABEL else "RFC 1123 subdomain"
            raise st.invalid(rt, str(name), [{"reason": "FieldValueInvalid", "field": "metadata.name",
                                              "message": f'Invalid value: "{name}": a lowercase {what} must '
                                              "consist of lower case alphanumeric characters, '-' or '.', and "
                                              "must start and end with an alphanumeric character"}])

    def _defaults_on_create(self, rt, body):
        if rt.kind == "Namespace":
            body["status"] = {"phase": "Active"}
        elif rt.kind == "Pod":
            body["status"] = {"phase": "Pending", **(body.get("status") or {})} if not rt.status_subresource \
                else {"phase": "Pending"}
        elif rt.kind == "Secret":
            body["type"] = body.get("type") or "Opaque"

    def _validate(self, rt, obj, old=None):
        if rt.validator is not None:
            causes = rt.validator.apply(obj)
            if old is not None and hasattr(rt.validator, "apply_update"):
                causes += rt.validator.apply_update(old, obj)
            if causes:
                raise st.invalid(rt, obj["metadata"].get("name", ""), [
                    {"reason": c.reason, "message": c.message, "field": c.field} for c in causes])
        if rt.plural == CRD_PLURAL:
            self._check_crd(obj)

    def _check_crd(self, crd):
        spec = crd.get("spec") or {}
        names = spec.get("names") or {}
        problems = []
        if not spec.get("group") or not names.get("plural") or not names.get("kind"):
            problems.append(("spec", "Required value: group, names.plural and names.kind are required"))
        elif crd["metadata"]["name"] != f"{names['plural']}.{spec['group']}":
            problems.append(("metadata.name", f'Invalid value: "{crd["metadata"]["name"]}": must be spec.names.'
                                              "plural+\".\"+spec.group"))
        if not spec.get("versions"):
            problems.append(("spec.versions", "Required value: must have exactly one version marked as storage"))
        if problems:
            rt = self.registry.get("apiextensions.k8s.io", "v1", CRD_PLURAL)
            raise st.invalid(rt, crd["metadata"]["name"], [
                {"reason": "FieldValueInvalid", "field": f, "message": m} for f, m in problems])

    def _serve_crd(self, crd):
        self.registry.remove_crd(crd["metadata"]["name"])
        for rt in from_crd(crd, SchemaValidator):
            self.registry.add(rt)
        if not (crd.get("status") or {}).get("conditions"):
            crd_rt = self.registry.get("apiextensions.k8s.io", "v1", CRD_PLURAL)
            stamped = copy.deepcopy(crd)
            stamped["status"] = {"acceptedNames": crd["spec"]["names"], "storedVersions": [
                v["name"] for v in crd["spec"]["versions"] if v.get("storage")],
                "conditions": [{"type": t, "status": "True", "reason": r, "message": m, "lastTransitionTime": now()}
                               for t, r, m in (("NamesAccepted", "NoConflicts", "no conflicts found"),
                                               ("Established", "InitialNamesAccepted",
                                                "the initial names have been accepted"))]}
            self.store.put(crd_rt, stamped)
