"""Counter-based random numbers: a hash of (seed, tick, cell index, purpose), so the state needs no RNG state."""

from __future__ import annotations

import numpy as np

from particula.engine.jit import inline

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S8 = np.uint64(8)
_S40 = np.uint64(40)
INV24 = 1.0 / 16777216.0  # turns 24 random bits into a float in [0, 1)
INV24_F32 = np.float32(INV24)  # the same in float32 (exact: a power of two)

# Purposes: each random decision of a tick draws from its own stream, so adding one never shifts another.
P_MOVE = 1  # how a particle moves: which side it tries first, speed rounding, whether and where a gas drifts
P_REACT = 3  # reaction rolls (+ neighbour number 0..3)
P_LIFE = 8  # lifetime spread of a new particle
P_SHADE = 9  # colour variation of a new particle


@inline
def mix64(z: np.uint64) -> np.uint64:
    """SplitMix64's finaliser: a bijective, well-mixed hash of 64 bits."""
    z = z + GOLDEN
    z = (z ^ (z >> _S30)) * MIX1
    z = (z ^ (z >> _S27)) * MIX2
    return z ^ (z >> _S31)


@inline
def tick_key(seed: np.uint64, tick: np.uint64) -> np.uint64:
    """The per-tick key every draw of that tick starts from."""
    return mix64(mix64(seed) ^ tick)


@inline
def draw(key: np.uint64, index: int, purpose: int) -> np.uint64:
    """64 random bits for one decision of one cell in one tick."""
    return mix64(key ^ ((np.uint64(index) << _S8) | np.uint64(purpose)))


@inline
def uniform24(h: np.uint64) -> np.int64:
    """The top 24 bits of a draw, as an integer in [0, 2**24)."""
    return np.int64(h >> _S40)


@inline
def uniform(key: np.uint64, index: int, purpose: int) -> float:
    """A float in [0, 1) with 24 bits of resolution, exact in float32 and float64 alike."""
    return float(uniform24(draw(key, index, purpose))) * INV24
