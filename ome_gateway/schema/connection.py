"""Relay connections with a total count, capped at the configured page size."""
from __future__ import annotations

import inspect
from typing import Any

import strawberry
from strawberry import relay

from ..resolvers.errors import invalid_input


@strawberry.type(name="Connection", description="A page of results with Relay cursors and the total count.")
class CountedConnection(relay.ListConnection[relay.NodeType]):
    total_count: int = strawberry.field(default=0, description="How many items match, over all pages.")

    @classmethod
    def resolve_connection(cls, nodes, *, info, before=None, after=None, first=None, last=None,
                           max_results=None, **kwargs: Any):
        if inspect.isawaitable(nodes):
            async def later():
                return cls.resolve_connection(await nodes, info=info, before=before, after=after, first=first,
                                              last=last, max_results=max_results, **kwargs)
            return later()
        nodes = list(nodes)
        max_results = max_results or info.context.settings.max_page_size
        for name, value in (("first", first), ("last", last)):
            if value is not None and not 0 <= value <= max_results:
                raise invalid_input(f"{name} must be between 0 and {max_results}", name)
        conn = super().resolve_connection(nodes, info=info, before=before, after=after, first=first, last=last,
                                          max_results=max_results, **kwargs)
        conn.total_count = len(nodes)
        return conn
