"""Per-request loaders: served from the shared cache when it holds a kind, else batched into one list call
per namespace (or one across all) with aiodataloader. Answers are values when cached, awaitables otherwise."""
from __future__ import annotations

import asyncio
import inspect
from functools import partial
from typing import Any, Callable

from aiodataloader import DataLoader

from ..maybe import then
from .access import Access
from .cache import Cache
from .client import KubeClient
from .errors import KubeError
from .kinds import Kind
from .selectors import LabelSelector, SelectorError

KeyOf = Callable[[dict], "str | None"]


def _ns_name(obj: dict) -> tuple[str, str]:
    meta = obj["metadata"]
    return meta.get("namespace") or "", meta["name"]


def _group(items: list[dict], key_of: KeyOf) -> dict[tuple[str, Any], list[dict]]:
    groups: dict[tuple[str, Any], list[dict]] = {}
    for obj in items:
        groups.setdefault((obj["metadata"].get("namespace") or "", key_of(obj)), []).append(obj)
    return groups


async def _value(value):
    return await value if inspect.isawaitable(value) else value


def _shared(value):
    """A value several callers can use: an awaitable becomes a future (a coroutine can be awaited only once)."""
    return asyncio.ensure_future(value) if inspect.isawaitable(value) else value


class Loaders:
    """Made once per GraphQL request; caches every answer for the request's lifetime. With `access`, answers
    from the shared cache are cut down to what the caller may see (fetches already carry the caller's rights)."""

    def __init__(self, client: KubeClient, cache: Cache | None = None, access: Access | None = None) -> None:
        self.client, self.cache, self.access = client, cache, access
        self._lists: dict[tuple, Any] = {}
        self._objects: dict[Kind, DataLoader] = {}
        self._related: dict[tuple, DataLoader] = {}
        self._groups: dict[tuple, dict] = {}

    def list(self, kind: Kind, namespace: str | None = None, label_selector: str | None = None,
             field_selector: str | None = None):
        """Every object of a kind (in a namespace, matching selectors): a list, or an awaitable of one."""
        key = (kind, namespace if kind.namespaced else None, label_selector or None, field_selector or None)
        if key in self._lists:
            return self._lists[key]
        informer = self.cache.ready(kind, label_selector) if self.cache and not field_selector else None
        if informer is not None:
            items = informer.list(key[1])
            if label_selector and label_selector != informer.label_selector:
                try:
                    selector = LabelSelector.parse(label_selector)
                except SelectorError as exc:
                    raise KubeError("INVALID_INPUT", str(exc), 400) from None
                items = [o for o in items if selector.matches(o["metadata"].get("labels"))]
            self._lists[key] = _shared(self.access.visible(kind, items)) if self.access else items
        else:
            self._lists[key] = asyncio.ensure_future(self._fetch(*key))
        return self._lists[key]

    async def _fetch(self, kind, namespace, label_selector, field_selector) -> list[dict]:
        items, _ = await self.client.list(kind, namespace, label_selector, field_selector)
        return items

    def get(self, kind: Kind, name: str, namespace: str | None = None):
        """One object or None (or an awaitable of it); concurrent lookups of a kind share one list call."""
        namespace = (namespace or "") if kind.namespaced else ""
        informer = self.cache.ready(kind) if self.cache else None
        if informer is not None:
            if self.access is None:
                return informer.get(namespace, name)
            return then(self.access.check("get", kind, namespace or None), lambda _: informer.get(namespace, name))
        loader = self._objects.get(kind)
        if loader is None:
            loader = self._objects[kind] = DataLoader(partial(self._batch_get, kind))
        return loader.load((namespace, name))

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
        index = {_ns_name(o): o for o in await _value(cached)}
        return [index.get(k) for k in keys]

    def related(self, kind: Kind, namespace: str, value: str, key_of: KeyOf, label_selector: str | None = None,
                field_selector: str | None = None):
        """Objects of `kind` in `namespace` whose key_of(obj) equals value (a service's pods, its events...);
        all such lookups in a request share one list (from the cache, or one call per namespace or across)."""
        group_key = (kind, label_selector, field_selector, key_of)
        informer = self.cache.ready(kind, label_selector) if self.cache and not field_selector else None
        if informer is not None:
            groups = self._groups.get(group_key)
            if groups is None:
                groups = self._groups[group_key] = _shared(then(self.list(kind, None, label_selector),
                                                                lambda items: _group(items, key_of)))
            return then(groups, lambda found: found.get((namespace, value), []))
        loader = self._related.get(group_key)
        if loader is None:
            loader = self._related[group_key] = DataLoader(partial(
                self._batch_related, kind, key_of, label_selector, field_selector))
        return loader.load((namespace, value))

    async def _batch_related(self, kind, key_of, label_selector, field_selector, keys):
        namespaces = {ns for ns, _ in keys}
        only = next(iter(namespaces)) if len(namespaces) == 1 else None
        groups = _group(await _value(self.list(kind, only, label_selector, field_selector)), key_of)
        return [groups.get(k, []) for k in keys]
