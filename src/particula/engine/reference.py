"""Slow, obvious versions of the kernels (pure Python and NumPy) that the tests compare the kernels with."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from particula.engine.element_data import ELEMENTS
from particula.engine.element_types import PHASE_GAS, PHASE_LIQUID, PHASE_SOLID, Element
from particula.engine.reaction_data import REACTIONS
from particula.engine.rng import P_MOVE
from particula.engine.state import CELL_PLANES
from particula.engine.tables import AIR_RELAX, F_BURN_T, F_EMIT_RATE, F_EMIT_T, TABLES

_MASK = (1 << 64) - 1


def mix64(z: int) -> int:
    """SplitMix64's finaliser on Python integers."""
    z = (z + 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def draw(seed: int, tick: int, index: int, purpose: int) -> int:
    """The 64 random bits the kernels draw for (seed, tick, cell index, purpose)."""
    key = mix64(mix64(seed) ^ tick)
    return mix64(key ^ ((index << 8) | purpose))


def heat(
    element: npt.NDArray[np.uint8], temperature: npt.NDArray[np.float32], ctype: npt.NDArray[np.uint8], ambient: float
) -> npt.NDArray[np.float32]:
    """One tick of heat over the whole grid (every chunk awake), by whole-array float32 arithmetic."""
    t = temperature.astype(np.float32)
    k = TABLES.conductance
    h, w = t.shape
    # Heat crossing each vertical edge from the right cell to the left one, 0 at the borders; likewise upward.
    across = np.zeros((h, w + 1), np.float32)
    across[:, 1:w] = k[element[:, :-1], element[:, 1:]] * (t[:, 1:] - t[:, :-1])
    upward = np.zeros((h + 1, w), np.float32)
    upward[1:h] = k[element[:-1], element[1:]] * (t[1:] - t[:-1])
    flux = (across[:, 1:] - across[:, :-1]) + (upward[1:] - upward[:-1])
    air = np.where(element == 0, np.float32(AIR_RELAX), np.float32(0.0))
    flux = flux + air * (np.float32(ambient) - t)
    total = t + flux
    floats = TABLES.floats.astype(np.float32)
    rate = floats[element, F_EMIT_RATE]
    burn = floats[ctype, F_BURN_T]
    emit = np.where(rate > 0, floats[element, F_EMIT_T], np.float32(0.0))
    target = np.where((ctype != 0) & ~np.isnan(burn), burn, emit)
    # Only heat sources pull (rate > 0); everything else keeps its total as it is.
    result: npt.NDArray[np.float32] = np.where(rate > 0, total + rate * (target - total), total)
    return result


def settle(changed: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """The next awake map: `changed` dilated by one chunk in all eight directions."""
    padded = np.pad(changed, 1)
    out = np.zeros_like(changed)
    h, w = changed.shape
    for dy in range(3):
        for dx in range(3):
            out |= padded[dy : dy + h, dx : dx + w]
    return out


# -- movement -------------------------------------------------------------------------------------------------

_DX = (1, 1, 0, -1, -1, -1, 0, 1)
_DY = (0, 1, 1, 1, 0, -1, -1, -1)
_GAS_TURN = (4, 4, 4, 3, 5, 2, 6, 4)
_PLANES = tuple(name for name, _ in CELL_PLANES)


class _Grid:
    """Plain Python lists of one world's planes, with the obvious rules of who may go where."""

    def __init__(self, planes: dict[str, npt.NDArray[np.generic]]) -> None:
        self.height, self.width = int(planes["element"].shape[0]), int(planes["element"].shape[1])
        self.cells = {name: planes[name].reshape(-1).tolist() for name in _PLANES}
        self.moved: set[int] = set()  # cells that took part in a move this tick
        self.changed: set[tuple[int, int]] = set()  # chunks (cy, cx) where something changed

    def element(self, i: int) -> Element:
        return ELEMENTS[int(self.cells["element"][i])]

    def inside(self, x: int, y: int) -> bool:
        return 0 <= x < self.width and 0 <= y < self.height

    def mark(self, x: int, y: int) -> None:
        self.changed.add((y // 16, x // 16))

    def may_enter(self, mover: Element, i: int) -> bool:
        """Empty cells, and for anything but a gas, lighter liquids and gases (they swap)."""
        target = self.element(i)
        if target.name == "empty":
            return True
        fluid = target.phase in (PHASE_LIQUID, PHASE_GAS)
        return bool(mover.phase != PHASE_GAS and fluid and target.density < mover.density)

    def move(self, a: int, b: int) -> None:
        for plane in self.cells.values():
            plane[a], plane[b] = plane[b], plane[a]
        self.moved.update((a, b))
        self.mark(a % self.width, a // self.width)
        self.mark(b % self.width, b // self.width)


def motion(
    planes: dict[str, npt.NDArray[np.generic]], *, seed: int, tick: int, ax: float, ay: float, walls: bool = True
) -> tuple[dict[str, npt.NDArray[np.generic]], set[tuple[int, int]]]:
    """One tick of the particle pass over a whole grid (every chunk awake), for grids of powders, liquids and gases
    that neither react, change state nor count a lifetime (`ax`, `ay` in cells per tick per tick).

    Returns the new planes and the chunks (cy, cx) marked as changed. Written for clarity, cell by cell.
    """
    grid = _Grid(planes)
    for i, value in enumerate(grid.cells["element"]):
        element = ELEMENTS[value]
        timed = element.life > 0 or element.remembers
        if timed or any(r.a == element.name for r in REACTIONS) or element.phase == PHASE_SOLID:
            raise ValueError(f"the movement reference does not cover {element.name} (cell {i})")
    g = _gravity_direction(ax, ay)
    x_forward = ax < 0 or (ax == 0 and tick % 2 == 0)
    y_forward = ay < 0 or (ay == 0 and tick % 2 == 0)
    rows = range(grid.height) if y_forward else range(grid.height - 1, -1, -1)
    columns = list(range(grid.width)) if x_forward else list(range(grid.width - 1, -1, -1))
    for y in rows:
        # Every particle of the row decides from the row as it is now; then the decisions are carried out in scan
        # order, each target checked again.
        decisions = {x: _decide(grid, x, y, g, seed, tick, ax, ay) for x in columns}
        if g in (0, 4):  # gravity along the rows: every particle acts at its turn
            decisions = dict.fromkeys(columns, ("act", -1))
        for x, (decision, _) in decisions.items():
            # Settled as soon as the row has decided: gases keep their chunk awake; a particle crossing no cell
            # this tick takes its new speed.
            if decision in ("drift", "coast"):
                grid.mark(x, y)
            if decision == "coast":
                i = y * grid.width + x
                vx, vy = grid.cells["velocity_x"], grid.cells["velocity_y"]
                vx[i], vy[i] = _f32(_accelerate(vx[i], ax)), _f32(_accelerate(vy[i], ay))
        for x in columns:
            i = y * grid.width + x
            element = grid.element(i)
            if element.name == "empty" or i in grid.moved:
                continue
            bits = draw(seed, tick, i, P_MOVE)
            decision, target = decisions[x]
            if decision == "act":  # the sequential rules, from the cells as they are now
                if element.phase == PHASE_GAS:
                    _drift(grid, x, y, element, g, bits, walls)
                else:
                    _fall(grid, x, y, element, g, bits, ax, ay, walls)
            elif decision == "drift":
                if target >= 0 and grid.element(target).name == "empty":
                    grid.move(i, target)
            elif decision == "travel":
                vx, vy = grid.cells["velocity_x"], grid.cells["velocity_y"]
                ux, uy = _accelerate(vx[i], ax), _accelerate(vy[i], ay)
                _travel(grid, x, y, element, bits, ux, uy, walls)
            elif decision == "settle":
                _stop(grid, x, y)
                if target >= 0 and grid.may_enter(element, target):
                    grid.move(i, target)
    out = {
        name: np.array(grid.cells[name], dtype=planes[name].dtype).reshape(grid.height, grid.width) for name in _PLANES
    }
    return out, grid.changed


def _decide(grid: _Grid, x: int, y: int, g: int, seed: int, tick: int, ax: float, ay: float) -> tuple[str, int]:
    """What the particle at (x, y) will do, decided from the cells as they are: ("stay" | "act" | "drift" | "coast" |
    "settle", target cell or -1). Cells on the world's edge, past a temperature threshold, falling across a cell
    this tick, or liquids that may seek a level or trade places sideways act by the sequential rules at their turn."""
    i = y * grid.width + x
    element = grid.element(i)
    if element.name == "empty":
        return "stay", -1
    t = grid.cells["temperature"][i]
    edge = x in (0, grid.width - 1) or y in (0, grid.height - 1)
    if edge or not _limit(element.low_temp, -math.inf) <= t <= _limit(element.high_temp, math.inf):
        return "act", -1
    bits = draw(seed, tick, i, P_MOVE)
    if element.phase == PHASE_GAS:
        turn = bits & 7
        d = turn if g < 0 else (g + _GAS_TURN[turn]) % 8
        j = (y + _DY[d]) * grid.width + x + _DX[d]
        drifts = (bits >> 40) / 2.0**24 < element.drift and grid.element(j).name == "empty"
        return "drift", j if drifts else -1
    if element.phase == PHASE_SOLID:
        return "stay", -1
    vx, vy = grid.cells["velocity_x"], grid.cells["velocity_y"]
    ux, uy = _accelerate(vx[i], ax), _accelerate(vy[i], ay)
    if g >= 0:
        j = (y + _DY[g]) * grid.width + x + _DX[g]
        falling_away = vx[j] * _DX[g] + vy[j] * _DY[g] > 0.0
        if not grid.may_enter(element, j) and not falling_away and ux * _DX[g] + uy * _DY[g] >= 0.0:
            first, second = _side(grid, x, y, (g + 1) % 8, element), _side(grid, x, y, (g + 7) % 8, element)
            target = _choose(first, second, bits & 1 == 1)
            if target >= 0:
                return "settle", target
            if element.phase == PHASE_LIQUID:
                beside = [(y + _DY[d]) * grid.width + x + _DX[d] for d in ((g + 2) % 8, (g + 6) % 8)]
                full = [grid.element(j).name != "empty" for j in beside]
                seeks_level = element.spread > 0 and not all(full)
                trades = any(f and grid.may_enter(element, j) for f, j in zip(full, beside, strict=True))
                if seeks_level or trades:
                    return "act", -1
            moving = vx[i] != 0.0 or vy[i] != 0.0
            return ("settle" if moving else "stay"), -1
    if ux == 0.0 and uy == 0.0:
        return "stay", -1
    speed = max(abs(ux), abs(uy))
    crosses = speed >= 1.0 or (bits >> 40) / 2.0**24 < speed
    return ("travel" if crosses else "coast"), -1


def _limit(threshold: float | None, never: float) -> float:
    """A state-change temperature as the kernels hold it (float32), or `never`."""
    return never if threshold is None else float(np.float32(threshold))


def _stop(grid: _Grid, x: int, y: int) -> None:
    """A particle coming to rest: its velocity is zeroed, and its chunk marked if it was moving."""
    i = y * grid.width + x
    vx, vy = grid.cells["velocity_x"], grid.cells["velocity_y"]
    if vx[i] != 0.0 or vy[i] != 0.0:
        vx[i] = vy[i] = 0.0
        grid.mark(x, y)


def _gravity_direction(ax: float, ay: float) -> int:
    if ax == 0.0 and ay == 0.0:
        return -1
    return round(math.atan2(ay, ax) / (math.pi / 4)) % 8


def _drift(grid: _Grid, x: int, y: int, element: Element, g: int, bits: int, walls: bool) -> None:
    grid.mark(x, y)
    if (bits >> 40) / 2.0**24 >= element.drift:
        return
    turn = bits & 7
    d = turn if g < 0 else (g + _GAS_TURN[turn]) % 8
    nx, ny = x + _DX[d], y + _DY[d]
    if not grid.inside(nx, ny):
        if not walls:
            _vanish(grid, x, y)
        return
    j = ny * grid.width + nx
    if grid.element(j).name == "empty":
        grid.move(y * grid.width + x, j)


def _vanish(grid: _Grid, x: int, y: int) -> None:
    i = y * grid.width + x
    grid.cells["element"][i] = 0
    grid.cells["ctype"][i] = 0
    grid.cells["life"][i] = 0
    grid.cells["velocity_x"][i] = 0.0
    grid.cells["velocity_y"][i] = 0.0
    grid.mark(x, y)


def _accelerate(v: float, a: float) -> float:
    """A velocity component after one tick of acceleration a, clamped to 8 cells per tick, summed in float32."""
    return float(min(max(np.float32(v) + np.float32(a), np.float32(-8.0)), np.float32(8.0)))


def _f32(value: float) -> float:
    return float(np.float32(value))


def _fall(grid: _Grid, x: int, y: int, element: Element, g: int, bits: int, ax: float, ay: float, walls: bool) -> None:
    i = y * grid.width + x
    vx, vy = grid.cells["velocity_x"], grid.cells["velocity_y"]
    ux, uy = _accelerate(vx[i], ax), _accelerate(vy[i], ay)
    if g >= 0:
        gx, gy = x + _DX[g], y + _DY[g]
        if grid.inside(gx, gy):
            j = gy * grid.width + gx
            falling_away = vx[j] * _DX[g] + vy[j] * _DY[g] > 0.0
            supported = not grid.may_enter(element, j) and not falling_away
        else:
            supported = walls
        if supported and ux * _DX[g] + uy * _DY[g] >= 0.0:
            if vx[i] != 0.0 or vy[i] != 0.0:
                vx[i] = vy[i] = 0.0
                grid.mark(x, y)
            target = _slide(grid, x, y, element, g, bits & 1 == 1)
            if target >= 0:
                grid.move(i, target)
            return
    if ux == 0.0 and uy == 0.0:
        return
    _travel(grid, x, y, element, bits, ux, uy, walls)


def _travel(grid: _Grid, x: int, y: int, element: Element, bits: int, ux: float, uy: float, walls: bool) -> None:
    """Cell by cell along (ux, uy) until blocked; the velocity left is stored."""
    i = y * grid.width + x
    vx, vy = grid.cells["velocity_x"], grid.cells["velocity_y"]
    speed = max(abs(ux), abs(uy))
    steps = int(speed) + (1 if (bits >> 40) / 2.0**24 < speed - int(speed) else 0)
    cur, cx, cy = i, x, y
    # Positions and directions in float32, as the kernel steps them.
    px, py = np.float32(x) + np.float32(0.5), np.float32(y) + np.float32(0.5)
    sx, sy = np.float32(ux) / np.float32(speed), np.float32(uy) / np.float32(speed)
    for _ in range(steps):
        px += sx
        py += sy
        nx, ny = math.floor(px), math.floor(py)
        if not grid.inside(nx, ny):
            if not walls:
                _vanish(grid, cx, cy)
                return
            ux = uy = 0.0
            break
        j = ny * grid.width + nx
        if not grid.may_enter(element, j):
            ux, uy = vx[j], vy[j]
            break
        into_liquid = grid.element(j).phase == PHASE_LIQUID
        grid.move(cur, j)
        cur, cx, cy = j, nx, ny
        if into_liquid:  # a liquid takes the rest of the tick and the momentum; a gas is passed through
            ux = uy = 0.0
            break
    vx[cur], vy[cur] = _f32(ux), _f32(uy)
    grid.mark(cx, cy)


def _side(grid: _Grid, x: int, y: int, d: int, element: Element) -> int:
    nx, ny = x + _DX[d], y + _DY[d]
    if not grid.inside(nx, ny):
        return -1
    j = ny * grid.width + nx
    return j if grid.may_enter(element, j) else -1


def _choose(first: int, second: int, coin: bool) -> int:
    if first >= 0 and second >= 0:
        return first if coin else second
    return max(first, second)


def _slide(grid: _Grid, x: int, y: int, element: Element, g: int, coin: bool) -> int:
    """Diagonally downhill; a liquid also walks toward a drop, or trades places with a lighter liquid beside it."""
    target = _choose(_side(grid, x, y, (g + 1) % 8, element), _side(grid, x, y, (g + 7) % 8, element), coin)
    if target >= 0 or element.phase != PHASE_LIQUID:
        return target
    sides = ((g + 2) % 8, (g + 6) % 8)
    if element.spread > 0:
        level = [_level(grid, x, y, d, g, element.spread) for d in sides]
        target = _choose(level[0], level[1], coin)
        if target >= 0:
            return target
    beside = [_side(grid, x, y, d, element) for d in sides]
    beside = [j if j >= 0 and grid.element(j).name != "empty" else -1 for j in beside]
    return _choose(beside[0], beside[1], coin)


def _level(grid: _Grid, x: int, y: int, d: int, g: int, spread: int) -> int:
    """Up to `spread` cells along d toward a drop seen within 16 empty cells; -1 if there is none."""
    for s in range(1, 17):
        nx, ny = x + s * _DX[d], y + s * _DY[d]
        if not grid.inside(nx, ny) or grid.element(ny * grid.width + nx).name != "empty":
            return -1
        bx, by = nx + _DX[g], ny + _DY[g]
        if grid.inside(bx, by) and grid.element(by * grid.width + bx).name == "empty":
            step = min(s, spread)
            return int((y + step * _DY[d]) * grid.width + x + step * _DX[d])
    return -1
