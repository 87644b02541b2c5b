"""meta.k8s.io/v1 Table answers, which kubectl asks for to print `kubectl get` output."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from .resources import ResourceType

_STEP = re.compile(r"\.([A-Za-z0-9_-]+)|\[\*\]|\[\?\(@\.([A-Za-z0-9_]+)\s*==\s*'?([^')]*)'?\)\]|\[(\d+)\]")


def json_path(obj, path: str) -> list:
    """Evaluate the small JSONPath subset printer columns use: `.a.b`, `[*]`, `[0]`, `[?(@.k=='v')]`."""
    values = [obj]
    for m in _STEP.finditer(path.strip("{}")):
        nxt = []
        for v in values:
            if m.group(1) is not None and isinstance(v, dict) and m.group(1) in v:
                nxt.append(v[m.group(1)])
            elif m.group(0) == "[*]" and isinstance(v, list):
                nxt.extend(v)
            elif m.group(2) is not None and isinstance(v, list):
                nxt.extend(i for i in v if isinstance(i, dict) and str(i.get(m.group(2))).lower() == m.group(3).lower())
            elif m.group(4) is not None and isinstance(v, list) and int(m.group(4)) < len(v):
                nxt.append(v[int(m.group(4))])
        values = nxt
    return values


def age(ts: str | None) -> str:
    if not ts:
        return "<unknown>"
    secs = int((datetime.now(timezone.utc) - datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=timezone.utc)).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if secs >= size:
            return f"{secs // size}{unit}"
    return f"{max(secs, 0)}s"


def _columns(rt: ResourceType) -> list[dict]:
    cols = [c for c in rt.printer_columns if c.get("jsonPath") != ".metadata.creationTimestamp"]
    if rt.kind == "Pod":
        cols = [{"name": "Status", "type": "string", "jsonPath": ".status.phase"},
                {"name": "Node", "type": "string", "jsonPath": ".spec.nodeName", "priority": 1}]
    elif rt.kind == "Namespace":
        cols = [{"name": "Status", "type": "string", "jsonPath": ".status.phase"}]
    return cols


def to_table(rt: ResourceType, objs: list[dict], list_meta: dict) -> dict:
    cols = _columns(rt)
    defs = [{"name": "Name", "type": "string", "format": "name", "description": "Name", "priority": 0}]
    defs += [{"name": c["name"], "type": c.get("type", "string"), "format": "", "description": c.get(
        "description", ""), "priority": c.get("priority", 0)} for c in cols]
    defs.append({"name": "Age", "type": "string", "format": "", "description": "Age", "priority": 0})
    rows = []
    for obj in objs:
        cells = [obj["metadata"]["name"]]
        for c in cols:
            found = json_path(obj, c["jsonPath"])
            cells.append(",".join(str(v) for v in found) if len(found) != 1 else found[0])
        cells.append(age(obj["metadata"].get("creationTimestamp")))
        rows.append({"cells": cells, "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                                "metadata": obj["metadata"]}})
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta,
            "columnDefinitions": defs, "rows": rows}
