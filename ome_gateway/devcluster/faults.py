"""Fault knobs for tests (latency, error and throttle rates, dropped watches) and per-verb request counters."""
from __future__ import annotations

import asyncio
import collections
import random
from dataclasses import asdict, dataclass, fields


@dataclass
class Faults:
    latency_ms: float = 0.0
    error_rate: float = 0.0      # share of API requests answered 500
    throttle_rate: float = 0.0   # share of API requests answered 429 with Retry-After
    watch_error_rate: float = 0.0  # share of watch requests answered 500 (an outage of watches only)
    throttle_next: int = 0       # the next N API requests are answered 429, whatever the rates
    bookmark_interval: float = 5.0

    def update(self, changes: dict) -> None:
        """Apply a partial update; unknown names or bad values raise ValueError and change nothing."""
        known = {f.name: f.type for f in fields(self)}
        unknown = set(changes) - set(known)
        if unknown:
            raise ValueError(f"unknown fault knobs: {', '.join(sorted(unknown))}")
        values = {}
        for name, value in changes.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"{name} must be a non-negative number")
            if name.endswith("_rate") and value > 1:
                raise ValueError(f"{name} must be between 0 and 1")
            if known[name] in (int, "int") and value != int(value):
                raise ValueError(f"{name} must be a whole number")
            values[name] = int(value) if known[name] in (int, "int") else float(value)
        for name, value in values.items():
            setattr(self, name, value)

    def as_dict(self) -> dict:
        return asdict(self)

    async def delay(self) -> None:
        if self.latency_ms:
            await asyncio.sleep(self.latency_ms / 1000)

    def pick_failure(self) -> int | None:
        """The status code to fail this request with, or None."""
        if self.throttle_next:
            self.throttle_next -= 1
            return 429
        roll = random.random()
        if roll < self.error_rate:
            return 500
        if roll < self.error_rate + self.throttle_rate:
            return 429
        return None


class Counters:
    """Requests by `verb resource`, as tests and benchmarks read them."""

    def __init__(self) -> None:
        self.by_key: collections.Counter[str] = collections.Counter()

    def count(self, verb: str, resource: str) -> None:
        self.by_key[f"{verb} {resource}"] += 1

    def snapshot(self) -> dict:
        return {"total": sum(self.by_key.values()), "requests": dict(sorted(self.by_key.items()))}

    def reset(self) -> None:
        self.by_key.clear()
