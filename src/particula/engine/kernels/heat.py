"""Heat: conduction between the four neighbours, open space drifting to ambient, and heat sources.

An explicit (Jacobi) update in float32: every new temperature is computed from the old ones, whatever the scan
order, so the result has no directional bias. For one cell, with `H` the heat crossing each vertical edge from
right to left and `V` the heat crossing each horizontal edge from below (`k * (T_other - T_this)`, 0 at the
world's border):

    flux  = (H_right - H_left) + (V_down - V_up)
    flux += air * (ambient - T)                     (air = AIR_RELAX for empty cells, else 0)
    total = T + flux
    total += rate * (target - total)                (heat sources; rate = 0 for everything else)

An edge's `k` is the harmonic mean of its two cells' conductivities (tables.edge_conductance), computed from
per-cell rows rather than looked up per pair of elements. Each edge is computed once and shared by its two cells.

Speed: the pass walks the rows of awake chunks. The only table lookups (an element's conductivity, whether it is
a heat source) are made once per cell into contiguous scratch rows; everything else is branch-free arithmetic over
those rows, which the compiler turns into vector instructions. Heat sources (fire, heaters, coolers, ...) are listed
by that lookup, and only they are pulled toward their temperature, one by one: looking a rate and a target up for
every cell cost more than the whole pull. A run of cells whose temperatures all stay as they were (a region in
balance, which most awake regions at the ambient temperature are) is not written back: a store would make the CPU
write the plane's memory back too (paired: A 0.967, C 0.985, 1600x1200 B without sleeping 0.987). `reference.heat`
is the same formula on whole arrays.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from particula.engine.jit import inline, kernel, lowest_bit, prefetch, signed_lookup16
from particula.engine.kernels.chunks import any_awake
from particula.engine.tables import AIR_RELAX, EDGE_SCALE, H_K, H_RATE, TABLES, padded

__all__ = ["heat_pass", "heat_scratch"]
# A change of at most this (degrees per tick) does not keep a chunk awake.
HEAT_EPSILON = np.float32(0.005)
# Scratch rows: old temperatures (two, alternating by row parity), H edges, V edges below (two, alternating), V
# edges above when they cannot be reused, and the conductivities of three consecutive rows (by row modulo 3); with
# them, the heat sources of those three rows (their columns, the count in the last slot). Last, the new temperatures
# of a run, stored only if one of them changed.
_OLD, _H, _DOWN, _UP, _K, _NEW = 0, 2, 3, 5, 6, 9
SCRATCH_ROWS = 10
_AIR = np.float32(AIR_RELAX)
_SCALE = np.float32(EDGE_SCALE)
_TINY = np.float32(1e-30)
# tables.H_K, the conductivity with its sign bit set for heat sources, padded for signed_lookup16. A global, compiled
# in as constant data.
_SIGNED_K = padded(TABLES.heat_el[H_K], np.float32)

U = np.uint64  # an index cast: a signed index makes Numba add a negative-index wraparound to every access


def heat_scratch(width: int) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """The heat pass's scratch buffers for a world `width` cells wide: rows of temperatures, edges and
    conductivities, and rows of heat sources."""
    return np.zeros((SCRATCH_ROWS, width + 1), np.float32), np.zeros((3, width + 1), np.int64)


@inline
def edge(ka: Any, kb: Any) -> Any:
    """Heat fraction per tick across an edge between conductivities ka and kb (tables.edge_conductance)."""
    return _SCALE * (ka * kb) / max(ka + kb, _TINY)


@kernel
def heat_run(
    el: Any,
    temp: Any,
    y: int,
    xa: int,
    xb: int,
    width: int,
    height: int,
    ambient: Any,
    rows: Any,
    up_known: bool,
) -> None:
    """New temperatures of cells xa <= x < xb of row y before heat sources pull (old temperatures of rows y and
    y-1 and the conductivities of rows y-1, y and y+1 already in `rows`)."""
    base = y * width
    old = rows[_OLD + (y & 1)]
    above = rows[_OLD + ((y + 1) & 1)]
    h = rows[_H]
    down = rows[_DOWN + (y & 1)]
    up = rows[_DOWN + ((y + 1) & 1)] if up_known else rows[_UP]
    k_up, k_here, k_down = rows[_K + (y + 2) % 3], rows[_K + y % 3], rows[_K + (y + 1) % 3]
    zero = np.float32(0.0)
    # Edges between x-1 and x, for xa <= x <= xb; the world's left and right borders carry nothing.
    first, last = max(xa, 1), min(xb, width - 1)
    for x in range(first, last + 1):
        h[U(x)] = edge(k_here[U(x - 1)], k_here[U(x)]) * (old[U(x)] - old[U(x - 1)])
    if xa == 0:
        h[0] = zero
    if xb == width:
        h[width] = zero
    if y + 1 < height:
        below = base + width
        for x in range(xa, xb):
            down[U(x)] = edge(k_here[U(x)], k_down[U(x)]) * (temp[U(below + x)] - old[U(x)])
    else:
        for x in range(xa, xb):
            down[U(x)] = zero
    if not up_known:
        if y > 0:
            for x in range(xa, xb):
                up[U(x)] = edge(k_up[U(x)], k_here[U(x)]) * (old[U(x)] - above[U(x)])
        else:
            for x in range(xa, xb):
                up[U(x)] = zero
    new = rows[_NEW]
    moved = False
    for x in range(xa, xb):
        t = old[U(x)]
        flux = (h[U(x + 1)] - h[U(x)]) + (down[U(x)] - up[U(x)])
        air = _AIR if el[U(base + x)] == 0 else zero
        flux = flux + air * (ambient - t)
        total = t + flux
        new[U(x)] = total
        moved |= (total != t) | (t == zero)  # a zero may change its sign without comparing unequal
    if moved:
        for x in range(xa, xb):
            temp[U(base + x)] = new[U(x)]


@kernel
def thermal_row(el: Any, y: int, width: int, rows: Any, sources: Any) -> None:
    """The one lookup by element: the conductivity of every cell of row y into the row's scratch row, and the columns
    of its heat sources listed. One lookup in tables.H_K gives both, the conductivity and, in its sign bit, whether
    the element is a heat source (two lookups took 40% longer).

    64 cells at a time: four jit.signed_lookup16 (two AVX-512 permutes each), then a bit scan over the sources' bits
    (~3 in 64 cells in scene C). The cells past the last whole 64 take the same lookup one by one, the sources listed
    without a branch."""
    r = y % 3
    k_row, listed = rows[_K + r], sources[r]
    base = y * width
    count = 0
    words = width >> 6
    for word in range(words):
        x0 = word << 6
        found = U(0)
        for quarter in range(4):
            x = x0 + (quarter << 4)
            found |= signed_lookup16(_SIGNED_K, el, U(base + x), k_row, U(x)) << U(quarter << 4)
        while found != 0:
            listed[U(count)] = x0 + np.int64(lowest_bit(found))
            found &= found - U(1)
            count += 1
    one = np.float32(1.0)
    for x in range(words << 6, width):
        v = _SIGNED_K[el[U(base + x)]]
        k_row[U(x)] = abs(v)
        listed[U(count)] = x
        count += math.copysign(one, v) < 0
    listed[U(width)] = count


@kernel
def pull_sources(
    el: Any, temp: Any, ctype: Any, rate: Any, heat_target: Any, y: int, width: int, awake: Any, sources: Any
) -> None:
    """Heat sources of row y in awake chunks pull themselves toward their temperature: a burning fuel's fire toward
    the fuel's burn temperature (tables.heat_target, by element and what it holds)."""
    n = np.int64(rate.shape[0])
    listed = sources[y % 3]
    base = y * width
    cb = (y >> 4) * ((width + 15) >> 4)
    for s in range(listed[U(width)]):
        x = listed[U(s)]
        if awake[U(cb + (x >> 4))] == 0:
            continue
        i = U(base + x)
        e = np.int64(el[i])
        total = temp[i]
        temp[i] = total + rate[e] * (heat_target[U(e * n + np.int64(ctype[i]))] - total)


