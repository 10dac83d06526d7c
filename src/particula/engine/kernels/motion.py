"""How particles move: powders and liquids fall along their velocity or slide when resting, gases drift.

Gravity is one of eight directions `g` (-1 in zero-g) for sliding and drifting; the velocity itself is continuous.
Every helper here is pasted into the particle pass (`update.py`) by Numba, so the common cases cost no call.

A particle moves as its *mover* element: itself, or for a burning fuel (fire remembering wood or oil) the fuel.
A mover may enter a cell that is empty, or, when the mover is no gas, that holds a lighter liquid or gas, which it
swaps with. The sequential paths ask `enter` (tables.Motion, one lookup); the decided one-cell moves compare the
target's rank with the mover's entry limit (tables.Motion.pair), the same rule as two numbers.

Randomness: one draw per particle and tick (purpose P_MOVE). Bit 0 is the coin that picks between two open
sides, bits 0-2 a gas's turn, and the top 24 bits the uniform number that rounds a fractional speed or decides
whether a gas drifts at all.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from particula.engine.element_types import PHASE_LIQUID
from particula.engine.jit import inline, kernel
from particula.engine.kernels.cells import DX, DY, Cells, Tabs, become, inside, mark, swap, swap_all_but_velocity
from particula.engine.rng import INV24_F32, P_MOVE, draw, uniform24
from particula.engine.tables import ENTER_ORIGIN, ENTER_SLOWS, K_MLO, K_PHASE, PAIR_KIND, TABLES

U = np.uint64  # an index cast: a signed index makes Numba add a negative-index wraparound to every access
MAX_SPEED = 8.0  # cells per tick: keeps the cost of one particle's move bounded
# Velocities are float32 in every sum, not only where they are stored: the decision loop then runs 16 lanes at once.
_MAX32, _HALF32 = np.float32(MAX_SPEED), np.float32(0.5)
# tables.Motion.pair as a global: Numba compiles it in as constant data, which LLVM knows no store can touch, so
# loops reading it may vectorise (with gathers); passed as an argument it could alias the rows a loop writes, and
# such loops stay scalar. (The kernel cache directory follows the digest of the engine's sources, element data
# included, so a changed table is never read from an old cache.)
PAIR, _N = TABLES.motion.pair, TABLES.motion.kind.size
# How far a liquid surface particle looks sideways for somewhere lower. At most one chunk: a change further
# away would not wake the particle's chunk, and it would sleep on a slope it could still run down.
LEVEL_SEARCH = 16
# A gas picks one of eight turns from "up" (against gravity): mostly up, sometimes up-sideways or sideways.
GAS_TURN = np.array([4, 4, 4, 3, 5, 2, 6, 4], np.int64)
_ONE = np.uint64(1)
_SEVEN = np.uint64(7)


@inline
def entry(a: int, j: int, n: int, cells: Cells, mt: Any) -> Any:
    """The `enter` bits (tables.Motion) of a particle moving as element a and cell j: bit 0 = it may move in
    (empty, or a lighter fluid to swap with), ENTER_SLOWS = j holds a liquid.

    One lookup, empty cells included, so there is no branch on whether j is empty (a random mix mispredicts it);
    only a burning fuel (ENTER_ORIGIN) needs a second look, at the fuel it moves as.
    """
    enter = mt[5]
    v = enter[U(a * n + np.int64(cells[0][U(j)]))]
    if v & ENTER_ORIGIN:
        c = np.int64(cells[5][U(j)])
        if c != 0:
            v = enter[U(a * n + c)]
    return v


@inline
def pair_of(e: Any, c: Any) -> Any:
    """tables.Motion.pair of a cell of element e holding ctype c."""
    return PAIR[U(np.int64(e) * _N + np.int64(c))]


@inline
def mover(e: int, c: int, kind: Any) -> int:
    """The element a particle of element e holding ctype c moves as: a burning fuel holding a fuel moves as it."""
    return c if (kind[e] & K_MLO) and c != 0 else e


@inline
def can_enter(a: int, j: int, n: int, cells: Cells, mt: Any) -> Any:
    """Whether a particle moving as element a may move into cell j (empty, or a lighter fluid to swap with)."""
    return entry(a, j, n, cells, mt) & 1


@inline
def move(a: int, b: int, xa: int, ya: int, xb: int, yb: int, p: Any, cells: Cells, changed: Any, stamp: Any) -> None:
    """Swap the particle at a into b, stamping both so neither acts again this tick."""
    swap(a, b, cells)
    stamp[U(a)] = p[4]
    stamp[U(b)] = p[4]
    mark(xa, ya, p[2], changed)
    mark(xb, yb, p[2], changed)


@inline
def side_target(x: int, y: int, d: int, a: int, n: int, p: Any, cells: Cells, mt: Any) -> int:
    """The neighbour in direction d if a particle moving as a may enter it, else -1 (walls block)."""
    nx, ny = x + DX[d], y + DY[d]
    if not inside(nx, ny, p[0], p[1]):
        return -1
    j = ny * p[0] + nx
    return j if can_enter(a, j, n, cells, mt) else -1


@inline
def level_target(x: int, y: int, d: int, spread: int, p: Any, el: Any) -> Any:
    """Where a surface particle walks along d: up to `spread` cells toward a drop within LEVEL_SEARCH, else -1.

    It only walks toward a drop; on a flat surface it stays, so a level pool falls asleep.
    """
    width, height, g = p[0], p[1], p[7]
    for s in range(1, LEVEL_SEARCH + 1):
        nx, ny = x + s * DX[d], y + s * DY[d]
        if not inside(nx, ny, width, height) or el[U(ny * width + nx)] != 0:
            return -1
        bx, by = nx + DX[g], ny + DY[g]
        if inside(bx, by, width, height) and el[U(by * width + bx)] == 0:
            step = min(s, spread)
            return (y + step * DY[d]) * width + x + step * DX[d]
    return -1


@inline
def pick(a: int, b: int, i: int, p: Any) -> int:
    """One of two candidate cells (-1 = none); the coin (bit 0 of the draw) decides only when both are open.

    The draw is made only then: most resting particles have no way open, and for them it would be most of the work.
    """
    if (a >= 0) & (b >= 0):
        return a if draw_move(i, p) & _ONE else b
    return a if a >= 0 else b


@inline
def slide(i: int, x: int, y: int, a: int, liquid: bool, n: int, p: Any, cells: Cells, mt: Any) -> int:
    """Where a resting powder or liquid goes: diagonally downhill; a liquid also toward a drop or through a lighter
    liquid beside it. -1 = it stays. The coin between two open ways is bit 0 of the tick's draw."""
    el = cells[0]
    g = p[7]
    first = side_target(x, y, (g + 1) & 7, a, n, p, cells, mt)
    second = side_target(x, y, (g + 7) & 7, a, n, p, cells, mt)
    if (not liquid) | (first >= 0) | (second >= 0):
        return pick(first, second, i, p)
    # The two cells beside it, read once: the surface walk needs one of them empty, the swap below one full.
    left, right = (g + 2) & 7, (g + 6) & 7
    lx, ly, rx, ry = x + DX[left], y + DY[left], x + DX[right], y + DY[right]
    l_in, r_in = inside(lx, ly, p[0], p[1]), inside(rx, ry, p[0], p[1])
    jl = ly * p[0] + lx if l_in else i
    jr = ry * p[0] + rx if r_in else i
    l_full, r_full = el[U(jl)] != 0, el[U(jr)] != 0
    spread = mt[3][a]
    if (spread > 0) & ((l_in & ~l_full) | (r_in & ~r_full)):
        first = level_target(x, y, left, spread, p, el)
        second = level_target(x, y, right, spread, p, el)
        if (first >= 0) | (second >= 0):
            return pick(first, second, i, p)
    # A drop wandering in a lighter liquid: trade places with it sideways.
    first = jl if l_in & l_full and can_enter(a, jl, n, cells, mt) else -1
    second = jr if r_in & r_full and can_enter(a, jr, n, cells, mt) else -1
    return pick(first, second, i, p)


