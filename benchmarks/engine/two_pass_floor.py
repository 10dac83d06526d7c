"""The cost of a two-pass particle step: a branch-free, vectorised intent pass, then a sequential resolve pass.

What it measures: one simplified particle tick of the whole 800x600 world of scene C at tick 30, row by row from the
bottom. Per row, an intent pass computes every particle's intended move with branch-free code that LLVM compiles to
AVX-512; a resolve pass then walks only the particles that intend to move, rechecks each target (an earlier move may
have filled or emptied it), swaps all seven cell planes, stamps both cells and marks both chunks changed. It times
the intent pass alone, the whole tick (the resolve's share is the difference), a memory floor (a copy of the
element plane) and the real engine's particle pass on the same snapshot: the evidence for the redesign proposed in
docs/PERFORMANCE.md ("Where the time goes now"). Run it with `.venv/bin/python benchmarks/engine/two_pass_floor.py`
(well under a minute).

This is not the engine's motion and need not agree with it; only the cost matters, though it does conserve
particles and is deterministic (both are checked). Simplifications: gravity points straight down (row y+1 is below
row y); one intent per particle and tick, from its cell and its neighbours in the rows above and below; no liquid
levelling, reactions, lifetimes, heat or tools; a "further" fall goes straight down, a cell at a time, until
blocked. Intents: 0 stays, 1 falls a cell, 2 slides down-left, 3 down-right, 4 a gas drifts, 5 falls further.
The resolve order (cells left to right) settles conflicts: a particle already moved into or out of this tick is
skipped; a powder or liquid blocked at the recheck stops.

What Numba and LLVM need before the intent pass vectorises:
1. The cell loop must be in a function of its own, called once per row. Written inside the bottom-to-top row
   loop, LLVM's runtime alias check includes the negative row step, always fails and runs the scalar loop.
2. No `a if c else b` in the cell loop: Numba compiles it to a branch. Every load is unconditional and the
   results are combined with 0/1 masks and arithmetic.
3. The SplitMix64 hash vectorises (vpmullq on zmm registers) only in a loop of its own over a contiguous uint64
   row whose length is a multiple of 8; the cell loop then reads the hashes from that row.
And from the resolve pass (variants since removed): a branch-free resolve (selects for the one-cell moves) was
slower, ~3.0 against ~2.8 ms, as its cost is dependent loads, not mispredictions. Walking the list and rechecking
is ~1.1 ms of it; swapping the five planes the rules do not read ~0.3 ms; keeping the scratch rows in step ~0.3 ms.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import numba
import numpy as np

from particula.commands.bench import scene_c
from particula.engine.kernels.cells import swap
from particula.engine.state import CELL_PLANES
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
NAMES = tuple(name for name, _ in CELL_PLANES)  # element, temperature, velocity_x, velocity_y, life, ctype, shade
GDX = np.array([0, 0, 0, -1, 1, -1, 1, 0], np.int64)  # a gas's turn (z & 7): 0,1,2,7 up, 3 up-left,
GDY = np.array([-1, -1, -1, -1, -1, 0, 0, -1], np.int64)  # 4 up-right, 5 left, 6 right
SDX = np.array([0, 0, -1, 1, 0, 0], np.int64)  # intents 1, 2, 3: the column step into row y+1


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
        # Gases: drift with the element's chance, in the direction z & 7 picks (GDX, GDY); the target must be empty.
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


@inline
def can_enter(e: Any, b: Any, kind: Any, dens: Any) -> Any:
    """1 if a powder or liquid of element e can go into a cell holding b: empty, or a lighter liquid or gas."""
    return enterable(kind[b] & np.uint8(7), dens[b], dens[e], B1)


@inline
def move(i: Any, j: Any, x: int, y: int, nx: int, ny: int, row: int, cw: int, sv: Any, planes: Any, stamp: Any,
         changed: Any, kind: Any, dens: Any, ph: Any, de: Any) -> None:  # fmt: skip
    """Swap cells i = (x, y) and j = (nx, ny) in all seven planes; stamp both, mark both chunks changed, and keep
    the scratch rows (rows row-1 .. row+1, while resolving row `row`) in step with both."""
    swap(i, j, planes)  # the engine's own swap of all seven planes
    el = planes[0]
    for c, cx, cy in ((i, x, y), (j, nx, ny)):
        stamp[c] = sv
        changed[U((cy >> 4) * cw + (cx >> 4))] = 1
        if cy <= row + 1:
            ph[cy % 3, cx + 1] = kind[el[c]] & np.uint8(7)
            de[cy % 3, cx + 1] = dens[el[c]]


@jit
def resolve_row(y: int, width: int, height: int, cw: int, sv: Any, planes: Any, kind: Any, dens: Any, ir: Any,
                vo: Any, hrow: Any, todo: Any, stamp: Any, changed: Any, ph: Any, de: Any,
                stats: Any) -> int:  # fmt: skip
    """Apply row y's intents in order, each rechecked against the grid as it is now. Returns the particles moved;
    stats[0] counts those skipped as already stamped this tick, stats[1] those blocked at the recheck."""
    el, vy = planes[0], planes[3]
    base = y * width
    for x in range(width):  # every powder and liquid takes its new speed (vo == vy for everything else)
        vy[U(base + x)] = vo[U(x)]
    n = 0
    for x in range(width):  # the movers' columns, compacted without a branch
        todo[U(n)] = x
        n += ir[U(x)] != 0
    moves = 0
    for k in range(n):
        x = todo[U(k)]
        i = U(base + x)
        if stamp[i] == sv:  # moved into (or out of) this tick
            stats[0] += 1
            continue
        r = ir[U(x)]
        if r == 4:  # a gas: into an empty cell only
            t = hrow[U(x)] & SEVEN
            nx, ny = x + GDX[t], y + GDY[t]
            j = U(ny * width + nx)
            if el[j] == 0:
                move(i, j, x, y, nx, ny, y, cw, sv, planes, stamp, changed, kind, dens, ph, de)
                moves += 1
            else:
                stats[1] += 1
        elif r == 5:  # further: floor(speed) cells straight down, one swap a cell, until blocked
            e = el[i]
            cur, cy = i, y
            blocked = False
            for _ in range(np.int64(vy[i])):
                j = U((cy + 1) * width + x)
                if cy + 1 >= height or not can_enter(e, el[j], kind, dens):
                    blocked = True
                    break
                move(cur, j, x, cy, x, cy + 1, y, cw, sv, planes, stamp, changed, kind, dens, ph, de)
                cur, cy = j, cy + 1
            if blocked:
                vy[cur] = F0
                stats[1] += 1
            moves += cy != y
        else:  # one cell down, down-left or down-right
            nx = x + SDX[r]
            j = U((y + 1) * width + nx)
            if can_enter(el[i], el[j], kind, dens):
                move(i, j, x, y, nx, y + 1, y, cw, sv, planes, stamp, changed, kind, dens, ph, de)
                moves += 1
            else:
                vy[i] = F0
                stats[1] += 1
    return moves


@jit
def two_pass_tick(planes: Any, vy2: Any, cw: int, sv: Any, kind: Any, dens: Any, drift: Any, key: Any, stamp: Any,
                  changed: Any, intent: Any, vy_out: Any, ph: Any, de: Any, dr: Any, hrow: Any, zeros: Any, todo: Any,
                  stats: Any, resolve: bool) -> int:  # fmt: skip
    """One tick, rows bottom to top: the row's intents, then (if resolve) its resolve. vy2: velocity_y as rows;
    ph, de: three padded scratch rows, used round-robin (y % 3). Returns the moves, or without the resolve the
    non-zero intents (and changes no plane)."""
    el = planes[0]
    height, width = vy2.shape
    start(el, kind, dens, width, height, ph, de)
    count = 0
    for y in range(height - 1, -1, -1):
        cur, below, above = y % 3, (y + 1) % 3, (y + 2) % 3
        if y == 0:  # a wall row above the world
            ph[above, :] = PHASE_SOLID
            de[above, :] = WALL_DENSITY
        lookup_row(el, y, width, kind, dens, drift, ph[above], de[above], dr)
        hash_row(key, U(y * width), hrow, U(hrow.size))
        vy_below = zeros if y == height - 1 else vy2[y + 1]
        n = intent_row(width, ph[cur], ph[below], ph[above], de[cur], de[below], dr, vy2[y], vy_below, hrow,
                       intent[y], vy_out[y])  # fmt: skip
        if resolve:
            n = resolve_row(y, width, height, cw, sv, planes, kind, dens, intent[y], vy_out[y], hrow, todo, stamp,
                            changed, ph, de, stats)  # fmt: skip
        count += n
    return count


@jit
def copy_floor(el: Any, out: Any, width: int, height: int) -> int:
    """Memory floor: copy the element plane row by row, bottom to top."""
    for y in range(height - 1, -1, -1):
        base = U(y * width)
        for x in range(width):
            out[base + U(x)] = el[base + U(x)]
    return out[0]


def best_median_ms(run: Callable[[], Any], reset: Callable[[], Any] = lambda: None) -> float:
    """Median of 30 runs, best of 3 (other work on the machine only ever slows a run down); reset() restores the
    snapshot before each run, outside the timing."""
    reset()
    run()  # compile and warm up outside the measurement
    medians = []
    for _ in range(3):
        times = []
        for _ in range(30):
            reset()
            t = time.perf_counter()
            run()
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
    state, stepper = world.state, world._stepper
    snap = {name: state.planes[name].copy() for name in NAMES}
    height, width = snap["element"].shape
    ch, cw = state.chunk_awake.shape
    sv = np.uint32(state.tick % 0xFFFFFFFF + 1)  # this tick's stamp value, as Stepper.step makes it
    kind = np.ascontiguousarray(TABLES.motion.kind, np.uint8)
    dens = np.ascontiguousarray(TABLES.floats[:, 0], np.float32)
    drift = np.clip(TABLES.motion.drift, 0, 1 << 24).astype(np.uint32)
    key = U(0x1234_5678_9ABC_DEF1)  # any tick key will do
    stamp, changed, stats = np.zeros(width * height, np.uint32), np.zeros(ch * cw, np.uint8), np.zeros(2, np.int64)
    intent, vy_out = np.zeros((height, width), np.int8), np.zeros((height, width), np.float32)
    ph, de = np.zeros((3, width + 2), np.uint8), np.zeros((3, width + 2), np.float32)
    dr, hrow = np.zeros(width + 2, np.uint32), np.zeros((width + 7) // 8 * 8, np.uint64)
    zeros = np.zeros(width, np.float32)  # the speed of the wall below the bottom row
    todo = np.zeros(width, np.int64)  # one row's movers
    work = {name: np.empty_like(plane) for name, plane in snap.items()}  # the prototype's planes
    planes = tuple(work[name].reshape(-1) for name in NAMES)
    el = snap["element"].reshape(-1)

    def reset() -> None:
        for name in NAMES:
            np.copyto(work[name], snap[name])
        stamp[:] = changed[:] = stats[:] = 0

    def tick(resolve: bool = True) -> int:
        return two_pass_tick(planes, work["velocity_y"], cw, sv, kind, dens, drift, key, stamp, changed, intent,
                             vy_out, ph, de, dr, hrow, zeros, todo, stats, resolve)  # fmt: skip

    intent_ms = best_median_ms(lambda: tick(resolve=False), reset)
    reset()
    count = tick(resolve=False)
    hist = np.bincount(intent.view(np.uint8).ravel(), minlength=len(INTENTS))
    tick_ms = best_median_ms(tick, reset)
    copy = np.zeros(height * width, np.uint8)
    floor_ms = best_median_ms(lambda: copy_floor(el, copy, width, height))

    # Conservation (element counts after one tick) and determinism (a second run leaves the same everything).
    reset()
    moves = tick()
    skipped, blocked = stats
    conserved = np.array_equal(np.bincount(el, minlength=256), np.bincount(planes[0], minlength=256))
    first = [plane.copy() for plane in (*planes, stamp, changed)]
    reset()
    tick()
    same = all(np.array_equal(a, b, equal_nan=True) for a, b in zip(first, (*planes, stamp, changed), strict=True))

    # The real engine's particle pass on the same snapshot, every chunk awake.
    awake = np.ones(ch * cw, np.uint8)

    def engine_reset() -> None:
        for name in NAMES:
            np.copyto(state.planes[name], snap[name])
        stepper._stamp[:] = stepper.changed[:] = 0

    def engine_run() -> None:
        stepper.particle_pass(awake)

    engine_ms = best_median_ms(engine_run, engine_reset)

    print(f"scene C at tick 30, {width}x{height}: median of 30 runs, best of 3")
    print(f"intent pass only:   {intent_ms:.3f} ms ({intent_ms * 1e6 / (width * height):.2f} ns a cell)")
    print(f"two-pass tick:      {tick_ms:.3f} ms")
    print(f"resolve share:      {tick_ms - intent_ms:.3f} ms (the difference)")
    print(f"memory floor:       {floor_ms:.3f} ms (a copy of the element plane)")
    print(f"engine update_pass: {engine_ms:.3f} ms (the real particle pass, same snapshot, every chunk awake)")
    print(f"intents on the snapshot: {count} non-zero ({count / intent.size:.1%} of cells): ", end="")
    print(", ".join(f"{name} {n}" for name, n in zip(INTENTS, hist, strict=True)))
    print(f"moves applied per tick: {moves}; blocked at recheck: {blocked}; skipped as stamped: {skipped}")
    print(f"conserved: {'yes' if conserved else 'no'}; deterministic: {'yes' if same else 'no'}")
    print(f"intent_row: {vector_code(intent_row)}")
    print(f"hash_row:   {vector_code(hash_row)}")


if __name__ == "__main__":
    main()