@kernel
def heat_pass(
    el: Any,
    temp: Any,
    ctype: Any,
    awake: Any,
    changed: Any,
    heat_el: Any,
    heat_target: Any,
    width: int,
    height: int,
    ambient: float,
    scratch: Any,
) -> None:
    """Advance every awake chunk's temperatures by one tick, marking chunks whose temperatures moved. `scratch` is
    heat_scratch(width)."""
    rows, sources = scratch
    rate = heat_el[H_RATE]
    cw = (width + 15) >> 4
    amb = np.float32(ambient)
    above_saved = False  # whether rows holds the old temperatures of the row above
    # Thermal rows (thermal_row) made in this pass: k_low..k_high, of which the last three are still in `rows`. Rows are
    # visited downward and each needs the one above and below, so only a gap of sleeping rows starts a new run.
    k_low, k_high = 0, -1
    chunk_row, row_awake = -1, False  # the chunk map is read once per chunk row
    for y in range(height):
        base_chunk = (y >> 4) * cw
        if y >> 4 != chunk_row:
            chunk_row = y >> 4
            row_awake = any_awake(chunk_row, cw, awake)
        if not row_awake:
            above_saved = False
            continue
        base = y * width
        if y + 4 < height:  # the row four ahead, which a world too big for the cache reads from memory
            ahead = base + 4 * width
            for x in range(0, width, 16):
                prefetch(temp, U(ahead + x))
            for x in range(0, width, 64):
                prefetch(el, U(ahead + x))
                prefetch(ctype, U(ahead + x))
        old = rows[_OLD + (y & 1)]
        for x in range(width):
            old[U(x)] = temp[U(base + x)]
        if y > 0 and not above_saved:
            above = rows[_OLD + ((y + 1) & 1)]
            for x in range(width):
                above[U(x)] = temp[U(base - width + x)]
        lo, hi = max(y - 1, 0), min(y + 1, height - 1)
        if not k_low <= lo <= k_high + 1:
            k_low, k_high = lo, lo - 1
        for r in range(k_high + 1, hi + 1):
            thermal_row(el, r, width, rows, sources)
        k_high = max(k_high, hi)
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
            heat_run(el, temp, y, start << 4, min(cx << 4, width), width, height, amb, rows, up_known)
        pull_sources(el, temp, ctype, rate, heat_target, y, width, awake, sources)
        for chunk in range(cw):
            if awake[base_chunk + chunk] == 0 or changed[base_chunk + chunk] != 0:
                continue
            moved = False
            for x in range(chunk << 4, min((chunk << 4) + 16, width)):
                moved |= abs(temp[U(base + x)] - old[U(x)]) > HEAT_EPSILON
            if moved:
                changed[base_chunk + chunk] = 1
        above_saved = True
