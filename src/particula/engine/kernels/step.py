"""One whole tick in one compiled call: particles, then heat, then the chunk map for the next tick."""

from __future__ import annotations

from typing import Any

from particula.engine.jit import kernel
from particula.engine.kernels.cells import Cells, Tabs
from particula.engine.kernels.chunks import settle_chunks
from particula.engine.kernels.heat import heat_pass
from particula.engine.kernels.update import update_pass


@kernel
def step_tick(
    p: Any,
    cells: Cells,
    tabs: Tabs,
    conductance: Any,
    awake: Any,
    changed: Any,
    stamp: Any,
    x_forward: bool,
    y_forward: bool,
    ambient: float,
    rows: Any,
) -> None:
    """Advance the world one tick; p = (width, height, cw, key, stamp, ax, ay, g, walls)."""
    update_pass(p, cells, tabs, awake, changed, stamp, x_forward, y_forward)
    heat_pass(cells[0], cells[1], cells[5], awake, changed, conductance, tabs[1], p[0], p[1], ambient, rows)
    settle_chunks(awake, changed, p[2], (p[1] + 15) >> 4)
