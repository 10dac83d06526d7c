"""The particle pass of a tick: every particle in an awake chunk changes state, reacts, and moves.

Scan order: rows start from the side gravity pulls toward, so a falling column moves in one tick; in zero-g (or
along an axis gravity does not touch) the direction alternates with the tick so no side is favoured.

Speed: a compiled call that passes the planes costs tens of nanoseconds (every array goes field by field), more
than most particles' whole work. So the loop reads one packed `kind` byte per particle (tables.Motion), counts
lifetimes down, compares thresholds, looks for reaction partners and moves particles inline (motion.py is pasted
in), and calls a helper only for the rare events: a lifetime running out, a threshold crossed, a reaction that
may roll, a tool, a particle leaving an open world. Array indices are cast to unsigned, which spares Numba's
negative-index check on every access.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from particula.engine.element_types import PHASE_GAS, PHASE_LIQUID, PHASE_POWDER
from particula.engine.jit import inline, kernel
from particula.engine.kernels.behaviour import change_state, react, run_tool
from particula.engine.kernels.cells import DX, DY, Cells, Tabs, inside, mark
from particula.engine.kernels.motion import drift, fall
from particula.engine.tables import K_MLO, K_PHASE, K_REACTIVE, K_SPECIAL, K_TIMED, K_TOOL

U = np.uint64


@inline
def has_partner(x: int, y: int, e: int, p: Any, el: Any, reaction_of: Any) -> bool:
    """Whether any of the four neighbours is something element e reacts with."""
    width, height = p[0], p[1]
    for k in range(4):
        nx, ny = x + DX[2 * k], y + DY[2 * k]
        if inside(nx, ny, width, height) and reaction_of[U(e), el[U(ny * width + nx)]] >= 0:
            return True
    return False


@kernel
def update_pass(
    p: Any,
    cells: Cells,
    tabs: Tabs,
    mt: Any,
    awake: Any,
    changed: Any,
    stamp: Any,
    x_forward: bool,
    y_forward: bool,
    todo: Any,
) -> None:
    """Visit every particle of every awake chunk once; stamps skip particles that already moved this tick.

    `todo` is scratch for 16 column numbers.
    """
    width, height, cw, sv = p[0], p[1], p[2], p[4]
    el, temp, life, ctype = cells[0], cells[1], cells[4], cells[5]
    kind, high_t, low_t = mt[0], mt[1], mt[2]
    reaction_of = tabs[2]
    n = kind.shape[0]
    for row in range(height):
        y = row if y_forward else height - 1 - row
        base = (y >> 4) * cw
        for column in range(cw):
            cx = column if x_forward else cw - 1 - column
            if awake[U(base + cx)] == 0:
                continue
            x0 = cx << 4
            x1 = min(x0 + 16, width)
            # The particles of this row of the chunk, in scan order, listed without a branch per cell (a random
            # mix of empty and full cells would mispredict). A cell empty now can only fill by a move or a spawn,
            # which stamps it, so skipping it changes nothing.
            count = 0
            for k in range(x1 - x0):
                x = x0 + k if x_forward else x1 - 1 - k
                todo[U(count)] = x
                count += el[U(y * width + x)] != 0
            for k in range(count):
                x = int(todo[U(k)])
                i = y * width + x
                e = int(el[U(i)])
                if e == 0 or stamp[U(i)] == sv:  # emptied or moved into by an earlier particle of this row
                    continue
                kd = kind[e]
                phase = kd & K_PHASE
                a = e
                if kd & K_SPECIAL:  # one branch for the common elements instead of four
                    if kd & K_TIMED:
                        left = int(life[U(i)])
                        if left > 0:
                            life[U(i)] = left - 1
                            mark(x, y, cw, changed)
                            if left == 1 and change_state(i, x, y, True, p, cells, tabs, mt, changed):
                                continue
                    t = temp[U(i)]
                    if (t > high_t[e] or t < low_t[e]) and change_state(i, x, y, False, p, cells, tabs, mt, changed):
                        continue
                    if (
                        kd & K_REACTIVE
                        and has_partner(x, y, e, p, el, reaction_of)
                        and react(i, x, y, p, cells, tabs, changed, stamp)
                    ):
                        continue
                    if kd & K_TOOL:
                        run_tool(i, x, y, p, cells, tabs, changed, stamp)
                        continue
                    if kd & K_MLO:
                        c = int(ctype[U(i)])
                        if c != 0:
                            a = c
                            phase = kind[c] & K_PHASE
                else:
                    t = temp[U(i)]
                    if (t > high_t[e] or t < low_t[e]) and change_state(i, x, y, False, p, cells, tabs, mt, changed):
                        continue
                if phase == PHASE_GAS:
                    drift(i, x, y, e, p, cells, tabs, mt, changed, stamp)
                elif phase in (PHASE_POWDER, PHASE_LIQUID):
                    fall(i, x, y, a, phase == PHASE_LIQUID, n, p, cells, tabs, mt, changed, stamp)
