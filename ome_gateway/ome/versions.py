"""Version matching as OME's runtime selector does it for model formats and frameworks.

Versions read as `[v]MAJOR[.MINOR[.PATCH]]` with optional `.devN`, `-pre-release` and `+build` parts. When either
side has such a part only equality counts; otherwise both must have the same number of parts and the same `v`
prefix, and the runtime's `operator` decides (Equal, GreaterThan, GreaterThanOrEqual: the runtime's version
against the model's)."""
from __future__ import annotations

import re
from typing import NamedTuple

_VERSION = re.compile(r"^(?P<v>v?)(?P<nums>\d+(?:\.\d+){0,2})(?P<extra>(?:\.dev\d+)?(?:-[0-9A-Za-z.-]+)?"
                      r"(?:\+[0-9A-Za-z.-]+)?)$")
OPERATORS = ("Equal", "GreaterThan", "GreaterThanOrEqual")


class Version(NamedTuple):
    prefixed: bool
    numbers: tuple[int, ...]
    extra: str


def parse(text: str) -> Version | None:
    """The parts of a version, or None when it does not read as one."""
    found = _VERSION.match(text.strip())
    if not found:
        return None
    return Version(bool(found["v"]), tuple(int(n) for n in found["nums"].split(".")), found["extra"])


def matches(model_version: str, runtime_version: str, operator: str | None = None) -> bool:
    """Whether a runtime's version (with its operator, default Equal) accepts a model's version."""
    operator = operator or "Equal"
    model, runtime = parse(model_version), parse(runtime_version)
    if model is None or runtime is None or model.extra or runtime.extra:
        return model_version.strip() == runtime_version.strip()
    if model.prefixed != runtime.prefixed or len(model.numbers) != len(runtime.numbers):
        return False
    if operator == "GreaterThan":
        return runtime.numbers > model.numbers
    if operator == "GreaterThanOrEqual":
        return runtime.numbers >= model.numbers
    return runtime.numbers == model.numbers