@inline
def accelerate(v: np.float32, a: np.float32) -> np.float32:
    """A velocity component after one tick of acceleration a, clamped to MAX_SPEED, in float32."""
    return min(max(v + a, -_MAX32), _MAX32)


@inline
def draw_move(i: int, p: Any) -> np.uint64:
    """The particle's random bits for this tick (purpose P_MOVE)."""
    return draw(p[3], i, P_MOVE)


@kernel
def vanish(i: int, x: int, y: int, p: Any, cells: Cells, tabs: Tabs, changed: Any) -> None:
    """A particle left an open world (walls off): the cell becomes empty."""
    become(i, 0, False, p[3], cells, tabs)
    mark(x, y, p[2], changed)


@inline
def travel(
    i: int,
    x: int,
    y: int,
    ux: np.float32,
    uy: np.float32,
    a: int,
    u24: Any,
    n: int,
    p: Any,
    cells: Cells,
    tabs: Tabs,
    mt: Any,
    changed: Any,
    stamp: Any,
) -> None:
    """Move along the velocity (ux, uy) cell by cell until blocked; store the velocity that remains. `u24` is the
    uniform number of the particle's movement draw (uniform24 of draw_move)."""
    width, height = p[0], p[1]
    vx, vy = cells[2], cells[3]
    speed = max(abs(ux), abs(uy))
    steps = int(speed)
    # Fractions of a cell per tick are kept on average by rounding up with that probability.
    steps += int(np.float32(u24) * INV24_F32 < speed - np.float32(steps))
    cur, cx, cy = i, x, y
    if steps > 0:
        sx, sy = ux / speed, uy / speed
        px, py = np.float32(x) + _HALF32, np.float32(y) + _HALF32
        for _ in range(steps):
            px += sx
            py += sy
            nx, ny = math.floor(px), math.floor(py)
            if not inside(nx, ny, width, height):
                if not p[8]:  # fell off the edge of an open world
                    vanish(cur, cx, cy, p, cells, tabs, changed)
                    return
                ux = uy = np.float32(0.0)
                break
            j = ny * width + nx
            # One branch per step, on whether the particle goes on: the step itself is made with selects (a
            # blocked particle swaps with itself, which changes nothing; stamping its own cell is harmless, as
            # the pass never comes back to it).
            bits = entry(a, j, n, cells, mt)
            free = (bits & 1) != 0
            into_liquid = (bits & ENTER_SLOWS) != 0
            bx, by = vx[U(j)], vy[U(j)]
            to = j if free else cur
            swap(cur, to, cells)
            stamp[U(cur)] = p[4]
            stamp[U(to)] = p[4]
            c = U((ny >> 4) * p[2] + (nx >> 4))
            changed[c] = changed[c] | np.uint8(free)
            mark(cx, cy, p[2], changed)
            cur = to
            cx = nx if free else cx
            cy = ny if free else cy
            if (not free) | into_liquid:
                # Blocked, it takes the blocker's velocity (inelastic: a falling block of particles falls as
                # one); pushing into a liquid takes the rest of the tick and the momentum. Gases do not hold a
                # faller back: it swaps with them and goes on, as through empty space.
                ux = np.float32(0.0) if free else bx
                uy = np.float32(0.0) if free else by
                break
    vx[U(cur)] = np.float32(ux)
    vy[U(cur)] = np.float32(uy)
    mark(cx, cy, p[2], changed)  # still in motion, even if it did not cross a cell this tick


