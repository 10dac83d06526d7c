"""The sleeping-chunk map: a chunk is awake next tick if it or a neighbour changed this tick."""

from __future__ import annotations

from typing import Any

from particula.engine.jit import kernel


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
