"""Filtering and stable ordering for connections."""
from __future__ import annotations

from typing import Callable, Iterable


def order(items: Iterable[dict]) -> list[dict]:
    """Stable order: namespace (cluster-scoped first), then name."""
    return sorted(items, key=lambda o: (o["metadata"].get("namespace") or "", o["metadata"]["name"]))


def select(items: Iterable[dict], search: str | None = None, ready: bool | None = None,
           is_ready: Callable[[dict], bool] | None = None) -> list[dict]:
    """Keep items whose name contains `search` (case-insensitive) and whose readiness equals `ready`."""
    needle = (search or "").strip().lower()
    out = []
    for obj in items:
        if needle and needle not in obj["metadata"]["name"].lower():
            continue
        if ready is not None and is_ready is not None and is_ready(obj) != ready:
            continue
        out.append(obj)
    return order(out)
