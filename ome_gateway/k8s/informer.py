"""One list+watch of one kind: a local copy that stays current, resumes, relists on 410, and backs off."""
from __future__ import annotations

import asyncio
import collections
import logging
import random
from typing import Callable

from .. import metrics
from .client import KubeClient
from .errors import KubeError
from .kinds import Kind

log = logging.getLogger("ome_gateway.informer")
Listener = Callable[[str, dict, "dict | None"], None]  # (ADDED|MODIFIED|DELETED, object, previous)
HISTORY = 2000  # changes kept per kind so a reconnecting subscriber can resume without a gap


def _key(obj: dict) -> tuple[str, str]:
    meta = obj["metadata"]
    return meta.get("namespace") or "", meta["name"]


def _rv(obj: dict) -> int:
    try:
        return int(obj["metadata"].get("resourceVersion") or 0)
    except ValueError:
        return 0


class Informer:
    def __init__(self, client: KubeClient, kind: Kind, label_selector: str | None = None,
                 watch_timeout: int = 300, max_backoff: float = 5.0) -> None:
        self.client, self.kind, self.label_selector = client, kind, label_selector
        self.watch_timeout, self.max_backoff = watch_timeout, max_backoff
        self.objects: dict[tuple[str, str], dict] = {}
        self.resource_version = ""
        self.synced = asyncio.Event()
        self.listeners: list[Listener] = []
        self.history: collections.deque = collections.deque(maxlen=HISTORY)  # (rv, change, obj, old)
        self.floor = 0  # the list's resourceVersion: history starts there
        self.restarts = 0
        self.relists = 0
        self.last_error: str | None = None

    # -- reads -------------------------------------------------------------------------------------------
    def get(self, namespace: str | None, name: str) -> dict | None:
        return self.objects.get((namespace or "", name))

    def list(self, namespace: str | None = None) -> list[dict]:
        if namespace:
            return [o for (ns, _), o in self.objects.items() if ns == namespace]
        return list(self.objects.values())

    # -- updates -----------------------------------------------------------------------------------------
    def apply(self, kind: str, obj: dict) -> None:
        """Record a change (from the watch, a relist, or the gateway's own write) unless it is older than
        what the cache holds; listeners hear of every change that took effect."""
        key = _key(obj)
        old = self.objects.get(key)
        if old is not None and _rv(obj) and _rv(obj) <= _rv(old) and kind != "DELETED":
            return
        if kind == "DELETED":
            if old is None:
                return
            del self.objects[key]
        else:
            self.objects[key] = obj
            kind = "MODIFIED" if old is not None else "ADDED"
        self.history.append((_rv(obj), kind, obj, old))
        for listener in list(self.listeners):
            listener(kind, obj, old)

    def since(self, resource_version: int) -> list[tuple] | None:
        """The recorded changes after a resourceVersion, or None when some may have been forgotten."""
        if resource_version < self.floor or (len(self.history) == self.history.maxlen
                                             and self.history[0][0] > resource_version + 1):
            return None
        return [entry for entry in self.history if entry[0] > resource_version]

    def _replace(self, items: list[dict]) -> None:
        """Swap in a fresh list, telling listeners what changed since the last state they saw."""
        fresh = {_key(o): o for o in items}
        for key, old in list(self.objects.items()):
            if key not in fresh:
                self.apply("DELETED", old)
        for obj in fresh.values():
            old = self.objects.get(_key(obj))
            if old is None or old["metadata"].get("resourceVersion") != obj["metadata"].get("resourceVersion"):
                self.apply("MODIFIED" if old else "ADDED", obj)

    # -- the loop ----------------------------------------------------------------------------------------
    async def run(self) -> None:
        backoff = 0.1
        need_list = True
        while True:
            try:
                if need_list:
                    items, self.resource_version = await self.client.list(self.kind, label_selector=self.label_selector)
                    self.history.clear()
                    self.floor = _rv({"metadata": {"resourceVersion": self.resource_version}})
                    self._replace(items)
                    self.synced.set()
                    need_list = False
                await self._watch()
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except KubeError as exc:
                self.last_error = exc.message
                if exc.code == "GONE":
                    self.relists += 1
                    metrics.WATCH_RESTARTS.labels(self.kind.plural, "gone").inc()
                    need_list = True
                    continue
                self.restarts += 1
                metrics.WATCH_RESTARTS.labels(self.kind.plural, "error").inc()
                log.warning("watch of %s failed: %s; retrying in %.1fs", self.kind.plural, exc.message, backoff)
                await asyncio.sleep(backoff * (0.5 + random.random() / 2))
                backoff = min(backoff * 2, self.max_backoff)
            except Exception as exc:  # a malformed event must not kill the informer
                self.last_error = str(exc)
                self.restarts += 1
                metrics.WATCH_RESTARTS.labels(self.kind.plural, "error").inc()
                log.exception("watch of %s broke", self.kind.plural)
                need_list = True
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)

    async def _watch(self) -> None:
        async for event in self.client.watch(self.kind, self.resource_version, label_selector=self.label_selector,
                                             timeout_seconds=self.watch_timeout):
            kind, obj = event.get("type"), event.get("object") or {}
            if kind == "ERROR":
                code = obj.get("code")
                raise KubeError("GONE" if code == 410 else "UPSTREAM_UNAVAILABLE",
                                obj.get("message", "watch error"), code or 0)
            rv = (obj.get("metadata") or {}).get("resourceVersion")
            if kind in ("ADDED", "MODIFIED", "DELETED"):
                self.apply(kind, obj)
            if rv:
                self.resource_version = rv
        self.restarts += 1  # the server closed the stream (timeout or drop): resume from the last version
        metrics.WATCH_RESTARTS.labels(self.kind.plural, "closed").inc()
