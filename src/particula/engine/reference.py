"""Slow, obvious versions of the kernels (pure Python and NumPy) that the tests compare the kernels with."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from particula.engine.kernels.heat import AIR_RELAX
from particula.engine.tables import F_BURN_T, F_EMIT_RATE, F_EMIT_T, TABLES

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
    """One tick of heat over the whole grid (every chunk awake), by whole-array arithmetic."""
    t = temperature.astype(np.float64)
    k = TABLES.conductance
    flux = np.zeros_like(t)
    # Same order of additions as the kernel (left, right, up, down), so the sums round identically.
    flux[:, 1:] += k[element[:, 1:], element[:, :-1]] * (t[:, :-1] - t[:, 1:])
    flux[:, :-1] += k[element[:, :-1], element[:, 1:]] * (t[:, 1:] - t[:, :-1])
    flux[1:, :] += k[element[1:, :], element[:-1, :]] * (t[:-1, :] - t[1:, :])
    flux[:-1, :] += k[element[:-1, :], element[1:, :]] * (t[1:, :] - t[:-1, :])
    flux += np.where(element == 0, AIR_RELAX * (ambient - t), 0.0)
    new = t + flux
    rate = TABLES.floats[element, F_EMIT_RATE]
    burn = TABLES.floats[ctype, F_BURN_T]
    target = np.where((ctype != 0) & ~np.isnan(burn), burn, TABLES.floats[element, F_EMIT_T])
    new = np.where(rate > 0, new + rate * (target - new), new)
    return new.astype(np.float32)


def settle(changed: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """The next awake map: `changed` dilated by one chunk in all eight directions."""
    padded = np.pad(changed, 1)
    out = np.zeros_like(changed)
    h, w = changed.shape
    for dy in range(3):
        for dx in range(3):
            out |= padded[dy : dy + h, dx : dx + w]
    return out
