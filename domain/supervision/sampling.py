"""The monthly draw 抽样 of 一案一评: reproducible from its seed and population."""

from __future__ import annotations

import random
from collections.abc import Iterable

__all__ = ["draw_sample"]


def draw_sample(population: Iterable[str], size: int, seed: str) -> list[str]:
    """`size` case ids drawn from `population`; the same seed and population, the same sample.

    The population is sorted first, so the order it was collected in does not matter.
    """
    ordered = sorted(set(population))
    if size >= len(ordered):
        return ordered
    return sorted(random.Random(f"baton-evaluation:{seed}").sample(ordered, size))
