"""How particles move: powders and liquids fall along their velocity or slide when resting, gases drift.

Gravity is one of eight directions `g` (-1 in zero-g) for sliding and drifting; the velocity itself is continuous.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from particula.engine.element_types import PHASE_LIQUID
from particula.engine.jit import inline, kernel
from particula.engine.kernels.cells import DX, DY, Cells, Tabs, become, can_enter, mark, swap
from particula.engine.rng import P_GAS, P_ROUND, P_SIDE, draw, uniform
from particula.engine.tables import F_DENSITY, F_DRIFT, I_MOVES_LIKE_ORIGIN, I_SPREAD

MAX_SPEED = 8.0  # cells per tick: keeps the cost of one particle's move bounded
# How far a liquid surface particle looks sideways for somewhere lower. At most one chunk: a change further
# away would not wake the particle's chunk, and it would sleep on a slope it could still run down.
LEVEL_SEARCH = 16
# A gas picks one of eight turns from "up" (against gravity): mostly up, sometimes up-sideways or sideways.
GAS_TURN = np.array([4, 4, 4, 3, 5, 2, 6, 4], np.int64)
_INV24 = 1.0 / 16777216.0


@inline
def move(a: int, b: int, xa: int, ya: int, xb: int, yb: int, p: Any, cells: Cells, changed: Any, stamp: Any) -> None:
    """Swap the particle at a into b, stamping both so neither acts again this tick."""
    swap(a, b, cells)
    stamp[a] = p[4]
    stamp[b] = p[4]
    mark(xa, ya, p[2], changed)
    mark(xb, yb, p[2], changed)


@inline
def side_target(x: int, y: int, d: int, density: float, phase: int, p: Any, cells: Cells, tabs: Tabs) -> int:
    """The neighbour in direction d if the particle may enter it, else -1 (walls block)."""
    nx, ny = x + DX[d], y + DY[d]
    if nx < 0 or ny < 0 or nx >= p[0] or ny >= p[1]:
        return -1
    j = ny * p[0] + nx
    return j if can_enter(density, phase, j, cells, tabs) else -1


@inline
def level_target(x: int, y: int, d: int, spread: int, p: Any, cells: Cells) -> int:
    """Where a surface particle walks along d: up to `spread` cells toward a drop within LEVEL_SEARCH, else -1.

    It only walks toward a drop; on a flat surface it stays, so a level pool falls asleep.
    """
    width, height, g = p[0], p[1], p[7]
    el = cells[0]
    for s in range(1, LEVEL_SEARCH + 1):
        nx, ny = x + s * DX[d], y + s * DY[d]
        if nx < 0 or ny < 0 or nx >= width or ny >= height or el[ny * width + nx] != 0:
            return -1
        bx, by = nx + DX[g], ny + DY[g]
        if 0 <= bx < width and 0 <= by < height and el[by * width + bx] == 0:
            step = min(s, spread)
            return int((y + step * DY[d]) * width + x + step * DX[d])
    return -1


@inline
def sink_target(x: int, y: int, d: int, density: float, phase: int, p: Any, cells: Cells, tabs: Tabs) -> int:
    """The neighbour along d if it holds a lighter liquid to trade places with (a drop wandering in oil)."""
    j = side_target(x, y, d, density, phase, p, cells, tabs)
    return j if j >= 0 and cells[0][j] != 0 else -1


@inline
def pick(i: int, a: int, b: int, key: np.uint64) -> int:
    """One of two candidate cells (-1 = none); a coin decides only when both are open."""
    if a >= 0 and b >= 0:
        return a if draw(key, i, P_SIDE) & np.uint64(1) else b
    return a if a >= 0 else b


@inline
def slide(
    i: int, x: int, y: int, density: float, phase: int, p: Any, cells: Cells, tabs: Tabs, changed: Any, stamp: Any
) -> None:
    """A resting powder or liquid slips diagonally downhill; a liquid also walks toward a drop."""
    width, g = p[0], p[7]
    j = pick(
        i,
        side_target(x, y, (g + 1) & 7, density, phase, p, cells, tabs),
        side_target(x, y, (g + 7) & 7, density, phase, p, cells, tabs),
        p[3],
    )
    if j < 0 and phase == PHASE_LIQUID:
        spread = int(tabs[0][cells[0][i], I_SPREAD])
        if spread > 0:
            j = pick(
                i,
                level_target(x, y, (g + 2) & 7, spread, p, cells),
                level_target(x, y, (g + 6) & 7, spread, p, cells),
                p[3],
            )
        if j < 0:
            j = pick(
                i,
                sink_target(x, y, (g + 2) & 7, density, phase, p, cells, tabs),
                sink_target(x, y, (g + 6) & 7, density, phase, p, cells, tabs),
                p[3],
            )
    if j >= 0:
        move(i, j, x, y, j % width, j // width, p, cells, changed, stamp)


@inline
def travel(
    i: int,
    x: int,
    y: int,
    ux: float,
    uy: float,
    density: float,
    phase: int,
    p: Any,
    cells: Cells,
    tabs: Tabs,
    changed: Any,
    stamp: Any,
) -> None:
    """Move along the velocity (ux, uy) cell by cell until blocked; store the velocity that remains."""
    width, height, walls = p[0], p[1], p[8]
    speed = max(abs(ux), abs(uy))
    steps = int(speed)
    # Fractions of a cell per tick are kept on average by rounding up with that probability.
    if uniform(p[3], i, P_ROUND) < speed - steps:
        steps += 1
    sx, sy = ux / speed, uy / speed
    px, py = x + 0.5, y + 0.5
    cur, cx, cy = i, x, y
    for _ in range(steps):
        px += sx
        py += sy
        nx, ny = math.floor(px), math.floor(py)
        if nx < 0 or ny < 0 or nx >= width or ny >= height:
            if not walls:  # fell off the edge of an open world
                become(cur, 0, False, p[3], cells, tabs)
                mark(cx, cy, p[2], changed)
                return
            ux = uy = 0.0
            break
        j = ny * width + nx
        if not can_enter(density, phase, j, cells, tabs):
            # Inelastic: take the blocker's velocity, so a falling block of particles falls as one.
            ux, uy = float(cells[2][j]), float(cells[3][j])
            break
        into_fluid = cells[0][j] != 0
        move(cur, j, cx, cy, nx, ny, p, cells, changed, stamp)
        cur, cx, cy = j, nx, ny
        if into_fluid:  # pushing through a liquid or gas takes the rest of the tick and the momentum
            ux = uy = 0.0
            break
    cells[2][cur] = np.float32(ux)
    cells[3][cur] = np.float32(uy)
    mark(cx, cy, p[2], changed)  # still in motion, even if it did not cross a cell this tick


@kernel
def fall(i: int, x: int, y: int, phase: int, p: Any, cells: Cells, tabs: Tabs, changed: Any, stamp: Any) -> None:
    """Powders and liquids: accelerate by gravity, then rest and slide, or travel."""
    width, height, ax, ay, g, walls = p[0], p[1], p[5], p[6], p[7], p[8]
    el, vx, vy, ctype = cells[0], cells[2], cells[3], cells[5]
    ints, floats = tabs[0], tabs[1]
    e = int(el[i])
    origin = int(ctype[i]) if ints[e, I_MOVES_LIKE_ORIGIN] == 1 and ctype[i] != 0 else e
    density = floats[origin, F_DENSITY]
    ux = min(max(vx[i] + ax, -MAX_SPEED), MAX_SPEED)
    uy = min(max(vy[i] + ay, -MAX_SPEED), MAX_SPEED)
    if g >= 0:
        gx, gy = x + DX[g], y + DY[g]
        if 0 <= gx < width and 0 <= gy < height:
            j = gy * width + gx
            # Resting needs a support that is not itself falling away; otherwise fall along with it.
            supported = not can_enter(density, phase, j, cells, tabs) and vx[j] * DX[g] + vy[j] * DY[g] <= 0.0
        else:
            supported = walls
        if supported and ux * DX[g] + uy * DY[g] >= 0.0:  # resting on something, not flung away from it
            if vx[i] != 0.0 or vy[i] != 0.0:
                vx[i] = 0.0
                vy[i] = 0.0
                mark(x, y, p[2], changed)
            slide(i, x, y, density, phase, p, cells, tabs, changed, stamp)
            return
    if ux != 0.0 or uy != 0.0:
        travel(i, x, y, ux, uy, density, phase, p, cells, tabs, changed, stamp)


@kernel
def drift(i: int, x: int, y: int, p: Any, cells: Cells, tabs: Tabs, changed: Any, stamp: Any) -> None:
    """Gases wander, mostly against gravity (randomly in zero-g); they keep their chunk awake."""
    width, height, g, walls = p[0], p[1], p[7], p[8]
    mark(x, y, p[2], changed)
    h = draw(p[3], i, P_GAS)
    if float(h >> np.uint64(40)) * _INV24 >= tabs[1][cells[0][i], F_DRIFT]:
        return
    turn = np.int64(h & np.uint64(7))
    d = turn if g < 0 else (g + GAS_TURN[turn]) & 7
    nx, ny = x + DX[d], y + DY[d]
    if nx < 0 or ny < 0 or nx >= width or ny >= height:
        if not walls:
            become(i, 0, False, p[3], cells, tabs)
        return
    j = ny * width + nx
    if cells[0][j] == 0:
        move(i, j, x, y, nx, ny, p, cells, changed, stamp)
