"""The first half of a row's turn in the particle pass: every particle's decision, made at once from the row as it
is when its turn comes, with branch-free arithmetic that LLVM compiles to vector instructions.

A decision is one byte per cell (below). Particles whose move depends on more than their neighbours at that moment
(special elements, a temperature past a threshold, a fall that crosses cells, a liquid looking for a level, cells on
the world's edge) get ACT: they follow the sequential rules when their turn in the row comes (update.py). The
others are decided here; update.py then carries the row's decisions out in scan order, checking each target again.

How the loops are written, so that they vectorise: each is a function of its own, called per row (inside the row
loop the alias check LLVM adds always fails); every load is unconditional and results are combined with 0/1 masks
and arithmetic (Numba compiles `a if c else b` and `and` to branches); table lookups happen in plain loops of their
own into scratch rows; the random bits are hashed in a loop of their own over a whole number of eight-lane vectors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

from particula.engine.jit import (
    every_lane,
    inline,
    int_vector,
    joined,
    kernel,
    lanes_of,
    load_vector,
    lookup_vector,
    prefetch,
    store_vector,
)
from particula.engine.kernels.motion import accelerate, pair_of
from particula.engine.rng import INV24_F32, P_MOVE, draw
from particula.engine.tables import (
    K_LEVELS,
    K_MLO,
    K_PHASE,
    K_REACTIVE,
    K_TIMED,
    K_TOOL,
    PAIR_DRIFT,
    PAIR_KIND,
    PAIR_LIMIT,
    TABLES,
    padded,
)

U = np.uint64
# In this order: STAY, COAST and DRIFT are settled when the row decides (every decision above DRIFT is carried
# out), and from DRIFT_MOVE on a decision is a move of at most one cell toward its `aim` (motion.one_cell). COAST,
# DRIFT and DRIFT_MOVE keep their chunk awake (as COUNTS_DOWN does).
STAY, COAST, DRIFT, ACT, TRAVEL, DRIFT_MOVE, SETTLE, SETTLE_FIRST, SETTLE_SECOND, STEP = range(10)
AIM_NONE = 4  # the aim of a particle that stays where it is (aim_code(0, 0))
COUNTS_DOWN = 16  # added to a decision: first count the particle's lifetime down (it has more than one tick left)
# Added to a decision: the particle keeps its chunk awake whatever happens next (COAST, DRIFT, DRIFT_MOVE and
# COUNTS_DOWN: gases, lifetimes counting down, speeds changing).
KEEPS_AWAKE = 32
WHAT = 15  # the decision without COUNTS_DOWN and KEEPS_AWAKE
# The directions a decision looks along, as rows of `dirs` (dx, dy): gravity, the two downhill diagonals (first,
# second), the two sides (left, right); and `turns`: the eight directions a gas may drift in (by its 3 random bits).
D_GRAVITY, D_FIRST, D_SECOND, D_LEFT, D_RIGHT = range(5)
# The other tables the lookups read, as globals like motion.PAIR (see there).
_PARTNERS, _BOUNDS = TABLES.motion.partners, TABLES.motion.bounds
_N = TABLES.motion.kind.size
_LOW32, _MINUS_ZERO = U(0xFFFFFFFF), U(0x80000000)
# Flags of the row kind byte (lookup_row), beside the phase and K_LEVELS.
ROW_SIMPLE = 8  # the decisions may take the particle in: nothing special is due this tick
ROW_COUNTS = 16  # its lifetime counts down this tick (it has more than one tick left)


def _reaction_words(kind: npt.NDArray[np.uint8], partners: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint16]:
    """The reaction partners (tables.Motion.partners) as two 16-bit words per element, for lookup64: each reactive
    element (K_REACTIVE) gets a bit of its own (the first row; 0 for the others), and the second row has, for each
    element, the bits of the reactive elements that react with it. A cell has a partner beside it where its own word
    and a neighbour's second-row word share a bit: the scalar rule (K_REACTIVE and a partner's bit), whatever the
    tables hold."""
    reactive = np.nonzero(kind & K_REACTIVE)[0]
    if reactive.size > 16:
        raise ValueError("more than 16 elements with reactions: their bits no longer fit a 16-bit word")
    own = np.zeros(partners.size, np.uint16)
    own[reactive] = 1 << np.arange(reactive.size)
    reacts = (partners[:, None] >> np.arange(partners.size, dtype=np.uint64)[None, :]) & np.uint64(1)
    theirs = np.bitwise_or.reduce(reacts.astype(np.uint16) * own[:, None], axis=0)
    return np.concatenate([padded(own, np.uint16), padded(theirs, np.uint16)])


# The per-element tables of lookup64, rows of 64 entries read by permutes (jit.lookup_vector). Kinds and ranks
# (bytes): each element's kind byte, and by the element a cell moves as its rank, its entry limit, its phase and
# K_LEVELS. Reactions (16-bit words): _reaction_words. Ranges and drift (32-bit): each element's temperature range
# (tables.Motion.bounds, its top and bottom keys) and its drift chance.
_KIND, _RANK, _LIMIT, _MOTION = range(4)
_KINDS_AND_RANKS = np.concatenate(
    [
        padded(TABLES.motion.kind, np.uint8),
        padded(TABLES.motion.pair.reshape(_N, _N)[:, 0] & 255, np.uint8),  # tables.Motion.pair with nothing held
        padded(TABLES.motion.limit, np.uint8),
        padded(TABLES.motion.kind & (K_PHASE | K_LEVELS), np.uint8),
    ]
)
_OWN_BIT, _THEIR_BITS = range(2)
_REACTIONS = _reaction_words(TABLES.motion.kind, TABLES.motion.partners)
_TOP, _BOTTOM, _DRIFT = range(3)
_RANGES_AND_DRIFT = np.concatenate(
    [
        padded(TABLES.motion.bounds >> np.uint64(32), np.uint32),
        padded(TABLES.motion.bounds & np.uint64(0xFFFFFFFF), np.uint32),
        padded(TABLES.motion.drift, np.uint32),
    ]
)
_LOOKUP_TABLES = (_KINDS_AND_RANKS, _REACTIONS, _RANGES_AND_DRIFT)


def _has(builder: Any, value: Any, bits: int) -> Any:
    """In an intrinsic's code: where a lane of `value` has any of `bits` set."""
    return builder.icmp_unsigned("!=", builder.and_(value, every_lane(value.type, bits)), every_lane(value.type, 0))


