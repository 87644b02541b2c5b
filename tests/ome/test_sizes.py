"""Parameter sizes as OME writes them, and read back by the runtime selector."""
from __future__ import annotations

import pytest

from ome_gateway.ome.selector import parse_size
from ome_gateway.ome.sizes import format_size


@pytest.mark.parametrize("count, text", [
    (8030261248, "8B"), (7615616512, "7.6B"), (46702792704, "46.7B"), (70553706496, "70.6B"),
    (109482240, "109.5M"), (110e6, "110M"), (1.2e12, "1.2T"), (494032768, "494M"), (0.5e9, "500M"),
    (999.96e6, "1B"), (405e9, "405B"), (4000, "4K"), (12, "12"), (0, "0")])
def test_format_size(count, text):
    assert format_size(count) == text


@pytest.mark.parametrize("text", ["8B", "1.2T", "110M", "0.5B", "46.7B", "7.6B"])
def test_sizes_read_back(text):
    count = parse_size(text)
    assert parse_size(format_size(count)) == pytest.approx(count, rel=0.01)


def test_negative_counts_are_rejected():
    with pytest.raises(ValueError):
        format_size(-1)
