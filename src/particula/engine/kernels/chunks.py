"""The sleeping-chunk map: a chunk is awake next tick if it or a neighbour changed this tick."""

from __future__ import annotations

from typing import Any

import numpy as np

from particula.engine.jit import inline, kernel


@inline
def any_awake(chunk_row: int, cw: int, awake: Any) -> bool:
    """Whether any chunk of the chunk row is awake."""
    for c in range(cw):  # noqa: SIM110 - a loop Numba compiles; any() over a generator it would not
        if awake[np.uint64(chunk_row * cw + c)] != 0:
            return True
    return False


@kernel
def settle_chunks(awake: Any, changed: Any, cw: int, ch: int) -> None:
    """awake = changed dilated by one chunk in all eight directions; then forget this tick's changes."""
    for cy in range(ch):
        for cx in range(cw):
            on = 0
            for ny in range(max(cy - 1, 0), min(cy + 2, ch)):
                for nx in range(max(cx - 1, 0), min(cx + 2, cw)):
                    on |= changed[ny * cw + nx]
            awake[cy * cw + cx] = on
    changed[:] = 0