def _moving_as(context: Any, builder: Any, kind: Any, table: Any, cells: Any, held: Any) -> tuple[Any, Any]:
    """In an intrinsic's code, for 64 cells (their elements and what they hold, bytes): what each moves as
    (motion.mover: what it holds, for a burning fuel holding one), and each one's kind byte. `table` (of type `kind`)
    is _KINDS_AND_RANKS."""
    kinds = lookup_vector(context, builder, kind, table, 64 * _KIND, cells)
    burning = builder.and_(_has(builder, kinds, K_MLO), _has(builder, held, 255))
    return builder.select(burning, held, cells), kinds


@intrinsic
def _lookup64(
    typingctx: Any,
    tables: Any,
    el: Any,
    ctype: Any,
    life: Any,
    heat_bits: Any,
    start: Any,
    width: Any,
    kd: Any,
    lim: Any,
    drift: Any,
    ranks: Any,
    out_start: Any,
) -> Any:
    signature = types.void(tables, el, ctype, life, heat_bits, start, width, kd, lim, drift, ranks, out_start)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        names = ("tables", "el", "ctype", "life", "heat_bits", "start", "width", "kd", "lim", "drift", "ranks", "out")
        kinds, values = dict(zip(names, sig.args, strict=True)), dict(zip(names, args, strict=True))
        first, out = values["start"], values["out"]
        i64 = ir.IntType(64)

        def load(name: str, index: Any, kind: Any) -> Any:
            return load_vector(context, builder, kinds[name], values[name], index, kind)

        def store(name: str, index: Any, value: Any) -> None:
            store_vector(context, builder, kinds[name], values[name], index, value)

        def part(which: int) -> tuple[Any, Any]:  # _LOOKUP_TABLES[which]: its type and its value
            return kinds["tables"].types[which], builder.extract_value(values["tables"], which)

        def table(which: int, row: int, ids: Any) -> Any:  # _LOOKUP_TABLES[which], the 64 entries from 64 * row
            return lookup_vector(context, builder, *part(which), 64 * row, ids)

        def has(value: Any, bits: int) -> Any:
            return _has(builder, value, bits)

        bytes64, words32, dwords16 = int_vector(8, 64), int_vector(16, 32), int_vector(32, 16)
        cells, held = load("el", first, bytes64), load("ctype", first, bytes64)
        moves_as, kind = _moving_as(context, builder, *part(0), cells, held)
        store("ranks", out, table(0, _RANK, moves_as))
        store("lim", out, table(0, _LIMIT, moves_as))
        # Lifetimes: a timed element's counts down; on its last tick the particle takes its turn by the rules.
        left = load("life", first, int_vector(16, 64))
        timed = has(kind, K_TIMED)
        counts = builder.and_(timed, has(left, 0xFFFF))
        last = builder.and_(timed, builder.icmp_unsigned("==", left, every_lane(left.type, 1)))
        # A reaction partner among the four neighbours (_reaction_words), 32 cells at a time.
        width = values["width"]
        beside = (
            builder.sub(first, i64(1)),
            builder.add(first, i64(1)),
            builder.sub(first, width),
            builder.add(first, width),
        )
        neighbours = [load("el", index, bytes64) for index in beside]
        partner = []
        for half in range(2):
            theirs = every_lane(words32, 0)
            for near in neighbours:
                ids = builder.zext(lanes_of(builder, near, half, 32), words32)
                theirs = builder.or_(theirs, table(1, _THEIR_BITS, ids))
            own = table(1, _OWN_BIT, builder.zext(lanes_of(builder, cells, half, 32), words32))
            partner.append(has(builder.and_(own, theirs), 0xFFFF))
        # The temperature inside the element's range (tables.temperature_key), and the drift chance, 16 cells at a time.
        inside = []
        for quarter in range(4):
            ids = builder.zext(lanes_of(builder, cells, quarter, 16), dwords16)
            bits = load("heat_bits", builder.add(first, i64(16 * quarter)), dwords16)
            minus_zero = builder.icmp_unsigned("==", bits, every_lane(dwords16, 0x80000000))
            bits = builder.select(minus_zero, every_lane(dwords16, 0), bits)
            negative = builder.icmp_signed("<", bits, every_lane(dwords16, 0))
            key = builder.select(negative, builder.not_(bits), builder.or_(bits, every_lane(dwords16, 0x80000000)))
            below_top = builder.icmp_unsigned("<=", key, table(2, _TOP, ids))
            above_bottom = builder.icmp_unsigned(">=", key, table(2, _BOTTOM, ids))
            inside.append(builder.and_(below_top, above_bottom))
            store("drift", builder.add(out, i64(16 * quarter)), table(2, _DRIFT, ids))
        due = builder.or_(builder.or_(last, joined(builder, partner)), has(kind, K_TOOL))
        simple = builder.and_(joined(builder, inside), builder.not_(due))
        flags = builder.or_(
            builder.select(simple, every_lane(bytes64, ROW_SIMPLE), every_lane(bytes64, 0)),
            builder.select(counts, every_lane(bytes64, ROW_COUNTS), every_lane(bytes64, 0)),
        )
        store("kd", out, builder.or_(table(0, _MOTION, moves_as), flags))
        return context.get_dummy_value()

    return signature, codegen


