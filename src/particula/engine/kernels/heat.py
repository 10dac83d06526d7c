"""Heat: conduction between the four neighbours, open space drifting to ambient, and heat sources.

An explicit (Jacobi) update in float32: every new temperature is computed from the old ones, whatever the scan
order, so the result has no directional bias. For one cell, with `H` the heat crossing each vertical edge from
right to left and `V` the heat crossing each horizontal edge from below (`k * (T_other - T_this)`, 0 at the
world's border):

    flux  = (H_right - H_left) + (V_down - V_up)
    flux += air * (ambient - T)                     (air = AIR_RELAX for empty cells, else 0)
    total = T + flux
    total += rate * (target - total)                (heat sources; rate = 0 for everything else)

Each edge is computed once and shared by its two cells. The pass walks the rows of awake chunks; within a row,
each run of consecutive awake chunks is done by a few branch-free loops over contiguous scratch rows that the
compiler vectorises. `reference.heat` is the same formula on whole arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from particula.engine.jit import kernel
from particula.engine.tables import AIR_RELAX, H_AIR, H_BURN, H_EMIT, H_RATE

__all__ = ["AIR_RELAX", "heat_pass", "heat_scratch"]
# A change of at most this (degrees per tick) does not keep a chunk awake.
HEAT_EPSILON = np.float32(0.005)
# Scratch rows: old temperatures (two, alternating by row parity), H edges, V edges below (two, alternating), V
# edges above when they cannot be reused.
_OLD, _H, _DOWN, _UP = 0, 2, 3, 5
SCRATCH_ROWS = 6


U = np.uint64  # an index cast: see heat_run


def heat_scratch(width: int) -> npt.NDArray[np.float32]:
    """The heat pass's scratch buffer for a world `width` cells wide."""
    return np.zeros((SCRATCH_ROWS, width + 1), np.float32)


@kernel
def heat_run(
    el: Any,
    temp: Any,
    ctype: Any,
    cond: Any,
    heat_el: Any,
    n: int,
    y: int,
    xa: int,
    xb: int,
    width: int,
    height: int,
    ambient: Any,
    rows: Any,
    up_known: bool,
) -> None:
    """New temperatures of cells xa <= x < xb of row y (old values of rows y and y-1 already in `rows`)."""
    base = y * width
    old = rows[_OLD + (y & 1)]
    above = rows[_OLD + ((y + 1) & 1)]
    h = rows[_H]
    down = rows[_DOWN + (y & 1)]
    up = rows[_DOWN + ((y + 1) & 1)] if up_known else rows[_UP]
    zero = np.float32(0.0)
    # Indices are cast to unsigned: a signed index makes Numba add a negative-index wraparound to every access.
    # Edges between x-1 and x, for xa <= x <= xb; the world's left and right borders carry nothing.
    first, last = max(xa, 1), min(xb, width - 1)
    for x in range(first, last + 1):
        left = np.int64(el[U(base + x - 1)]) * n
        h[U(x)] = cond[U(left + el[U(base + x)])] * (old[U(x)] - old[U(x - 1)])
    if xa == 0:
        h[0] = zero
    if xb == width:
        h[width] = zero
    if y + 1 < height:
        below = base + width
        for x in range(xa, xb):
            here = np.int64(el[U(base + x)]) * n
            down[U(x)] = cond[U(here + el[U(below + x)])] * (temp[U(below + x)] - old[U(x)])
    else:
        for x in range(xa, xb):
            down[U(x)] = zero
    if not up_known:
        if y > 0:
            top = base - width
            for x in range(xa, xb):
                here = np.int64(el[U(top + x)]) * n
                up[U(x)] = cond[U(here + el[U(base + x)])] * (old[U(x)] - above[U(x)])
        else:
            for x in range(xa, xb):
                up[U(x)] = zero
    air, rate, emit, burn = heat_el[H_AIR], heat_el[H_RATE], heat_el[H_EMIT], heat_el[H_BURN]
    for x in range(xa, xb):
        i = U(base + x)
        e = el[i]
        c = ctype[i]
        t = old[U(x)]
        flux = (h[U(x + 1)] - h[U(x)]) + (down[U(x)] - up[U(x)])
        flux = flux + air[e] * (ambient - t)
        total = t + flux
        fuel = burn[c]
        target = fuel if c != 0 and fuel == fuel else emit[e]
        temp[i] = total + rate[e] * (target - total)


@kernel
def heat_pass(
    el: Any,
    temp: Any,
    ctype: Any,
    awake: Any,
    changed: Any,
    cond: Any,
    heat_el: Any,
    width: int,
    height: int,
    ambient: float,
    rows: Any,
) -> None:
    """Advance every awake chunk's temperatures by one tick, marking chunks whose temperatures moved."""
    cw = (width + 15) >> 4
    n = heat_el.shape[1]
    amb = np.float32(ambient)
    above_saved = False  # whether rows holds the old temperatures of the row above
    for y in range(height):
        base_chunk = (y >> 4) * cw
        row_awake = False
        for cx in range(cw):
            if awake[base_chunk + cx] != 0:
                row_awake = True
                break
        if not row_awake:
            above_saved = False
            continue
        base = y * width
        old = rows[_OLD + (y & 1)]
        for x in range(width):
            old[U(x)] = temp[U(base + x)]
        if y > 0 and not above_saved:
            above = rows[_OLD + ((y + 1) & 1)]
            for x in range(width):
                above[U(x)] = temp[U(base - width + x)]
        # Within a chunk row every row has the same awake runs, so the edges below the row above are reusable.
        up_known = above_saved and (y & 15) != 0
        cx = 0
        while cx < cw:
            if awake[base_chunk + cx] == 0:
                cx += 1
                continue
            start = cx
            while cx < cw and awake[base_chunk + cx] != 0:
                cx += 1
            xa, xb = start << 4, min(cx << 4, width)
            heat_run(el, temp, ctype, cond, heat_el, n, y, xa, xb, width, height, amb, rows, up_known)
            for chunk in range(start, cx):
                if changed[base_chunk + chunk] != 0:
                    continue
                moved = False
                for x in range(chunk << 4, min((chunk << 4) + 16, width)):
                    moved |= abs(temp[U(base + x)] - old[U(x)]) > HEAT_EPSILON
                if moved:
                    changed[base_chunk + chunk] = 1
        above_saved = True
