"""Per-cell helpers shared by the kernels: swapping particles, turning one element into another, blasts.

`cells` is the tuple (element, temperature, velocity_x, velocity_y, life, ctype, shade) of flat plane views;
`tabs` is (ints, floats, reaction_of, reaction_prob, reaction_result) from engine.tables.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from particula.engine.element_types import PHASE_SOLID
from particula.engine.jit import inline
from particula.engine.rng import P_LIFE, P_SHADE, draw
from particula.engine.tables import (
    F_BURN_T,
    F_SPAWN_T,
    I_BLAST,
    I_BURN_TIME,
    I_LEAVES,
    I_LIFE,
    I_LIFE_VAR,
    I_MOVES_LIKE_ORIGIN,
    I_PHASE,
    I_REMEMBERS,
)

Cells = tuple[Any, ...]
Tabs = tuple[Any, ...]

# The eight neighbour directions, counter-clockwise on screen from "right"; y grows downward.
DX = np.array([1, 1, 0, -1, -1, -1, 0, 1], np.int64)
DY = np.array([0, 1, 1, 1, 0, -1, -1, -1], np.int64)


@inline
def inside(x: int, y: int, width: int, height: int) -> bool:
    """Whether (x, y) is a cell of a width x height world."""
    return 0 <= x < width and 0 <= y < height


@inline
def mark(x: int, y: int, cw: int, changed: Any) -> None:
    """Record that something in the chunk holding (x, y) changed, so it and its neighbours stay awake."""
    changed[np.uint64((y >> 4) * cw + (x >> 4))] = 1


@inline
def swap(a: int, b: int, cells: Cells) -> None:
    """Exchange two cells' particles with everything they carry (temperature, velocity, life, ...)."""
    vx, vy = cells[2], cells[3]
    ua, ub = np.uint64(a), np.uint64(b)  # unsigned: no negative-index wraparound
    swap_all_but_velocity(a, b, cells)
    vx[ua], vx[ub] = vx[ub], vx[ua]
    vy[ua], vy[ub] = vy[ub], vy[ua]


@inline
def swap_all_but_velocity(a: int, b: int, cells: Cells) -> None:
    """swap, for a caller that sets both cells' velocities itself."""
    # Spelled out: Numba cannot loop over a tuple of arrays with different dtypes.
    el, temp, _, _, life, ctype, shade = cells
    ua, ub = np.uint64(a), np.uint64(b)
    el[ua], el[ub] = el[ub], el[ua]
    temp[ua], temp[ub] = temp[ub], temp[ua]
    life[ua], life[ub] = life[ub], life[ua]
    ctype[ua], ctype[ub] = ctype[ub], ctype[ua]
    shade[ua], shade[ub] = shade[ub], shade[ua]


@inline
def moving_phase(e: int, origin: int, ints: Any) -> int:
    """How a cell moves: a burning fuel moves like the fuel, everything else like its own element."""
    if ints[e, I_MOVES_LIKE_ORIGIN] == 1 and origin != 0:
        return int(ints[origin, I_PHASE])
    return int(ints[e, I_PHASE])


@inline
def residue(e: int, origin: int, default: int, ints: Any) -> int:
    """What `e` turns into instead of `default` when it remembers an origin that leaves something (ash, glass)."""
    if ints[e, I_REMEMBERS] == 1 and origin != 0 and ints[origin, I_LEAVES] >= 0:
        return int(ints[origin, I_LEAVES])
    return default


@inline
def become(i: int, new: int, set_temp: bool, key: np.uint64, cells: Cells, tabs: Tabs) -> int:
    """Turn cell i into element `new`, starting its lifetime; returns the element it was."""
    el, temp, life, ctype, shade = cells[0], cells[1], cells[4], cells[5], cells[6]
    ints, floats = tabs[0], tabs[1]
    old = int(el[i])
    el[i] = new
    if old == 0:
        shade[i] = np.uint8(draw(key, i, P_SHADE) & np.uint64(255))
    remembers = ints[new, I_REMEMBERS] == 1
    if remembers and old != new:
        ctype[i] = old
    elif not remembers:
        ctype[i] = 0
    span = ints[new, I_LIFE]
    if remembers and ints[old, I_BURN_TIME] > 0:
        span = ints[old, I_BURN_TIME]
    if span > 0:
        span += np.int64(draw(key, i, P_LIFE) % np.uint64(ints[new, I_LIFE_VAR]))
    life[i] = min(span, 65535)
    if set_temp:
        start = floats[old, F_BURN_T] if remembers else math.nan
        if math.isnan(start):
            start = floats[new, F_SPAWN_T]
        if not math.isnan(start):
            temp[i] = start
    if new == 0:
        cells[2][i] = 0.0
        cells[3][i] = 0.0
    return old


@inline
def blast(x: int, y: int, radius: int, key: np.uint64, p: Any, cells: Cells, tabs: Tabs, changed: Any) -> None:
    """An explosive caught fire at (x, y): fling loose particles outward and set other explosives alight."""
    width, height, cw = p[0], p[1], p[2]
    el, vx, vy = cells[0], cells[2], cells[3]
    ints = tabs[0]
    fire = int(el[y * width + x])
    strength = 2.0 * radius
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            d2 = dx * dx + dy * dy
            nx, ny = x + dx, y + dy
            if d2 == 0 or d2 > radius * radius or not inside(nx, ny, width, height):
                continue
            j = ny * width + nx
            e = int(el[j])
            if e == 0:
                continue
            if ints[e, I_BLAST] > 0:
                become(j, fire, True, key, cells, tabs)
            elif ints[e, I_PHASE] != PHASE_SOLID:
                scale = strength / d2
                vx[j] += np.float32(dx * scale)
                vy[j] += np.float32(dy * scale)
            mark(nx, ny, cw, changed)