# lookup64(_LOOKUP_TABLES, el, ctype, life, heat_bits, start, width, kd, lim, drift, ranks, out_start) in a kernel:
# what lookup_row writes for one cell (the same rules, as vector arithmetic), for the 64 cells from `start`, into
# the scratch rows from out_start on. Every cell it reads, from start - width to start + width + 63, must lie in the
# planes; indices are unsigned.
lookup64 = cast(Callable[..., None], _lookup64)


@inline
def temperature_key(bits: Any) -> Any:
    """tables.temperature_key of one cell, from the bits of its float32 temperature, without a branch."""
    b = U(bits)
    b = b * U(b != _MINUS_ZERO)
    negative = b >> U(31)
    return (b ^ (negative * _LOW32)) | ((U(1) - negative) << U(31))


@kernel
def lookup_row(
    planes: Any,
    heat_bits: Any,
    base: int,
    xa: int,
    xb: int,
    width: int,
    kd: Any,
    lim: Any,
    drift: Any,
    ranks: Any,
    ahead: int,
) -> None:
    """Cells xa-1..xb of the row starting at `base`, looked up once (tables.Motion.pair, the temperature bounds and
    the reaction partners; `heat_bits` is the temperature plane viewed as uint32) into scratch rows: each particle's
    entry limit (a burning fuel's that of its fuel), drift chance and rank as a target, and its row kind byte: the
    phase and K_LEVELS of what it moves as, ROW_SIMPLE when the decisions may take it in (no state change due, no
    lifetime on its last tick, no reaction partner beside it, no tool) and ROW_COUNTS when its lifetime counts down.

    64 cells at a time (lookup64), which may write the scratch rows of up to 63 cells past xb (true values: the row's
    cells, or the scratch rows' padding); one by one the same rules for the cells whose 64-cell block would read
    past the end of the planes (the end of the last rows decided).

    With `ahead` not 0, each block first asks for the same cells `ahead` cells on (the row the pass reaches two rows
    from now; update.update_pass) in the six planes the decisions read: spread over the row's work, the requests
    keep a world too big for the cache fed, where asking for a whole row at once stalled the pass (B with no sleeping
    at 1600x1200 took ~10% longer). A request changes no result.
    """
    el, life, ctype = planes[0], planes[4], planes[5]
    block = xa - 1
    last = el.shape[0] - 64
    while (block <= xb) & (base + block + 64 + width <= el.shape[0]):
        if ahead != 0:  # one request per cache line: 64 cells of one byte, 32 of two, 16 of four
            j = U(min(max(base + block + ahead, 0), last))
            prefetch(el, j)
            prefetch(ctype, j)
            prefetch(life, j)
            prefetch(life, j + U(32))
            for line in range(0, 64, 16):
                prefetch(planes[1], j + U(line))
                prefetch(planes[2], j + U(line))
                prefetch(planes[3], j + U(line))
        lookup64(_LOOKUP_TABLES, el, ctype, life, heat_bits, U(base + block), width, kd, lim, drift, ranks, U(block))
        block += 64
    for x in range(block, xb + 1):
        i = base + x
        e = el[U(i)]
        t = temperature_key(heat_bits[U(i)])
        bounds = _BOUNDS[e]
        v = pair_of(e, ctype[U(i)])
        k = np.int64((v >> U(PAIR_KIND)) & U(255))
        pm = _PARTNERS[e]
        partner = (
            (pm >> U(el[U(i + 1)]))
            | (pm >> U(el[U(i - 1)]))
            | (pm >> U(el[U(i + width)]))
            | (pm >> U(el[U(i - width)]))
        ) & U(1)
        left = np.int64(life[U(i)])
        timed = np.int64((k & K_TIMED) != 0)
        simple = (
            (1 - (timed & np.int64(left == 1)))
            & (1 - (np.int64((k & K_REACTIVE) != 0) & np.int64(partner != 0)))
            & np.int64((k & K_TOOL) == 0)
            & np.int64(t <= (bounds >> U(32)))
            & np.int64(t >= (bounds & _LOW32))
        )
        counts = timed & np.int64(left > 0)
        kd[U(x)] = np.uint8((k & (K_PHASE | K_LEVELS)) | simple * ROW_SIMPLE | counts * ROW_COUNTS)
        ranks[U(x)] = np.uint8(v & U(255))
        lim[U(x)] = np.uint8((v >> U(PAIR_LIMIT)) & U(255))
        drift[U(x)] = np.int64(v >> U(PAIR_DRIFT))


