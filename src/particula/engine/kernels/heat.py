"""Heat: conduction between the four neighbours, open space drifting to ambient, and heat sources.

An explicit (Jacobi) update: every new temperature is computed from the old ones, whatever the scan order, so
the result has no directional bias. Two row buffers hold the old values of the row above and of the current
row, so the plane is updated in place without a second full-size copy.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from particula.engine.jit import inline, kernel
from particula.engine.tables import F_BURN_T, F_EMIT_RATE, F_EMIT_T

AIR_RELAX = 0.02  # fraction of the gap to ambient that open space closes each tick
# A change smaller than this (degrees per tick) does not keep a chunk awake.
HEAT_EPSILON = np.float32(0.005)


@inline
def source_target(e: int, origin: int, floats: Any) -> float:
    """The temperature a heat source pulls toward: a fire burns as hot as its fuel says."""
    if origin != 0:
        burn = floats[origin, F_BURN_T]
        if not math.isnan(burn):
            return float(burn)
    return float(floats[e, F_EMIT_T])


@kernel
def heat_pass(
    el: Any,
    temp: Any,
    ctype: Any,
    awake: Any,
    changed: Any,
    conductance: Any,
    floats: Any,
    width: int,
    height: int,
    ambient: float,
    rows: Any,
) -> None:
    """Advance every awake chunk's temperatures by one tick, marking chunks whose temperatures moved."""
    cw = (width + 15) >> 4
    above_saved = False
    for y in range(height):
        base_chunk = (y >> 4) * cw
        row_awake = False
        for cx in range(cw):
            if awake[base_chunk + cx] != 0:
                row_awake = True
                break
        if not row_awake:
            above_saved = False  # this row is untouched, so the plane itself holds its old values
            continue
        base = y * width
        # Old temperatures of this row and the one above, in alternating halves of `rows`.
        current = rows[y & 1]
        above = rows[(y + 1) & 1]
        for x in range(width):
            current[x] = temp[base + x]
        for cx in range(cw):
            if awake[base_chunk + cx] == 0:
                continue
            moved = False
            for x in range(cx << 4, min((cx << 4) + 16, width)):
                t = float(current[x])
                left = float(current[x - 1]) if x > 0 else t
                up = t
                if y > 0:
                    up = float(above[x]) if above_saved else float(temp[base + x - width])
                # The cell's update is written out here: as a called function it cost ten times more.
                i = base + x
                e = el[i]
                right = float(temp[i + 1]) if x + 1 < width else t
                down = float(temp[i + width]) if y + 1 < height else t
                rate = floats[e, F_EMIT_RATE]
                if left == t and right == t and up == t and down == t and rate == 0.0 and (e != 0 or t == ambient):
                    continue
                flux = 0.0
                if x > 0:
                    flux += conductance[e, el[i - 1]] * (left - t)
                if x + 1 < width:
                    flux += conductance[e, el[i + 1]] * (right - t)
                if y > 0:
                    flux += conductance[e, el[i - width]] * (up - t)
                if y + 1 < height:
                    flux += conductance[e, el[i + width]] * (down - t)
                if e == 0:
                    flux += AIR_RELAX * (ambient - t)
                total = t + flux
                if rate > 0.0:
                    total += rate * (source_target(e, ctype[i], floats) - total)
                new = np.float32(total)
                if abs(new - current[x]) > HEAT_EPSILON:
                    moved = True
                temp[i] = new
            if moved:
                changed[base_chunk + cx] = 1
        above_saved = True
