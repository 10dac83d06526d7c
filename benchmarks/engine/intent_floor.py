"""The cost floor of a data-parallel "intent" pass for the particle step.

What it measures: how long it takes to compute every particle's intended move for one tick, for the whole
800x600 world of scene C at tick 30, with branch-free per-row code that LLVM compiles to AVX-512. This is the
evidence for the redesign of the particle pass proposed in docs/PERFORMANCE.md ("Where the time goes now"): a
cheap intent pass, then a resolve pass over only the particles that move. It also times the parts of the pass
on their own (the per-cell table lookups, the hashing) and a memory floor (a plain copy of the element plane).

Run it with `.venv/bin/python benchmarks/engine/intent_floor.py` (well under a minute).

This is not the engine's motion and is not meant to agree with it; only the cost matters. Simplifications:
gravity points straight down (row y+1 is below row y, rows are visited bottom to top); each particle gets one
intent per tick from its own cell and its neighbours in the rows above and below, with no path walked and no
conflicts resolved; no liquid levelling, reactions, lifetimes, heat or tools. Intent codes: 0 stays, 1 falls one
cell, 2 slides down-left, 3 slides down-right, 4 a gas drifts, 5 falls further than a cell.

Three things Numba and LLVM need before this vectorises:
1. The cell loop must be in a function of its own, called once per row. Written inside the bottom-to-top row
   loop, LLVM's runtime alias check includes the negative row step, always fails and runs the scalar loop.
2. No `a if c else b` in the cell loop: Numba compiles it to a branch. Every load is unconditional and the
   results are combined with 0/1 masks and arithmetic.
3. The SplitMix64 hash vectorises (vpmullq on zmm registers) only in a loop of its own over a contiguous uint64
   row whose length is a multiple of 8; the cell loop then reads the hashes from that row.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import numba
import numpy as np

from particula.commands.bench import scene_c
from particula.engine.stepper import ACCEL_PER_MPS2
from particula.engine.tables import TABLES

# The engine's flags (src/particula/engine/jit.py) without the disk cache; never parallel.
jit = numba.njit(cache=False, nogil=True, fastmath=False, error_model="numpy", _nrt=False)
inline = numba.njit(inline="always", cache=False, nogil=True, fastmath=False, error_model="numpy", _nrt=False)

U = np.uint64  # index casts: a signed index makes Numba add negative-index wraparound to every access
ONE, SEVEN, S40 = U(1), U(7), U(40)
B1 = np.uint8(1)
F0 = np.float32(0.0)
AY = np.float32(9.8 * ACCEL_PER_MPS2)  # default gravity, cells per tick per tick, straight down
MAX_SPEED = np.float32(8.0)  # cells per tick, as in kernels/motion.py
INV24 = np.float32(1.0 / (1 << 24))
WALL_DENSITY = np.float32(1e30)  # the world's edges are solid walls nothing can displace
PHASE_EMPTY, PHASE_SOLID, PHASE_POWDER, PHASE_LIQUID, PHASE_GAS = 0, 1, 2, 3, 4
INTENTS = ("stay", "down", "down-left", "down-right", "gas", "further")


@inline
def mix(z: Any) -> Any:
    """SplitMix64: 64 random bits from a cell's index xor the tick's key."""
    z = z + U(0x9E3779B97F4A7C15)
    z = (z ^ (z >> U(30))) * U(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> U(27))) * U(0x94D049BB133111EB)
    return z ^ (z >> U(31))


@jit
def lookup_row(el: Any, y: int, width: int, kind: Any, dens: Any, drift: Any, ph_up: Any, de_up: Any, dr: Any) -> None:
    """Scalar table lookups: the drift threshold of row y, and the phase and density of row y-1 (above)."""
    base, up = U(y * width), U((y - 1) * width)
    for x in range(width):
        dr[U(x) + ONE] = drift[el[base + U(x)]]
        if y > 0:
            a = el[up + U(x)]
            ph_up[U(x) + ONE] = kind[a] & np.uint8(7)
            de_up[U(x) + ONE] = dens[a]


@jit
def hash_row(key: Any, base: Any, hrow: Any, n8: Any) -> None:
    """The random bits of cells base .. base+n8-1 (n8 a multiple of 8) into the contiguous row hrow."""
    for x in range(n8):
        hrow[x] = mix(key ^ (base + U(x)))


@inline
def enterable(q: Any, below_density: Any, density: Any, not_gas: Any) -> Any:
    """1 if a particle of this density can go into a cell of phase q: empty, or a lighter liquid or gas."""
    fluid = np.uint8((q == PHASE_LIQUID) | (q == PHASE_GAS))
    return np.uint8(q == PHASE_EMPTY) | (not_gas & fluid & np.uint8(below_density < density))


@jit
def intent_row(width: int, pc: Any, pb: Any, pa: Any, dc: Any, db: Any, dr: Any, vy: Any, vy_below: Any, hrow: Any,
               intent: Any, vy_out: Any) -> int:  # fmt: skip
    """One row's intents, branch-free. pc/pb/pa: phases of this row, below and above; dc/db: densities;
    all padded by a wall column on each side, so cell x is at k = x+1. Returns the number of non-zero intents."""
    n = 0
    for xx in range(width):
        x = U(xx)
        k = x + ONE
        p, d, v, z = pc[k], dc[k], vy[x], hrow[x]
        # Powders and liquids: fall while the cell below is free or the particle below is still moving;
        # the speed says how far (the fraction of a cell by a random draw); once supported, slide diagonally.
        speed = min(v + AY, MAX_SPEED)
        not_gas = np.uint8(p != PHASE_GAS)
        e_l = enterable(pb[k - ONE], db[k - ONE], d, not_gas)
        e_b = enterable(pb[k], db[k], d, not_gas)
        e_r = enterable(pb[k + ONE], db[k + ONE], d, not_gas)
        supported = (e_b ^ B1) & np.uint8(vy_below[x] <= F0)
        top = z >> S40  # 24 random bits
        whole = np.floor(speed)
        steps = np.int32(whole) + np.int32(np.float32(top) * INV24 < speed - whole)
        fall = np.uint8(steps == 1) + np.uint8(5) * np.uint8(steps > 1)
        coin = np.uint8(z & ONE)  # both diagonals free: the low bit picks one
        go_l = e_l & ((e_r ^ B1) | coin)
        go_r = e_r & ((e_l ^ B1) | (coin ^ B1))
        side = np.uint8(2) * go_l + (np.uint8(3) - np.uint8(3) * go_l) * go_r
        mover = np.uint8((p == PHASE_POWDER) | (p == PHASE_LIQUID))
        moved = supported * side + (supported ^ B1) * fall
        # Gases: drift with the element's chance; z & 7 turns the move: 0,1,2,7 up, 3 up-left, 4 up-right,
        # 5 left, 6 right. The target must be empty.
        t = np.uint8(z & SEVEN)
        drifts = np.uint8(np.uint32(top) < dr[k])
        free = (
            (np.uint8((t < 3) | (t == 7)) & np.uint8(pa[k] == PHASE_EMPTY))
            | (np.uint8(t == 3) & np.uint8(pa[k - ONE] == PHASE_EMPTY))
            | (np.uint8(t == 4) & np.uint8(pa[k + ONE] == PHASE_EMPTY))
            | (np.uint8(t == 5) & np.uint8(pc[k - ONE] == PHASE_EMPTY))
            | (np.uint8(t == 6) & np.uint8(pc[k + ONE] == PHASE_EMPTY))
        )
        r = mover * moved + np.uint8(p == PHASE_GAS) * np.uint8(4) * (drifts & free)
        intent[x] = np.int8(r)
        # New vertical speed: kept for non-movers, 0 once supported, else the accelerated speed.
        keep = np.float32(mover ^ B1)
        stop = np.float32(supported & mover)
        vy_out[x] = keep * v + (np.float32(1.0) - keep) * (np.float32(1.0) - stop) * speed
        n += np.int64(r != 0)
    return n


@inline
def start(el: Any, kind: Any, dens: Any, width: int, height: int, ph: Any, de: Any) -> None:
    """Wall columns at both ends of every scratch row, a wall row below the world, and the bottom row's phases."""
    for s in range(3):
        ph[s, 0] = ph[s, width + 1] = PHASE_SOLID
        de[s, 0] = de[s, width + 1] = WALL_DENSITY
    ph[height % 3, :] = PHASE_SOLID
    de[height % 3, :] = WALL_DENSITY
    for x in range(width):
        a = el[U((height - 1) * width + x)]
        ph[(height - 1) % 3, x + 1] = kind[a] & np.uint8(7)
        de[(height - 1) % 3, x + 1] = dens[a]