@inline
def one_cell(
    i: int,
    x: int,
    y: int,
    falls: bool,
    settles: bool,
    aim: int,
    limit: int,
    p: Any,
    cells: Cells,
    changed: Any,
    stamp: Any,
) -> None:
    """A decided move of at most one cell toward neighbour `aim` ((dy + 1) * 3 + dx + 1; 4 = stay), its target
    checked again (its rank below the mover's entry `limit`): a gas drifting, a particle coming to rest (`settles`:
    its velocity goes to 0) and maybe sliding, or a fall of one cell (`falls`: it takes its new velocity, which a
    liquid it enters takes all of, and a blocked fall takes the blocker's velocity, as travel does).

    Written without a branch on which of them it is, as they come in a random mix: a particle that stays swaps with
    itself, and its cell's stamp is set either way (nothing reads it again this tick)."""
    width, cw = p[0], p[2]
    vx, vy = cells[2], cells[3]
    ua = U(aim)  # unsigned: no sign fix-ups in the division
    dx, dy = int(ua % U(3)) - 1, int(ua // U(3)) - 1
    nx, ny = x + dx, y + dy
    j = i + dy * width + dx
    v = pair_of(cells[0][U(j)], cells[5][U(j)])
    free = (int(v & U(255)) < limit) & (j != i)
    vxi, vyi, vxj, vyj = vx[U(i)], vy[U(i)], vx[U(j)], vy[U(j)]
    moving = (vxi != 0.0) | (vyi != 0.0)
    slows = int((v >> U(PAIR_KIND)) & U(K_PHASE)) == PHASE_LIQUID
    zero = np.float32(0.0)
    # Its velocity afterwards: a fall's new one (none in a liquid) or the blocker's, none at rest, a gas its own.
    # The new one is computed whatever happens, so that the choices below compile to selects, not branches.
    fx, fy = accelerate(vxi, p[5]), accelerate(vyi, p[6])
    ux = zero if slows else fx
    uy = zero if slows else fy
    ux = ux if free else vxj
    uy = uy if free else vyj
    ux = ux if falls else (zero if settles else vxi)
    uy = uy if falls else (zero if settles else vyi)
    to = j if free else i
    swap_all_but_velocity(i, to, cells)
    vx[U(i)] = vxj  # the cell it leaves takes the target's velocity (overwritten below if it stays)
    vy[U(i)] = vyj
    vx[U(to)] = ux
    vy[U(to)] = uy
    stamp[U(i)] = p[4]
    stamp[U(to)] = p[4]
    here, there = U((y >> 4) * cw + (x >> 4)), U((ny >> 4) * cw + (nx >> 4))
    changed[here] |= np.uint8(free | falls | (settles & moving))
    changed[there] |= np.uint8(free)


@inline
def fall(
    i: int,
    x: int,
    y: int,
    a: int,
    liquid: bool,
    n: int,
    p: Any,
    cells: Cells,
    tabs: Tabs,
    mt: Any,
    changed: Any,
    stamp: Any,
) -> None:
    """Powders and liquids: accelerate by gravity, then rest and slide, or travel."""
    width, height, ax, ay, g = p[0], p[1], p[5], p[6], p[7]
    vx, vy = cells[2], cells[3]
    vx0, vy0 = vx[U(i)], vy[U(i)]
    ux, uy = accelerate(vx0, ax), accelerate(vy0, ay)
    if g >= 0:
        gdx, gdy = DX[g], DY[g]
        gx, gy = x + gdx, y + gdy
        if inside(gx, gy, width, height):
            j = gy * width + gx
            # Resting needs a support that is not itself falling away; otherwise fall along with it. Evaluated
            # in full with `&` rather than `and`: no branch on a coin-flip between falling and resting.
            away = vx[U(j)] * gdx + vy[U(j)] * gdy
            supported = (can_enter(a, j, n, cells, mt) == 0) & (away <= 0.0)
        else:
            supported = p[8]
        if supported & (ux * gdx + uy * gdy >= 0.0):  # resting on something, not flung away from it
            # Stop: zero the velocity (selects, not a branch); marking the chunk only if it was moving.
            moving = (vx0 != 0.0) | (vy0 != 0.0)
            vx[U(i)] = np.float32(0.0) if moving else vx0
            vy[U(i)] = np.float32(0.0) if moving else vy0
            c = U((y >> 4) * p[2] + (x >> 4))
            changed[c] = changed[c] | np.uint8(moving)
            j = slide(i, x, y, a, liquid, n, p, cells, mt)
            if j >= 0:
                move(i, j, x, y, j % width, j // width, p, cells, changed, stamp)
            return
    if ux != 0.0 or uy != 0.0:
        travel(i, x, y, ux, uy, a, uniform24(draw_move(i, p)), n, p, cells, tabs, mt, changed, stamp)


@inline
def drift(i: int, x: int, y: int, e: int, p: Any, cells: Cells, tabs: Tabs, mt: Any, changed: Any, stamp: Any) -> None:
    """Gases wander, mostly against gravity (randomly in zero-g); they keep their chunk awake."""
    width, height, g = p[0], p[1], p[7]
    mark(x, y, p[2], changed)
    h = draw_move(i, p)
    if uniform24(h) >= mt[4][e]:
        return
    turn = np.int64(h & _SEVEN)
    d = turn if g < 0 else (g + GAS_TURN[turn]) & 7
    nx, ny = x + DX[d], y + DY[d]
    if not inside(nx, ny, width, height):
        if not p[8]:
            vanish(i, x, y, p, cells, tabs, changed)
        return
    j = ny * width + nx
    if cells[0][U(j)] == 0:
        move(i, j, x, y, nx, ny, p, cells, changed, stamp)
