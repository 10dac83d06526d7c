"""Placing elements into a world's planes: rectangles and round brushes, deterministic from seed and tick."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from particula.engine.rng import GOLDEN, MIX1, MIX2, P_LIFE, P_SHADE
from particula.engine.state import CHUNK, WorldState
from particula.engine.tables import F_SPAWN_T, I_LIFE, I_LIFE_VAR, TABLES

_MASK64 = (1 << 64) - 1
_PAINT_SALT = 0x5041494E54  # painting draws from its own stream, apart from the tick's


def _mix(z: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    # SplitMix64's finaliser on arrays (array integer arithmetic wraps silently, as the kernels' does).
    z = z + GOLDEN
    z = (z ^ (z >> np.uint64(30))) * MIX1
    z = (z ^ (z >> np.uint64(27))) * MIX2
    return z ^ (z >> np.uint64(31))


def _draws(state: WorldState, index: npt.NDArray[np.uint64], purpose: int) -> npt.NDArray[np.uint64]:
    key = _mix(np.array([(state.seed ^ _PAINT_SALT) & _MASK64], np.uint64)) ^ np.uint64(state.tick & _MASK64)
    key = _mix(key)
    return _mix(key ^ ((index << np.uint64(8)) | np.uint64(purpose)))


def place(state: WorldState, mask: npt.NDArray[np.bool_], y0: int, x0: int, element_id: int) -> None:
    """Put `element_id` into the cells where `mask` (a window at (y0, x0)) is true, and wake those chunks."""
    height, width = mask.shape
    if height == 0 or width == 0 or not mask.any():
        return
    window = (slice(y0, y0 + height), slice(x0, x0 + width))
    ys, xs = np.nonzero(mask)
    index = ((ys + y0).astype(np.uint64) * np.uint64(state.settings.width)) + (xs + x0).astype(np.uint64)
    spawn = float(TABLES.floats[element_id, F_SPAWN_T])
    planes = state.planes
    planes["element"][window][mask] = element_id
    planes["temperature"][window][mask] = state.settings.ambient_temp if np.isnan(spawn) else spawn
    planes["velocity_x"][window][mask] = 0.0
    planes["velocity_y"][window][mask] = 0.0
    planes["ctype"][window][mask] = 0
    base_life = int(TABLES.ints[element_id, I_LIFE])
    life = np.zeros(index.shape, np.uint16)
    if base_life > 0:
        spread = _draws(state, index, P_LIFE) % np.uint64(TABLES.ints[element_id, I_LIFE_VAR])
        life = np.minimum(base_life + spread, 65535).astype(np.uint16)
    planes["life"][window][mask] = life
    shade = (_draws(state, index, P_SHADE) & np.uint64(255)).astype(np.uint8)
    planes["shade"][window][mask] = 0 if element_id == 0 else shade
    _wake(state, y0, x0, y0 + height, x0 + width)


def _wake(state: WorldState, y0: int, x0: int, y1: int, x1: int) -> None:
    # The chunks painted and their neighbours: erasing a floor must wake the sand resting on it.
    ch, cw = state.chunk_awake.shape
    cy0, cx0 = max(y0 // CHUNK - 1, 0), max(x0 // CHUNK - 1, 0)
    cy1, cx1 = min((y1 - 1) // CHUNK + 2, ch), min((x1 - 1) // CHUNK + 2, cw)
    state.chunk_awake[cy0:cy1, cx0:cx1] = 1


def rect_mask(state: WorldState, x0: int, y0: int, x1: int, y1: int) -> tuple[npt.NDArray[np.bool_], int, int]:
    """The in-bounds part of the rectangle [x0, x1) x [y0, y1) as (mask, y0, x0)."""
    s = state.settings
    cx0, cy0 = max(x0, 0), max(y0, 0)
    cx1, cy1 = min(x1, s.width), min(y1, s.height)
    return np.ones((max(cy1 - cy0, 0), max(cx1 - cx0, 0)), np.bool_), cy0, cx0


def disc_mask(state: WorldState, x: int, y: int, radius: int) -> tuple[npt.NDArray[np.bool_], int, int]:
    """The in-bounds cells within `radius` of (x, y) as (mask, y0, x0)."""
    mask, y0, x0 = rect_mask(state, x - radius, y - radius, x + radius + 1, y + radius + 1)
    ys = np.arange(y0, y0 + mask.shape[0])[:, None] - y
    xs = np.arange(x0, x0 + mask.shape[1])[None, :] - x
    return mask & (xs * xs + ys * ys <= radius * radius), y0, x0