@jit
def intent_pass(el: Any, vy: Any, kind: Any, dens: Any, drift: Any, key: Any, intent: Any, vy_out: Any, ph: Any,
                de: Any, dr: Any, hrow: Any, zeros: Any) -> int:  # fmt: skip
    """Every cell's intent, rows bottom to top. ph, de: three padded scratch rows, used round-robin (y % 3)."""
    height, width = vy.shape
    start(el, kind, dens, width, height, ph, de)
    n8 = U(hrow.size)
    count = 0
    for y in range(height - 1, -1, -1):
        cur, below, above = y % 3, (y + 1) % 3, (y + 2) % 3
        if y == 0:  # a wall row above the world
            ph[above, :] = PHASE_SOLID
            de[above, :] = WALL_DENSITY
        lookup_row(el, y, width, kind, dens, drift, ph[above], de[above], dr)
        hash_row(key, U(y * width), hrow, n8)
        vy_below = zeros if y == height - 1 else vy[y + 1]
        count += intent_row(width, ph[cur], ph[below], ph[above], de[cur], de[below], dr, vy[y], vy_below, hrow,
                            intent[y], vy_out[y])  # fmt: skip
    return count


@jit
def lookups_only(el: Any, kind: Any, dens: Any, drift: Any, width: int, height: int, ph: Any, de: Any, dr: Any) -> int:
    for y in range(height - 1, -1, -1):
        lookup_row(el, y, width, kind, dens, drift, ph[(y + 2) % 3], de[(y + 2) % 3], dr)
    return ph[0, 1]


