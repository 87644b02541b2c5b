"""In-memory object store: one global resourceVersion, a bounded event window and watch fan-out."""
from __future__ import annotations

import asyncio
import collections
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from .resources import ResourceType


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Event:
    rv: int
    type: str  # ADDED, MODIFIED, DELETED
    rt: ResourceType
    obj: dict
    old: dict | None = None


@dataclass(eq=False)
class Watcher:
    """One open watch: the store pushes matching events onto its queue."""
    rt_key: str
    accepts: Callable[[dict], bool]
    namespace: str | None = None
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)

    def offer(self, ev: Event) -> None:
        if self.namespace and ev.obj["metadata"].get("namespace") != self.namespace:
            return
        now_in = self.accepts(ev.obj)
        was_in = ev.old is not None and self.accepts(ev.old)
        if ev.type == "MODIFIED" and now_in != was_in:
            # An object moving across a selector's edge looks like an add or a delete to this watcher.
            self.queue.put_nowait(Event(ev.rv, "ADDED" if now_in else "DELETED", ev.rt, ev.obj))
        elif now_in:
            self.queue.put_nowait(ev)


class Store:
    """Objects by resource bucket, then (namespace, name); reads hand out the stored dicts, writes replace them."""

    def __init__(self, window: int = 2000) -> None:
        self.rv = 0
        self.buckets: dict[str, dict[tuple[str, str], dict]] = collections.defaultdict(dict)
        self.events: collections.deque[Event] = collections.deque(maxlen=window)
        self.watchers: set[Watcher] = set()
        self.listeners: list[Callable[[Event], None]] = []

    def next_rv(self) -> int:
        self.rv += 1
        return self.rv

    def oldest_rv(self) -> int:
        """Events after this resourceVersion are all still in the window."""
        if len(self.events) < (self.events.maxlen or 0):
            return 0
        return self.events[0].rv - 1

    def get(self, rt: ResourceType, namespace: str, name: str) -> dict | None:
        return self.buckets[rt.key].get((namespace or "", name))

    def list(self, rt: ResourceType, namespace: str | None = None) -> list[dict]:
        items = self.buckets[rt.key]
        keys = sorted(items)
        if namespace:
            keys = [k for k in keys if k[0] == namespace]
        return [items[k] for k in keys]

    def put(self, rt: ResourceType, obj: dict) -> dict:
        """Store obj (a new dict) under a fresh resourceVersion and notify watchers."""
        meta = obj["metadata"]
        key = (meta.get("namespace", ""), meta["name"])
        old = self.buckets[rt.key].get(key)
        if old is None:
            meta.setdefault("uid", str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", now())
        meta["resourceVersion"] = str(self.next_rv())
        self.buckets[rt.key][key] = obj
        self._emit(Event(self.rv, "MODIFIED" if old else "ADDED", rt, obj, old))
        return obj

    def remove(self, rt: ResourceType, namespace: str, name: str) -> dict | None:
        obj = self.buckets[rt.key].pop((namespace or "", name), None)
        if obj is not None:
            obj = {**obj, "metadata": {**obj["metadata"], "resourceVersion": str(self.next_rv())}}
            self._emit(Event(self.rv, "DELETED", rt, obj))
        return obj

    def drop_bucket(self, rt: ResourceType) -> None:
        for ns, name in list(self.buckets[rt.key]):
            self.remove(rt, ns, name)

    def _emit(self, ev: Event) -> None:
        self.events.append(ev)
        for w in list(self.watchers):
            if w.rt_key == ev.rt.key:
                w.offer(ev)
        for listener in self.listeners:
            listener(ev)

    def replay(self, watcher: Watcher, since: int) -> None:
        """Queue the window's events after `since` for a watch resuming from it."""
        for ev in self.events:
            if ev.rv > since and ev.rt.key == watcher.rt_key:
                watcher.offer(ev)
