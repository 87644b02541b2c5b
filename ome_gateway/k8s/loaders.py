"""Per-request loaders: lookups of one kind batch into one list call per namespace (or one across all)."""
from __future__ import annotations

import asyncio
from functools import partial
from typing import Awaitable, Callable

from aiodataloader import DataLoader

from .client import KubeClient
from .errors import KubeError
from .kinds import Kind

KeyOf = Callable[[dict], "str | None"]


def _ns_name(obj: dict) -> tuple[str, str]:
    meta = obj["metadata"]
    return meta.get("namespace") or "", meta["name"]


class Loaders:
    """Made once per GraphQL request; caches every answer for the request's lifetime."""

    def __init__(self, client: KubeClient) -> None:
        self.client = client
        self._lists: dict[tuple, asyncio.Future] = {}
        self._objects: dict[Kind, DataLoader] = {}
        self._related: dict[tuple, DataLoader] = {}

    def list(self, kind: Kind, namespace: str | None = None, label_selector: str | None = None,
             field_selector: str | None = None) -> Awaitable[list[dict]]:
        """Every object of a kind (in a namespace, matching selectors), fetched once per request."""
        key = (kind, namespace if kind.namespaced else None, label_selector or None, field_selector or None)
        future = self._lists.get(key)
        if future is None:
            future = asyncio.ensure_future(self._fetch(*key))
            self._lists[key] = future
        return future

    async def _fetch(self, kind, namespace, label_selector, field_selector) -> list[dict]:
        items, _ = await self.client.list(kind, namespace, label_selector, field_selector)
        return items

    def get(self, kind: Kind, name: str, namespace: str | None = None) -> Awaitable[dict | None]:
        """One object or None; concurrent lookups of a kind share one list call."""
        loader = self._objects.get(kind)
        if loader is None:
            loader = self._objects[kind] = DataLoader(partial(self._batch_get, kind))
        return loader.load(((namespace or "") if kind.namespaced else "", name))

    async def _batch_get(self, kind: Kind, keys: list[tuple[str, str]]) -> list[dict | None]:
        namespaces = {ns for ns, _ in keys}
        cached = self._lists.get((kind, None, None, None)) or (
            self._lists.get((kind, next(iter(namespaces)), None, None)) if len(namespaces) == 1 else None)
        if cached is None and len(keys) == 1:
            ns, name = keys[0]
            try:
                return [await self.client.get(kind, name, ns or None)]
            except KubeError as exc:
                if exc.code == "NOT_FOUND":
                    return [None]
                raise
        if cached is None:
            one_ns = len(namespaces) == 1 and kind.namespaced
            cached = self.list(kind, next(iter(namespaces)) if one_ns else None)
        index = {_ns_name(o): o for o in await cached}
        return [index.get(k) for k in keys]

    def related(self, kind: Kind, namespace: str, value: str, key_of: KeyOf, label_selector: str | None = None,
                field_selector: str | None = None) -> Awaitable[list[dict]]:
        """Objects of `kind` in `namespace` whose key_of(obj) equals value (a service's pods, its events...);
        all such lookups in a request share one list call per namespace, or one across namespaces."""
        cache_key = (kind, label_selector, field_selector, key_of)
        loader = self._related.get(cache_key)
        if loader is None:
            loader = self._related[cache_key] = DataLoader(partial(
                self._batch_related, kind, key_of, label_selector, field_selector))
        return loader.load((namespace, value))

    async def _batch_related(self, kind, key_of, label_selector, field_selector, keys):
        namespaces = {ns for ns, _ in keys}
        only = next(iter(namespaces)) if len(namespaces) == 1 else None
        groups: dict[tuple[str, str | None], list[dict]] = {}
        for obj in await self.list(kind, only, label_selector, field_selector):
            groups.setdefault((obj["metadata"].get("namespace") or "", key_of(obj)), []).append(obj)
        return [groups.get(k, []) for k in keys]