@intrinsic
def _ranks64(typingctx: Any, table: Any, el: Any, ctype: Any, start: Any, out: Any, out_start: Any) -> Any:
    signature = types.void(table, el, ctype, start, out, out_start)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        bytes64 = int_vector(8, 64)
        cells = load_vector(context, builder, sig.args[1], args[1], args[3], bytes64)
        held = load_vector(context, builder, sig.args[2], args[2], args[3], bytes64)
        moves_as, _ = _moving_as(context, builder, sig.args[0], args[0], cells, held)
        ranks = lookup_vector(context, builder, sig.args[0], args[0], 64 * _RANK, moves_as)
        store_vector(context, builder, sig.args[4], args[4], args[5], ranks)
        return context.get_dummy_value()

    return signature, codegen


# ranks64(_KINDS_AND_RANKS, el, ctype, start, out, out_start) in a kernel: out[out_start + k] is the rank as a target
# (tables.Motion.pair) of cell start + k, for the 64 cells from start, each ranking as what it moves as: two byte
# permutes per 64 cells where a gather took 8 (with AVX-512 VBMI; one load per lane on other CPUs). Indices are
# unsigned and all 64 must lie in their arrays.
ranks64 = cast(Callable[..., None], _ranks64)


@kernel
def rank_row(el: Any, ctype: Any, base: int, xa: int, xb: int, out: Any) -> None:
    """How each of cells xa..xb-1 ranks as a target (tables.Motion.pair), burning fuels as their fuel.

    64 cells at a time (ranks64), which may write the ranks of up to 63 cells past xb (true ones: the row's cells, or
    the scratch row's padding); the last cells of the planes one by one."""
    block = xa
    while (block < xb) & (base + block + 64 <= el.shape[0]):
        ranks64(_KINDS_AND_RANKS, el, ctype, U(base + block), out, U(block))
        block += 64
    for x in range(block, xb):
        i = U(base + x)
        out[U(x)] = np.uint8(pair_of(el[i], ctype[i]) & U(255))


