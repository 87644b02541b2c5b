"""The shared cache: one informer per kind the graph serves, started once per process."""
from __future__ import annotations

import asyncio
import contextlib

from .client import KubeClient
from .informer import Informer, Listener
from .kinds import Kind


class Cache:
    """Informers keyed by kind; a kind is served from here once its informer has synced."""

    def __init__(self, client: KubeClient, plan: dict[Kind, str | None]) -> None:
        """plan maps each cached kind to the label selector its watch uses (None: every object)."""
        self.informers = {kind: Informer(client, kind, selector) for kind, selector in plan.items()}
        self._tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(i.run(), name=f"informer-{k.plural}") for k, i in self.informers.items()]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    @property
    def synced(self) -> bool:
        return all(i.synced.is_set() for i in self.informers.values())

    async def wait_synced(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(asyncio.gather(*(i.synced.wait() for i in self.informers.values())), timeout)
            return True
        except asyncio.TimeoutError:
            return False

    def ready(self, kind: Kind, label_selector: str | None = None) -> Informer | None:
        """The synced informer that holds every object a list of kind (with that selector) could return."""
        informer = self.informers.get(kind)
        if informer is None or not informer.synced.is_set():
            return None
        if informer.label_selector not in (None, label_selector):
            return None
        return informer

    def listen(self, kind: Kind, listener: Listener) -> None:
        self.informers[kind].listeners.append(listener)

    def unlisten(self, kind: Kind, listener: Listener) -> None:
        with contextlib.suppress(ValueError):
            self.informers[kind].listeners.remove(listener)

    def record(self, kind: Kind, obj: dict, deleted: bool = False) -> None:
        """Write-through for the gateway's own writes, so the next read sees them before the watch does."""
        informer = self.informers.get(kind)
        if informer is not None and informer.synced.is_set():
            informer.apply("DELETED" if deleted else "MODIFIED", obj)
