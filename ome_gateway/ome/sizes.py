"""Parameter counts as OME writes them in `modelParameterSize`: "8B", "7.6B", "46.7B", "110M", "1.2T".

`selector.parse_size` reads them back (T, B and M); counts under a million are written with a K suffix."""
from __future__ import annotations

UNITS = (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3))


def format_size(count: float) -> str:
    """The count in the largest unit it reaches after rounding to one decimal, the decimal dropped when .0."""
    if count < 0:
        raise ValueError("a parameter count cannot be negative")
    for suffix, scale in UNITS:
        value = round(count / scale, 1)
        if value >= 1:
            return f"{value:.1f}".removesuffix(".0") + suffix
    return f"{round(count):d}"
