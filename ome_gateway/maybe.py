"""Values that are ready now (from the cache) or later (from a loader or a review): compose them without forcing
async. A function given to then/gather may itself return either."""
from __future__ import annotations

import inspect
from typing import Any, Callable


async def resolved(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def then(value: Any, fn: Callable[[Any], Any]) -> Any:
    """fn(value) now if value is ready, else an awaitable of it."""
    if inspect.isawaitable(value):
        async def chain():
            return await resolved(fn(await value))
        return chain()
    return fn(value)


def gather(values: list[Any], fn: Callable[[list], Any]) -> Any:
    """fn(all values) now if all are ready, else an awaitable of it (the pending loads were already issued)."""
    if any(inspect.isawaitable(v) for v in values):
        async def chain():
            return await resolved(fn([await resolved(v) for v in values]))
        return chain()
    return fn(values)
