"""The particle pass of a tick: every particle in an awake chunk changes state, reacts, and moves.

Scan order: rows start from the side gravity pulls toward, so a falling column moves in one tick; in zero-g (or
along an axis gravity does not touch) the direction alternates with the tick so no side is favoured.

Speed: a compiled call that passes the planes costs ~50 ns (every array is passed field by field and its
reference count touched), more than most particles' whole work. So the loop below settles the common case
inline - a particle with nothing to do (resting, no lifetime, no reaction partner, no threshold crossed) - and
calls a helper only for the ones that act.
"""

from __future__ import annotations

from typing import Any

from particula.engine.element_types import PHASE_GAS, PHASE_LIQUID, PHASE_POWDER
from particula.engine.jit import kernel
from particula.engine.kernels.behaviour import change_state, react, run_tool
from particula.engine.kernels.cells import DX, DY, Cells, Tabs, can_enter
from particula.engine.kernels.motion import drift, fall, side_target, sink_target
from particula.engine.tables import (
    F_DENSITY,
    F_HIGH_T,
    F_LOW_T,
    I_BEHAVIOUR,
    I_MOVES_LIKE_ORIGIN,
    I_PHASE,
    I_REACTIVE,
)


@kernel
def update_pass(
    p: Any, cells: Cells, tabs: Tabs, awake: Any, changed: Any, stamp: Any, x_forward: bool, y_forward: bool
) -> None:
    """Visit every particle of every awake chunk once; stamps skip particles that already moved this tick."""
    width, height, cw, sv, g = p[0], p[1], p[2], p[4], p[7]
    el, temp, vx, vy, life, ctype = cells[0], cells[1], cells[2], cells[3], cells[4], cells[5]
    ints, floats = tabs[0], tabs[1]
    down = DY[g] * width + DX[g] if g >= 0 else 0
    for row in range(height):
        y = row if y_forward else height - 1 - row
        base = (y >> 4) * cw
        for column in range(cw):
            cx = column if x_forward else cw - 1 - column
            if awake[base + cx] == 0:
                continue
            x0 = cx << 4
            x1 = min(x0 + 16, width)
            for k in range(x1 - x0):
                x = x0 + k if x_forward else x1 - 1 - k
                i = y * width + x
                e = el[i]
                if e == 0 or stamp[i] == sv:
                    continue
                t = temp[i]
                if life[i] > 0 or t > floats[e, F_HIGH_T] or t < floats[e, F_LOW_T]:
                    if change_state(i, x, y, p, cells, tabs, changed):
                        continue
                    e = el[i]
                if ints[e, I_REACTIVE] == 1 and react(i, x, y, p, cells, tabs, changed, stamp):
                    continue
                if ints[e, I_BEHAVIOUR] != 0:
                    run_tool(i, x, y, p, cells, tabs, changed, stamp)
                    continue
                phase = ints[e, I_PHASE]
                if ints[e, I_MOVES_LIKE_ORIGIN] == 1 and ctype[i] != 0:
                    phase = ints[ctype[i], I_PHASE]
                if phase == PHASE_GAS:
                    drift(i, x, y, p, cells, tabs, changed, stamp)
                    continue
                if phase != PHASE_POWDER and phase != PHASE_LIQUID:
                    continue
                if g >= 0 and vx[i] == 0.0 and vy[i] == 0.0:
                    # Resting on something at rest, with nowhere to slide: nothing to do (no call).
                    gx, gy = x + DX[g], y + DY[g]
                    origin = e if ints[e, I_MOVES_LIKE_ORIGIN] == 0 or ctype[i] == 0 else ctype[i]
                    density = floats[origin, F_DENSITY]
                    if 0 <= gx < width and 0 <= gy < height:
                        j = i + down
                        if can_enter(density, phase, j, cells, tabs) or vx[j] * DX[g] + vy[j] * DY[g] > 0.0:
                            fall(i, x, y, phase, p, cells, tabs, changed, stamp)
                            continue
                    elif not p[8]:
                        fall(i, x, y, phase, p, cells, tabs, changed, stamp)
                        continue
                    if (
                        side_target(x, y, (g + 1) & 7, density, phase, p, cells, tabs) < 0
                        and side_target(x, y, (g + 7) & 7, density, phase, p, cells, tabs) < 0
                    ):
                        if phase == PHASE_POWDER:
                            continue
                        # A liquid with both sides taken by equal or denser particles stays put too.
                        if (
                            side_target(x, y, (g + 2) & 7, density, PHASE_GAS, p, cells, tabs) < 0
                            and side_target(x, y, (g + 6) & 7, density, PHASE_GAS, p, cells, tabs) < 0
                            and sink_target(x, y, (g + 2) & 7, density, phase, p, cells, tabs) < 0
                            and sink_target(x, y, (g + 6) & 7, density, phase, p, cells, tabs) < 0
                        ):
                            continue
                fall(i, x, y, phase, p, cells, tabs, changed, stamp)
