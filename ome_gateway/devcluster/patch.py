"""PATCH bodies: JSON patch (RFC 6902), JSON merge patch (RFC 7386) and strategic merge patch."""
from __future__ import annotations

import copy
import json
from typing import Any, Callable

import jsonpatch
import jsonpointer


class PatchError(ValueError):
    """Raised for a malformed patch or one that cannot apply; str(e) is a message for a 422/400 Status."""


class UnsupportedPatch(PatchError):
    """A patch type this resource does not accept (the server answers 415)."""


# Merge keys of strategic merge patch, by list field name. Several candidates: the first one that
# every patch element carries (container ports merge by containerPort, service ports by port).
MERGE_KEYS: dict[str, tuple[str, ...]] = {
    "containers": ("name",), "initContainers": ("name",), "ephemeralContainers": ("name",),
    "volumes": ("name",), "env": ("name",), "imagePullSecrets": ("name",),
    "ports": ("containerPort", "port"), "volumeMounts": ("mountPath",), "conditions": ("type",),
}
_SET_ORDER = "$setElementOrder/"
_DELETE_PRIMITIVE = "$deleteFromPrimitiveList/"


def _json_patch(target: dict, ops: Any) -> Any:
    if not isinstance(ops, list):
        raise PatchError("a JSON patch must be a JSON array of operations")
    try:
        return jsonpatch.apply_patch(target, ops, in_place=True)
    except jsonpatch.JsonPatchTestFailed as exc:
        raise PatchError(f"test operation failed: {exc}") from None
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
        raise PatchError(f"the JSON patch could not be applied: {exc}") from None


def _merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge_patch(result.get(key), value)
    return result


def _strategic_patch(target: dict, patch: Any) -> dict:
    if not isinstance(patch, dict):
        raise PatchError("a strategic merge patch must be a JSON object")
    merged = _strategic_map(target, patch)
    return {} if merged is None else merged


def _strategic_map(original: Any, patch: dict) -> dict | None:
    """Merge patch into original; None when the patch says `$patch: delete`."""
    directive = patch.get("$patch")
    if directive == "delete":
        return None
    if directive == "replace":
        return _strategic_map({}, {k: v for k, v in patch.items() if k != "$patch"})
    if directive is not None:
        raise PatchError(f"unknown patch directive $patch: {json.dumps(directive)}")
    result = dict(original) if isinstance(original, dict) else {}
    merged_lists = {k.split("/", 1)[1] for k in patch if k.startswith((_SET_ORDER, _DELETE_PRIMITIVE))}
    # Directives first, so that $deleteFromPrimitiveList acts on the original list.
    for key, value in sorted(patch.items(), key=lambda kv: not kv[0].startswith("$")):
        if key.startswith(_DELETE_PRIMITIVE):
            if not isinstance(value, list):
                raise PatchError(f"{key} must be a list of values to delete")
            field = key[len(_DELETE_PRIMITIVE):]
            if isinstance(result.get(field), list):
                result[field] = [x for x in result[field] if x not in value]
        elif key.startswith(_SET_ORDER) or key == "$retainKeys":
            continue
        elif key.startswith("$"):
            raise PatchError(f"unknown patch directive {key}")
        elif value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            merged = _strategic_map(result.get(key), value)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list):
            result[key] = _strategic_list(key, result.get(key), value, key in merged_lists)
        else:
            result[key] = value
    return result


def _strategic_list(field: str, original: Any, patch: list, union: bool) -> list:
    """Merge a list: element by element when the field has a merge key, else replace or union."""
    base = list(original) if isinstance(original, list) else []
    candidates = MERGE_KEYS.get(field)
    if not candidates or not all(isinstance(x, dict) for x in patch):
        return base + [x for x in patch if x not in base] if union else patch
    directives = {x["$patch"] for x in patch if "$patch" in x}
    if directives - {"replace", "delete"}:
        raise PatchError(f"unknown patch directive $patch: {json.dumps(sorted(directives)[0])} in {field}")
    if "replace" in directives:
        return [_strategic_map({}, x) for x in patch if "$patch" not in x]
    key = next((k for k in candidates if all(k in x for x in patch)), None)
    if key is None:
        raise PatchError(f"{field}: every element must contain the merge key {candidates[0]}")
    for item in patch:
        same = [i for i, old in enumerate(base) if isinstance(old, dict) and old.get(key) == item[key]]
        if item.get("$patch") == "delete":
            base = [old for i, old in enumerate(base) if i not in same]
        elif same:
            base[same[0]] = _strategic_map(base[same[0]], item)
        else:
            base.append(_strategic_map({}, item))
    return base


PATCH_TYPES: dict[str, Callable[[dict, Any], Any]] = {
    "application/json-patch+json": _json_patch,
    "application/merge-patch+json": _merge_patch,
    "application/strategic-merge-patch+json": _strategic_patch,
}


def apply_patch(content_type: str, target: dict, patch_body: bytes, *, strategic: bool) -> dict:
    """Return target with the patch applied, as a new object; target itself is not mutated.

    strategic=False (custom resources) refuses strategic merge patches with UnsupportedPatch.
    """
    media_type = content_type.split(";", 1)[0].strip().lower()
    handler = PATCH_TYPES.get(media_type)
    if handler is None or (handler is _strategic_patch and not strategic):
        accepted = [t for t, h in PATCH_TYPES.items() if strategic or h is not _strategic_patch]
        raise UnsupportedPatch(f"the body of the request was in an unknown format - "
                               f"accepted media types include: {', '.join(accepted)}")
    try:
        body = json.loads(patch_body)
    except ValueError as exc:
        raise PatchError(f"the body of the request could not be decoded as JSON: {exc}") from None
    return handler(copy.deepcopy(target), body)
