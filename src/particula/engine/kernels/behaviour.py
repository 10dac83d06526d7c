"""What a particle does on its own in a tick, before moving: lifetimes, state changes, reactions, tools.

`p` is the tick's parameters (width, height, chunk columns, rng key, stamp, ax, ay, gravity direction, walls).
"""

from __future__ import annotations

from typing import Any

from particula.engine.element_types import PHASE_GAS, PHASE_LIQUID
from particula.engine.jit import inline, kernel
from particula.engine.kernels.cells import DX, DY, Cells, Tabs, become, blast, inside, mark, moving_phase, residue
from particula.engine.rng import P_REACT, uniform
from particula.engine.tables import (
    I_BEHAVIOUR,
    I_BLAST,
    I_DECAYS_TO,
    I_EMITS,
    I_HIGH_TO,
    I_LOW_TO,
    I_MOVES_LIKE_ORIGIN,
    I_TOOL,
)

CLONE, SPOUT, VOID, SINK = 1, 2, 3, 4  # positions in element_types.BEHAVIOURS


@inline
def after_becoming(x: int, y: int, old: int, p: Any, cells: Cells, tabs: Tabs, changed: Any) -> None:
    """Mark the change, and let an explosive that just caught fire go off."""
    ints = tabs[0]
    mark(x, y, p[2], changed)
    new = cells[0][y * p[0] + x]
    if ints[old, I_BLAST] > 0 and ints[new, I_MOVES_LIKE_ORIGIN] == 1:
        blast(x, y, int(ints[old, I_BLAST]), p[3], p, cells, tabs, changed)


@kernel
def change_state(
    i: int, x: int, y: int, expired: bool, p: Any, cells: Cells, tabs: Tabs, mt: Any, changed: Any
) -> bool:
    """A lifetime ran out, or the temperature crossed a threshold: True when the cell became something else.

    The particle pass counts lifetimes down and compares temperatures itself; this is only called when it has to.
    """
    el, temp, ctype = cells[0], cells[1], cells[5]
    ints = tabs[0]
    e = int(el[i])
    new = -1
    if expired:
        new = residue(e, int(ctype[i]), int(ints[e, I_DECAYS_TO]), ints)
    else:
        t = temp[i]
        if t > mt[1][e]:
            new = residue(e, int(ctype[i]), int(ints[e, I_HIGH_TO]), ints)
        elif t < mt[2][e]:
            new = residue(e, int(ctype[i]), int(ints[e, I_LOW_TO]), ints)
    if new < 0:
        return False
    old = become(i, new, False, p[3], cells, tabs)
    after_becoming(x, y, old, p, cells, tabs, changed)
    return True


@kernel
def react(i: int, x: int, y: int, p: Any, cells: Cells, tabs: Tabs, changed: Any, stamp: Any) -> bool:
    """Roll the reactions with the four neighbours; True when this cell became something else."""
    width, height = p[0], p[1]
    el = cells[0]
    reaction_of, reaction_prob, reaction_result = tabs[2], tabs[3], tabs[4]
    e = int(el[i])
    for k in range(4):
        nx, ny = x + DX[2 * k], y + DY[2 * k]
        if not inside(nx, ny, width, height):
            continue
        j = ny * width + nx
        r = reaction_of[e, el[j]]
        if r < 0:
            continue
        # A reaction that could happen keeps the chunk awake even when this tick's roll fails.
        mark(x, y, p[2], changed)
        if uniform(p[3], i, P_REACT + k) >= reaction_prob[r]:
            continue
        if reaction_result[r, 1] >= 0:
            old = become(j, int(reaction_result[r, 1]), True, p[3], cells, tabs)
            stamp[j] = p[4]
            after_becoming(nx, ny, old, p, cells, tabs, changed)
        if reaction_result[r, 0] >= 0:
            become(i, int(reaction_result[r, 0]), True, p[3], cells, tabs)
            return True
        return False
    return False


@kernel
def run_tool(i: int, x: int, y: int, p: Any, cells: Cells, tabs: Tabs, changed: Any, stamp: Any) -> None:
    """Cloners learn and copy, spouts pour, voids delete, sinks drain, each on the four neighbours."""
    width, height = p[0], p[1]
    el, ctype = cells[0], cells[5]
    ints = tabs[0]
    e = int(el[i])
    behaviour = ints[e, I_BEHAVIOUR]
    spawn = int(ints[e, I_EMITS]) if behaviour == SPOUT else int(ctype[i])
    for k in range(4):
        nx, ny = x + DX[2 * k], y + DY[2 * k]
        if not inside(nx, ny, width, height):
            continue
        j = ny * width + nx
        t = int(el[j])
        if behaviour == CLONE and spawn == 0:
            if t != 0 and ints[t, I_TOOL] == 0:
                ctype[i] = t
                spawn = t
                mark(x, y, p[2], changed)
        elif behaviour in (CLONE, SPOUT):
            if t == 0 and spawn > 0:
                become(j, spawn, True, p[3], cells, tabs)
                stamp[j] = p[4]
                mark(nx, ny, p[2], changed)
        elif t != 0 and ints[t, I_TOOL] == 0:
            phase = moving_phase(t, int(ctype[j]), ints)
            if behaviour == VOID or phase in (PHASE_LIQUID, PHASE_GAS):
                become(j, 0, False, p[3], cells, tabs)
                mark(nx, ny, p[2], changed)