@kernel
def hash_row(key: Any, base: int, xa: int, count: int, turn: Any, uniform: Any, turn_aims: Any, aim: Any) -> None:
    """The parts of the movement draws (rng.draw with P_MOVE) of cells xa.. that the decisions read, in narrow rows
    (64-bit lanes would halve how many cells an instruction takes): the low three bits (a gas's turn; bit 0 the coin
    between two ways) into turn[xa..], the top 24 (the uniform number) into uniform[xa..], and where a gas would
    drift by its turn into aim[xa..], which decide_row keeps for gases (`turn_aims`: the aim of turn t in bits
    4t..4t+3). `count` is a multiple of 8."""
    for k in range(count):
        z = draw(key, base + xa + k, P_MOVE)
        turn[U(xa + k)] = np.uint8(z & U(7))
        uniform[U(xa + k)] = np.uint32(z >> U(40))
        aim[U(xa + k)] = np.int8((turn_aims >> ((z & U(7)) << U(2))) & U(15))


@kernel
def gas_row(el: Any, base: int, xa: int, xb: int, width: int, turns: Any, turn: Any, out: Any) -> None:
    """Whether the cell each of cells xa..xb-1 would drift into, were it a gas, is empty (by its turn, hash_row).

    A loop of its own over bytes only, which runs many more lanes at once than the decisions' wider ones."""
    t0, t1 = turns[0, 1] * width + turns[0, 0], turns[1, 1] * width + turns[1, 0]
    t2, t3 = turns[2, 1] * width + turns[2, 0], turns[3, 1] * width + turns[3, 0]
    t4, t5 = turns[4, 1] * width + turns[4, 0], turns[5, 1] * width + turns[5, 0]
    t6, t7 = turns[6, 1] * width + turns[6, 0], turns[7, 1] * width + turns[7, 0]
    for x in range(xa, xb):
        i = base + x
        t = turn[U(x)]
        # Each of the eight candidate cells is read (contiguous loads); the turn selects one.
        free = (
            ((t == 0) & (el[U(i + t0)] == 0))
            | ((t == 1) & (el[U(i + t1)] == 0))
            | ((t == 2) & (el[U(i + t2)] == 0))
            | ((t == 3) & (el[U(i + t3)] == 0))
            | ((t == 4) & (el[U(i + t4)] == 0))
            | ((t == 5) & (el[U(i + t5)] == 0))
            | ((t == 6) & (el[U(i + t6)] == 0))
            | ((t == 7) & (el[U(i + t7)] == 0))
        )
        out[U(x)] = np.uint8(free)


