"""Prune, default and validate custom resources against a CRD's openAPIV3Schema, as kube-apiserver does."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from datetime import datetime

_META_KEYS = ("apiVersion", "kind", "metadata")
_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
_CHECK_KEYS = frozenset(("enum", "format", "pattern", "minLength", "maxLength", "minimum", "maximum", "minItems",
                         "maxItems", "minProperties", "maxProperties", "required", "x-kubernetes-embedded-resource",
                         "allOf", "anyOf", "oneOf", "not"))
_ANCHOR = re.compile(r"\\.|\[(?:\\.|[^\]])*\]|\$")
_DATE_TIME = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")


def _is_num(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "number": _is_num,
    "integer": lambda v: _is_num(v) and (isinstance(v, int) or v.is_integer()),
}


@dataclass(frozen=True)
class Cause:
    reason: str
    field: str
    message: str


def _type_name(v: object) -> str:
    if v is None:
        return "null"
    if _is_num(v):
        return "integer" if _TYPES["integer"](v) else "number"
    return next((t for t, ok in _TYPES.items() if ok(v)), type(v).__name__)


def _show(v: object) -> str:
    """The value as kube prints it in a message (%q for strings, %v for scalars)."""
    try:
        return json.dumps(v, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return json.dumps(_type_name(v))


def _same(a: object, b: object) -> bool:
    return isinstance(a, bool) == isinstance(b, bool) and a == b


def _ecma(pattern: str) -> str:
    """Make `$` outside escapes and character classes match only at the very end, as in RE2/ECMA."""
    return _ANCHOR.sub(lambda m: r"\Z" if m.group() == "$" else m.group(), pattern)


def _valid_date_time(s: str) -> bool:
    try:
        return bool(_DATE_TIME.fullmatch(s)) and bool(datetime.fromisoformat(s.upper().replace("Z", "+00:00")))
    except ValueError:
        return False


def _type_cause(path: str, v: object, expected: str) -> Cause:
    got = json.dumps(_type_name(v))
    detail = f"{path} in body must be of type {expected}: {got}".lstrip()
    return Cause("FieldValueTypeInvalid", path, f"Invalid value: {got}: {detail}")


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Node:
    """What the walk needs from one schema node, extracted once."""

    __slots__ = ("schema", "types", "nullable", "props", "extra", "keep", "meta", "items", "defaults", "checked")

    def __init__(self, s: dict, root: bool = False) -> None:
        declared, extra, props, items = (s.get(k) for k in ("type", "additionalProperties", "properties", "items"))
        self.schema = s
        if root:
            self.types: tuple = ("object",)
        elif s.get("x-kubernetes-int-or-string") is True:
            self.types = ("integer", "string")
        else:
            self.types = (declared,) if isinstance(declared, str) and declared in _TYPES else ()
        self.nullable = s.get("nullable") is True
        self.props = {k: p for k, p in props.items() if isinstance(p, dict)} if isinstance(props, dict) else {}
        self.extra = extra if isinstance(extra, dict) else None
        self.keep = s.get("x-kubernetes-preserve-unknown-fields") is True or extra is True
        self.meta = root or s.get("x-kubernetes-embedded-resource") is True
        self.items = items if isinstance(items, dict) else None
        self.defaults = [(k, p["default"]) for k, p in self.props.items() if "default" in p]
        self.checked = not _CHECK_KEYS.isdisjoint(s)


class SchemaValidator:
    """Compiled once per CRD version; reused for every write."""

    def __init__(self, schema: dict) -> None:
        self._root = _Node(schema if isinstance(schema, dict) else {}, root=True)
        self._nodes: dict[int, _Node] = {}
        self._patterns: dict[str, re.Pattern | None] = {}

    def apply(self, obj: dict) -> list[Cause]:
        """Prune, default and validate obj in place; return every cause, in document order."""
        out: list[Cause] = []
        self._walk(obj, self._root, "", out, True)
        return list(dict.fromkeys(out))

    def _node(self, s: dict) -> _Node:
        node = self._nodes.get(id(s))
        if node is None:
            node = self._nodes[id(s)] = _Node(s)
        return node

    def _walk(self, v: object, n: _Node, path: str, out: list[Cause], mutate: bool) -> None:
        """Normalise (if mutate) and validate v; node causes go before those of its children."""
        if v is None and n.nullable:
            return
        if n.types and not any(_TYPES[t](v) for t in n.types):
            out.append(_type_cause(path, v, ",".join(n.types)))
            return
        pos = len(out)
        if isinstance(v, dict):
            self._object(v, n, path, out, mutate)
        elif isinstance(v, list) and n.items is not None:
            item_node = self._node(n.items)
            for i, item in enumerate(v):
                if mutate and item is None and not item_node.nullable and "default" in n.items:
                    v[i] = item = copy.deepcopy(n.items["default"])
                self._walk(item, item_node, f"{path}[{i}]", out, mutate)
        if n.checked:
            out[pos:pos] = self._checks(v, n.schema, path)

    def _object(self, v: dict, n: _Node, path: str, out: list[Cause], mutate: bool) -> None:
        if mutate:
            for k in list(v):
                if n.meta and k in _META_KEYS:
                    continue
                sub = n.props.get(k, n.extra)
                if sub is None:
                    if not n.keep:
                        del v[k]
                elif v[k] is None and sub.get("nullable") is not True:
                    if "default" in sub:
                        v[k] = copy.deepcopy(sub["default"])
                    else:
                        del v[k]
            for k, default in n.defaults:
                if k not in v:
                    v[k] = copy.deepcopy(default)
        for k, item in v.items():
            if n.meta and k in _META_KEYS:
                if k == "metadata" and not isinstance(item, dict):
                    out.append(_type_cause(_child(path, k), item, "object"))
            elif k in n.props:
                self._walk(item, self._node(n.props[k]), _child(path, k), out, mutate)
            elif n.extra is not None:
                self._walk(item, self._node(n.extra), f"{path}[{k}]", out, mutate)

    def _regex(self, pattern: object) -> re.Pattern | None:
        if not isinstance(pattern, str):
            return None
        if pattern not in self._patterns:
            try:
                self._patterns[pattern] = re.compile(_ecma(pattern))
            except re.error:
                self._patterns[pattern] = None
        return self._patterns[pattern]

    def _passes(self, v: object, s: object, path: str) -> bool:
        if not isinstance(s, dict):
            return True
        out: list[Cause] = []
        self._walk(v, self._node(s), path, out, False)
        return not out

    def _checks(self, v: object, s: dict, path: str) -> list[Cause]:
        """Value validations of one node (everything but type and children)."""
        causes: list[Cause] = []

        def invalid(detail: str, reason: str = "FieldValueInvalid") -> None:
            causes.append(Cause(reason, path, f"Invalid value: {_show(v)}: {path} in body {detail}"))

        enum = s.get("enum")
        if isinstance(enum, list) and not any(_same(v, e) for e in enum):
            allowed = ", ".join(json.dumps(e if isinstance(e, str) else _show(e), ensure_ascii=False) for e in enum)
            causes.append(Cause("FieldValueNotSupported", path, f"Unsupported value: {_show(v)}: supported values: {allowed}"))
        fmt = s.get("format")
        if isinstance(v, str):
            if fmt == "date-time" and not _valid_date_time(v):
                invalid(f"must be of type date-time: {_show(v)}", "FieldValueTypeInvalid")
            rx = self._regex(s.get("pattern"))
            if rx is not None and not rx.search(v):
                invalid(f"should match '{s['pattern']}'")
            if _is_num(s.get("minLength")) and len(v) < s["minLength"]:
                invalid(f"should be at least {s['minLength']} chars long")
            if _is_num(s.get("maxLength")) and len(v) > s["maxLength"]:
                causes.append(Cause("FieldValueTooLong", path, f"Too long: may not be longer than {s['maxLength']}"))
        elif _is_num(v):
            lo_hi = _INT_RANGES.get(fmt)
            if lo_hi and not lo_hi[0] <= v <= lo_hi[1]:
                invalid(f"must be of type {fmt}", "FieldValueTypeInvalid")
            low, high = s.get("minimum"), s.get("maximum")
            if _is_num(low) and (v < low or v == low and s.get("exclusiveMinimum") is True):
                invalid(f"should be greater than {'' if s.get('exclusiveMinimum') is True else 'or equal to '}{_show(low)}")
            if _is_num(high) and (v > high or v == high and s.get("exclusiveMaximum") is True):
                invalid(f"should be less than {'' if s.get('exclusiveMaximum') is True else 'or equal to '}{_show(high)}")
        elif isinstance(v, (list, dict)):
            noun = "items" if isinstance(v, list) else "properties"
            low, high = s.get(f"min{noun.title()}"), s.get(f"max{noun.title()}")
            if _is_num(low) and len(v) < low:
                causes.append(Cause("FieldValueInvalid", path,
                                    f"Invalid value: {len(v)}: {path} in body should have at least {low} {noun}"))
            if _is_num(high) and len(v) > high:
                causes.append(Cause("FieldValueTooMany", path, f"Too many: {len(v)}: must have at most {high} items"))
        if isinstance(v, dict):
            for k in s.get("required") or ():
                if isinstance(k, str) and k not in v:
                    causes.append(Cause("FieldValueRequired", _child(path, k), "Required value"))
            if s.get("x-kubernetes-embedded-resource") is True:
                for k in ("apiVersion", "kind"):
                    if not v.get(k):
                        causes.append(Cause("FieldValueRequired", _child(path, k), "Required value: must not be empty"))
        for sub in s.get("allOf") or ():
            if isinstance(sub, dict):
                self._walk(v, self._node(sub), path, causes, False)
        if s.get("anyOf") and not any(self._passes(v, sub, path) for sub in s["anyOf"]):
            invalid("must validate at least one schema (anyOf)")
        if s.get("oneOf") and sum(self._passes(v, sub, path) for sub in s["oneOf"]) != 1:
            invalid("must validate one and only one schema (oneOf)")
        if isinstance(s.get("not"), dict) and self._passes(v, s["not"], path):
            invalid("must not validate the schema (not)")
        return causes