@jit
def hash_only(key: Any, width: int, height: int, hrow: Any) -> Any:
    """The hash rows alone, xor-reduced so that the compiler cannot drop them (the xor costs ~0.01 ms)."""
    acc = U(0)
    for y in range(height - 1, -1, -1):
        hash_row(key, U(y * width), hrow, U(hrow.size))
        for x in range(hrow.size):
            acc ^= hrow[x]
    return acc


@jit
def copy_floor(el: Any, out: Any, width: int, height: int) -> int:
    """Memory floor: copy the element plane row by row, bottom to top."""
    for y in range(height - 1, -1, -1):
        base = U(y * width)
        for x in range(width):
            out[base + U(x)] = el[base + U(x)]
    return out[0]


def best_median_ms(fn: Callable[..., Any], args: tuple[Any, ...]) -> float:
    """Median of 30 runs, best of 3 (other work on the machine only ever slows a run down)."""
    fn(*args)  # compile and warm up outside the measurement
    medians = []
    for _ in range(3):
        times = []
        for _ in range(30):
            t = time.perf_counter()
            fn(*args)
            times.append(time.perf_counter() - t)
        medians.append(float(np.median(times)) * 1e3)
    return min(medians)


def vector_code(fn: Any) -> str:
    """Whether a compiled kernel uses AVX-512: its zmm register operands and 64-bit vector multiplies."""
    asm = fn.inspect_asm(fn.signatures[0])
    zmm, vpmullq = len(re.findall(r"%zmm\d+", asm)), len(re.findall(r"\bvpmullq\b", asm))
    return f"{zmm} zmm operands, {vpmullq} vpmullq"


def main() -> None:
    world = scene_c(800, 600)
    world.step(30)
    planes = world.state.planes
    height, width = planes["element"].shape
    el = np.ascontiguousarray(planes["element"]).ravel()
    vy = np.ascontiguousarray(planes["velocity_y"], np.float32)
    kind = np.ascontiguousarray(TABLES.motion.kind, np.uint8)
    dens = np.ascontiguousarray(TABLES.floats[:, 0], np.float32)
    drift = np.clip(TABLES.motion.drift, 0, 1 << 24).astype(np.uint32)
    key = U(0x1234_5678_9ABC_DEF1)  # any tick key will do
    intent = np.zeros((height, width), np.int8)
    vy_out = np.zeros((height, width), np.float32)
    ph, de = np.zeros((3, width + 2), np.uint8), np.zeros((3, width + 2), np.float32)
    dr = np.zeros(width + 2, np.uint32)
    hrow = np.zeros((width + 7) // 8 * 8, np.uint64)
    zeros = np.zeros(width, np.float32)  # the speed of the wall below the bottom row
    copy = np.zeros(height * width, np.uint8)

    args = (el, vy, kind, dens, drift, key, intent, vy_out, ph, de, dr, hrow, zeros)
    ms = best_median_ms(intent_pass, args)
    count = intent_pass(*args)
    print(f"scene C at tick 30, {width}x{height}: median of 30 runs, best of 3")
    print(f"intent pass:  {ms:.3f} ms ({ms * 1e6 / (width * height):.2f} ns a cell)")
    ms = best_median_ms(lookups_only, (el, kind, dens, drift, width, height, ph, de, dr))
    print(f"lookups only: {ms:.3f} ms")
    print(f"hash only:    {best_median_ms(hash_only, (key, width, height, hrow)):.3f} ms")
    print(f"memory floor: {best_median_ms(copy_floor, (el, copy, width, height)):.3f} ms (copy of the element plane)")
    hist = np.bincount(intent.view(np.uint8).ravel(), minlength=len(INTENTS))
    print(f"non-zero intents: {count} ({count / intent.size:.1%} of cells)")
    print("  " + ", ".join(f"{name} {n}" for name, n in zip(INTENTS, hist, strict=True)))
    print(f"intent_row: {vector_code(intent_row)}")
    print(f"hash_row:   {vector_code(hash_row)}")


if __name__ == "__main__":
    main()