@inline
def aim_code(dx: Any, dy: Any) -> Any:
    """The aim of a move to the neighbour (dx, dy) (-1..1 each): (dy + 1) * 3 + dx + 1, 4 = staying put."""
    return (dy + 1) * 3 + dx + 1


@kernel
def decide_row(
    planes: Any,
    y: int,
    base: int,
    xa: int,
    xb: int,
    width: int,
    acc: Any,
    dirs: Any,
    kd: Any,
    lim: Any,
    drift: Any,
    ranks: Any,
    uniform: Any,
    turn: Any,
    free: Any,
    out: Any,
    aim: Any,
) -> None:
    """The decisions of interior cells xa..xb-1 (all eight neighbours inside the world) of row y, starting at `base`.

    `acc` is (ax, ay, has_gravity); `ranks` holds the target ranks of the rows above, of and below this one (rank_row),
    at least where `dirs` looks (this row's from lookup_row); `free` whether a gas's drift target is empty (gas_row).
    """
    el, vx, vy = planes[0], planes[2], planes[3]
    # Velocities in float32 (motion.accelerate): with no 64-bit value left, LLVM runs 16 cells per instruction.
    ax, ay = acc[0], acc[1]
    f0, f1, f2, half = np.float32(0.0), np.float32(1.0), np.float32(2.0), np.float32(0.5)
    has_g = np.int64(acc[2] != 0.0)
    gdx, gdy = dirs[D_GRAVITY, 0], dirs[D_GRAVITY, 1]
    og = gdy * width + gdx
    fgdx, fgdy = np.float32(gdx), np.float32(gdy)
    r_g, r_1, r_2 = ranks[gdy + 1], ranks[dirs[D_FIRST, 1] + 1], ranks[dirs[D_SECOND, 1] + 1]
    r_l, r_r = ranks[dirs[D_LEFT, 1] + 1], ranks[dirs[D_RIGHT, 1] + 1]
    dx1, dx2, dxl, dxr = dirs[D_FIRST, 0], dirs[D_SECOND, 0], dirs[D_LEFT, 0], dirs[D_RIGHT, 0]
    aim_1, aim_2 = aim_code(dx1, dirs[D_FIRST, 1]), aim_code(dx2, dirs[D_SECOND, 1])
    for x in range(xa, xb):
        # Every condition is a 0/1 int64, combined with arithmetic: no branch, so the loop vectorises.
        ux_ = U(x)
        i = base + x
        k = np.int64(kd[ux_])
        phase = k & K_PHASE
        simple = np.int64((k & ROW_SIMPLE) != 0)
        counts = np.int64((k & ROW_COUNTS) != 0)
        u24 = np.int32(uniform[ux_])
        limit = np.int64(lim[ux_])
        # Powders and liquids: the support below, then resting (and sliding) or falling.
        v0x, v0y = vx[U(i)], vy[U(i)]
        ux, uy = accelerate(v0x, ax), accelerate(v0y, ay)
        j = U(i + og)
        away = vx[j] * fgdx + vy[j] * fgdy
        supported = np.int64(np.int64(r_g[U(x + gdx)]) >= limit) & np.int64(away <= f0)
        rest = has_g & supported & np.int64(ux * fgdx + uy * fgdy >= f0)
        first = np.int64(np.int64(r_1[U(x + dx1)]) < limit)
        second = np.int64(np.int64(r_2[U(x + dx2)]) < limit)
        coin = np.int64(turn[ux_] & np.uint8(1))
        take_first = first & ((1 - second) | coin)
        take_second = second & ((1 - first) | (1 - coin))
        moving = np.int64(v0x != f0) | np.int64(v0y != f0)
        rank_l, rank_r = np.int64(r_l[U(x + dxl)]), np.int64(r_r[U(x + dxr)])
        full_l, full_r = np.int64(rank_l != 0), np.int64(rank_r != 0)
        levels = np.int64((k & K_LEVELS) != 0)
        # A liquid with both diagonals closed stays only if it has no level to seek and no lighter liquid beside it.
        calm = np.int64(phase != 3) | (1 - levels) | (full_l & full_r)
        swaps = (full_l & np.int64(rank_l < limit)) | (full_r & np.int64(rank_r < limit))
        quiet = calm & (1 - (np.int64(phase == 3) & swaps))
        slides = take_first | take_second
        settle = (
            take_first * SETTLE_FIRST
            + take_second * SETTLE_SECOND
            + ((1 - slides) & quiet & moving) * SETTLE
            + ((1 - slides) & (1 - quiet)) * ACT
        )
        speed = max(abs(ux), abs(uy))
        moves = np.int64(ux != f0) | np.int64(uy != f0)
        frac = np.float32(u24) * INV24_F32
        coast = np.int64(speed < f1) & (1 - np.int64(frac < speed))
        # A fall that crosses exactly one cell (most do) is a STEP: the cell it aims at is worked out here, as
        # motion.travel would; longer falls TRAVEL cell by cell at their turn.
        one = (np.int64(speed < f1) & np.int64(frac < speed)) | (
            np.int64(speed >= f1) & np.int64(speed < f2) & (1 - np.int64(frac < speed - f1))
        )
        norm = speed + np.float32(speed == f0)
        # A neighbour, as speeds are finite (World.from_state and scene files refuse any other).
        sdx = np.int64(np.floor((np.float32(x) + half) + ux / norm)) - x
        sdy = np.int64(np.floor((np.float32(y) + half) + uy / norm)) - y
        # Where a one-cell move goes: a slide's diagonal, nowhere when coming to rest, a fall's cell, and for a gas
        # the cell its turn picks (hash_row wrote it into `aim`).
        slide_aim = take_first * aim_1 + take_second * aim_2 + (1 - slides) * AIM_NONE
        fall_aim = rest * slide_aim + (1 - rest) * ((sdy + 1) * 3 + sdx + 1)
        gas_phase = np.int64(phase == 4)
        aim[ux_] = np.int8(gas_phase * np.int64(aim[ux_]) + (1 - gas_phase) * fall_aim)
        fall = (moves & coast) * COAST + (moves & (1 - coast)) * (TRAVEL + one * (STEP - TRAVEL))
        falls = rest * settle + (1 - rest) * fall
        # Gases: drift with the element's chance, in the direction the 3 low bits pick, into an empty cell (gas_row).
        gas = DRIFT + (np.int64(u24 < np.int32(drift[ux_])) & np.int64(free[ux_])) * (DRIFT_MOVE - DRIFT)
        fallers = np.int64(phase == 2) | np.int64(phase == 3)
        movers = fallers * falls + gas_phase * gas
        keeps = gas_phase | (fallers & (1 - rest) & moves & coast) | counts
        full = np.int64(el[U(i)] != 0)
        flags = counts * COUNTS_DOWN + keeps * KEEPS_AWAKE
        out[ux_] = np.int8(simple * (movers + flags) + ((1 - simple) & full) * ACT)


@kernel
def apply_row(planes: Any, base: int, xa: int, xb: int, acc: Any, dec: Any) -> None:
    """What the decisions of cells xa..xb-1 settle at once, before anyone moves: lifetimes count down (COUNTS_DOWN)
    and a particle that crosses no cell this tick takes its new speed (COAST)."""
    vx, vy, life = planes[2], planes[3], planes[4]
    ax, ay = acc[0], acc[1]
    for x in range(xa, xb):
        i = U(base + x)
        d = dec[U(x)]
        if d & COUNTS_DOWN:  # a store only where it counts: writing every cell would dirty the whole plane
            life[i] -= np.uint16(1)
        if d & WHAT == COAST:
            vx[i] = np.float32(accelerate(vx[i], ax))
            vy[i] = np.float32(accelerate(vy[i], ay))
