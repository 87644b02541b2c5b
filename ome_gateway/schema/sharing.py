"""Shared subscriptions: identical subscriptions (same document, variables and identity) run once per process and
their results fan out to every subscriber, so N dashboards watching the same thing cost one execution per change.

State streams (a service's status, a model's status, the summary) replay their latest result to a late joiner,
which is the current state; event streams (resource changes, audit events) start with the next event, as a fresh
subscription would."""
from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any, AsyncIterator, Awaitable, Callable

from graphql import OperationType

from .documents import operation

STATE_FIELDS = {"inferenceServiceStatus", "modelStatus", "clusterSummary"}
UNSHARED_FIELDS = {"importJobProgress"}  # replays history to each subscriber: never joined mid-stream
MEMBER_QUEUE = 256
_END = object()


def stream_kind(query: str, operation_name: str | None, max_tokens: int) -> str | None:
    """"state" or "event" for a shareable subscription document, None for anything else."""
    op = operation(query, operation_name, max_tokens)
    if op is None or op.operation != OperationType.SUBSCRIPTION or len(op.selection_set.selections) != 1:
        return None
    field = op.selection_set.selections[0]
    name = getattr(getattr(field, "name", None), "value", None)
    if name in UNSHARED_FIELDS:
        return None
    return "state" if name in STATE_FIELDS else "event"


class _Shared:
    def __init__(self, key, kind: str, registry: dict) -> None:
        self.key, self.kind, self.registry = key, kind, registry
        self.members: set[asyncio.Queue] = set()
        self.latest: Any = None
        self.task: asyncio.Task | None = None

    def start(self, source: AsyncIterator) -> None:
        self.task = asyncio.create_task(self._pump(source))

    async def _pump(self, source: AsyncIterator) -> None:
        try:
            async with contextlib.aclosing(source):
                async for result in source:
                    self.latest = result
                    if not self.members:
                        return  # everyone left before this result came
                    for queue in list(self.members):
                        self._offer(queue, result)
        finally:
            self.registry.pop(self.key, None)
            for queue in list(self.members):
                self._offer(queue, _END, force=True)

    def _offer(self, queue: asyncio.Queue, item, force: bool = False) -> None:
        if queue.full():
            if not force:
                self.members.discard(queue)  # a member that fell this far behind is ended
            queue.get_nowait()
            item = _END if not force else item
        queue.put_nowait(item)

    def join(self) -> AsyncIterator:
        """A member stream; its queue is registered now, so nothing sent after this call is missed."""
        queue: asyncio.Queue = asyncio.Queue(MEMBER_QUEUE)
        if self.kind == "state" and self.latest is not None:
            queue.put_nowait(self.latest)
        self.members.add(queue)
        return self._consume(queue)

    async def _consume(self, queue: asyncio.Queue) -> AsyncIterator:
        try:
            while (item := await queue.get()) is not _END:
                yield item
        finally:
            self.members.discard(queue)
            if not self.members and self.task and not self.task.done():
                self.registry.pop(self.key, None)
                self.task.cancel()


class SharedStreams:
    """Registry of running shared subscriptions of one process."""

    def __init__(self) -> None:
        self._running: dict[tuple, _Shared] = {}

    async def stream(self, query: str, variables: dict | None, operation_name: str | None, identity: Any,
                     max_tokens: int, start: Callable[[], Awaitable[AsyncIterator]]) -> AsyncIterator | None:
        """A member stream of the shared subscription for this key, starting it if needed; None when the
        document is not a shareable subscription."""
        kind = stream_kind(query, operation_name, max_tokens)
        if kind is None:
            return None
        key = (query, json.dumps(variables or {}, sort_keys=True, default=str), operation_name, identity)
        shared = self._running.get(key)
        if shared is not None:
            return shared.join()
        shared = self._running[key] = _Shared(key, kind, self._running)
        member = shared.join()
        shared.start(await start())
        return member
