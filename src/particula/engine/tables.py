"""The element and reaction tables turned into the dense NumPy arrays the kernels index by element id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from particula.engine.element_data import ELEMENTS
from particula.engine.element_types import BEHAVIOURS, PHASE_GAS, PHASE_LIQUID, Element
from particula.engine.reaction_data import REACTIONS

# Columns of the integer property table.
(
    I_PHASE,
    I_HIGH_TO,
    I_LOW_TO,
    I_LEAVES,
    I_REMEMBERS,
    I_LIFE,
    I_LIFE_VAR,
    I_DECAYS_TO,
    I_BEHAVIOUR,
    I_EMITS,
    I_SPREAD,
    I_BLAST,
    I_BURN_TIME,
    I_REACTIVE,
    I_MOVES_LIKE_ORIGIN,
    I_TOOL,
) = range(16)
N_INT = 16
# Columns of the float property table.
F_DENSITY, F_HIGH_T, F_LOW_T, F_SPAWN_T, F_BURN_T, F_EMIT_T, F_EMIT_RATE, F_DRIFT = range(8)
N_FLOAT = 8
NO_ELEMENT = -1  # "none" in the integer table and "leave the cell as it is" in reaction results
# Heat flowing across one cell edge per tick is at most this fraction of the difference: with four edges the
# explicit update stays a convex combination, so it never overshoots or oscillates.
MAX_EDGE_CONDUCTANCE = 0.24
# An edge's conductance is EDGE_SCALE * ka * kb / (ka + kb): MAX_EDGE_CONDUCTANCE times the harmonic mean.
EDGE_SCALE = 2.0 * MAX_EDGE_CONDUCTANCE
# Rows of the per-element heat table. H_K is the conductivity with its sign bit set for heat sources (emit rate > 0):
# the heat pass takes both from one lookup.
H_RATE, H_EMIT, H_BURN, H_K = range(4)
# Fraction of the gap to the ambient temperature that open space closes each tick.
AIR_RELAX = 0.02
FIRE = "fire"
EMPTY = "empty"

# Bits of the packed per-element `kind` byte the particle pass reads first: the movement phase in the low three
# bits, then flags.
K_PHASE = 7
K_REACTIVE = 8  # has a reaction with some neighbour
K_TOOL = 16  # acts on its neighbours: cloner, spout, void, sink
K_MLO = 32  # moves like the element in its ctype (a burning fuel)
K_TIMED = 64  # its cells may count down a lifetime (a new one starts one, or it remembers a burning fuel)
K_SPECIAL = K_REACTIVE | K_TOOL | K_MLO | K_TIMED  # anything beyond "cross a threshold, then move by phase"
K_LEVELS = 128  # a liquid whose surface walks toward a drop (spread > 0)
# Motion.pair, what a row's decisions read of a cell of element b holding ctype c, packed in one 64-bit word:
# bits 0-7 its rank as a target (below), bits 8-15 b's kind byte with the phase and K_LEVELS of the element it moves
# as (a burning fuel moves as its fuel), bits 16-23 the entry limit of the element it moves as, bits 32-56 b's drift.
PAIR_KIND, PAIR_LIMIT, PAIR_DRIFT = 8, 16, 32
ENTER_ORIGIN = 2  # flag in Motion.enter: the cell moves as its ctype element, when it has one
ENTER_SLOWS = 4  # flag in Motion.enter: the cell holds a liquid, which stops a particle pushing into it this tick

IntTable = npt.NDArray[np.int32]
FloatTable = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Tables:
    """Everything the kernels know about elements, as arrays indexed by element id."""

    ints: IntTable  # (N, N_INT)
    floats: FloatTable  # (N, N_FLOAT)
    reaction_of: npt.NDArray[np.int16]  # (N, N): reaction row for (cell, neighbour), -1 = none
    reaction_prob: FloatTable  # (R,)
    reaction_result: npt.NDArray[np.int16]  # (R, 2): new element of cell and neighbour, -1 = unchanged
    conductance: npt.NDArray[np.float32]  # (N, N): heat fraction per tick across an edge between two elements
    heat_el: npt.NDArray[np.float32]  # (4, N): source rate, source target, burn temperature, conductivity
    # (N * N,): the temperature a cell of element e holding ctype c pulls toward at its source rate, at [e * N + c]:
    # the burn temperature of a held fuel that has one, else e's own (one lookup, made by heat sources only)
    heat_target: npt.NDArray[np.float32]
    motion: Motion  # the particle pass's packed tables


@dataclass(frozen=True, slots=True)
class Motion:
    """What the particle pass reads for every particle, packed into small one-dimensional arrays."""

    kind: npt.NDArray[np.uint8]  # (N,): phase | K_* flags
    high_t: npt.NDArray[np.float32]  # (N,): above this the element changes (inf = never)
    low_t: npt.NDArray[np.float32]  # (N,): below this the element changes (-inf = never)
    spread: npt.NDArray[np.int64]  # (N,): how far a liquid's surface particle walks toward a drop
    drift: npt.NDArray[np.int64]  # (N,): a gas drifts when 24 random bits are below this (chance * 2**24)
    # (N * N,): bit 0 set where a particle moving as a may enter a cell of element b; bit 1 (ENTER_ORIGIN) where
    # b moves as the element in its ctype (a burning fuel), so the answer is the entry of that element instead;
    # bit 2 (ENTER_SLOWS) where b is a liquid: pushing into it takes the rest of the tick (a gas does not).
    enter: npt.NDArray[np.uint8]
    # The same rule as two small numbers, for the branch-free decisions (kernels/intent.py): a particle moving as a
    # may enter a cell of element b holding ctype c when rank(b, c) < limit[a]. Empty cells rank 0, liquids
    # and gases 1 + the number of distinct fluid densities below theirs, everything else 255; a gas's limit is 1
    # (empty cells only), a powder's or liquid's 1 + the number of fluid densities below its own.
    limit: npt.NDArray[np.uint8]  # (N,)
    pair: npt.NDArray[np.uint64]  # (N * N,): see PAIR_KIND; the rank of (b, c) is pair[b * N + c] & 255
    partners: npt.NDArray[np.uint64]  # (N,): bit b set where the element reacts with element b (N <= 64)
    # (N,): temperature_key(high_t) << 32 | temperature_key(low_t): the element's temperature range in one word
    bounds: npt.NDArray[np.uint64]

    def arrays(self) -> tuple[npt.NDArray[np.generic], ...]:
        """The tuple the sequential kernels take, in field order (the row decisions read `pair`, `partners` and
        `bounds` as compiled-in constants instead: kernels/motion.PAIR)."""
        return (self.kind, self.high_t, self.low_t, self.spread, self.drift, self.enter)


def _ids() -> dict[str, int]:
    return {element.name: index for index, element in enumerate(ELEMENTS)}


def _ref(ids: dict[str, int], name: str | None) -> int:
    return NO_ELEMENT if name is None else ids[name]


def _float(value: float | None, default: float) -> float:
    return default if value is None else value


def _int_row(element: Element, ids: dict[str, int], reactive: bool) -> list[int]:
    high_to = ids[FIRE] if element.ignites_at is not None else _ref(ids, element.high_to)
    return [
        element.phase,
        high_to,
        _ref(ids, element.low_to),
        _ref(ids, element.leaves),
        int(element.remembers),
        element.life,
        max(element.life_var, 1),
        ids[element.decays_to or EMPTY],
        BEHAVIOURS.index(element.behaviour),
        _ref(ids, element.emits),
        element.spread,
        element.blast,
        element.burn_time,
        int(reactive),
        int(element.moves_like_origin),
        int(element.category == "tool"),
    ]


def _float_row(element: Element) -> list[float]:
    high_temp = element.ignites_at if element.ignites_at is not None else element.high_temp
    return [
        element.density,
        _float(high_temp, np.inf),
        _float(element.low_temp, -np.inf),
        _float(element.spawn_temp, np.nan),
        _float(element.burn_temp, np.nan),
        _float(element.emit_temp, 0.0),
        element.emit_rate,
        element.drift,
    ]


def _reactions(ids: dict[str, int]) -> tuple[npt.NDArray[np.int16], FloatTable, npt.NDArray[np.int16]]:
    rows = [(r.a, r.b, r.probability, r.result_a, r.result_b) for r in REACTIONS]
    # Fire spreads through every flammable element at its flammability.
    rows += [(FIRE, e.name, e.flammability, None, FIRE) for e in ELEMENTS if e.flammability > 0]
    count = len(ids)
    reaction_of = np.full((count, count), -1, np.int16)
    prob = np.zeros(len(rows), np.float64)
    result = np.full((len(rows), 2), NO_ELEMENT, np.int16)
    for row, (a, b, p, ra, rb) in enumerate(rows):
        if reaction_of[ids[a], ids[b]] != -1:
            raise ValueError(f"two reactions for {a} + {b}")
        reaction_of[ids[a], ids[b]] = row
        prob[row] = p
        result[row] = (_ref(ids, ra), _ref(ids, rb))
    return reaction_of, prob, result


def edge_conductance(ka: npt.NDArray[np.float32], kb: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Heat fraction per tick across edges between cells of conductivities ka and kb, in float32.

    MAX_EDGE_CONDUCTANCE times the harmonic mean: heat crossing two materials in series is limited by the worse
    conductor. The heat kernel makes the same float32 operations in the same order (kernels.heat.edge).
    """
    scale, tiny = np.float32(EDGE_SCALE), np.float32(1e-30)
    result: npt.NDArray[np.float32] = scale * (ka * kb) / np.maximum(ka + kb, tiny)
    return result


def _conductivities() -> npt.NDArray[np.float32]:
    return np.array([e.conductivity for e in ELEMENTS], np.float32)


def _heat_el(floats: FloatTable, conductivity: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    rate = floats[:, F_EMIT_RATE]
    # Elements that are no heat source pull toward 0 at rate 0: no change, and no NaN or infinity involved.
    emit = np.where(rate > 0, floats[:, F_EMIT_T], 0.0)
    table = np.zeros((4, len(floats)), np.float32)
    table[H_RATE], table[H_EMIT], table[H_BURN] = rate, emit, floats[:, F_BURN_T]
    table[H_K] = np.copysign(conductivity, np.where(rate > 0, -1.0, 1.0))
    return table


def _heat_target(heat_el: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Tables.heat_target from the per-element columns."""
    burn, emit = heat_el[H_BURN], heat_el[H_EMIT]
    held = np.arange(burn.size)
    fuel = ~np.isnan(burn) & (held != 0)  # NaN: no burn temperature; ctype 0 holds nothing
    target: npt.NDArray[np.float32] = np.where(fuel[None, :], burn[None, :], emit[:, None]).astype(np.float32)
    return target.reshape(-1)


# The most elements there may be: reaction partners are one 64-bit set, and the kernels hold per-element tables of
# this many entries in vector registers (jit.lookup_vector: heat.thermal_row, intent.lookup64 and rank_row). Of them,
# at most 16 may have reactions: intent.lookup64 gives each a bit of a 16-bit word.
MAX_ELEMENTS = 64


def padded(column: npt.ArrayLike, dtype: npt.DTypeLike) -> npt.NDArray[Any]:
    """A per-element column padded with zeros to MAX_ELEMENTS entries, as the kernels' permutes read it."""
    values = np.asarray(column)
    if values.size > MAX_ELEMENTS:
        raise ValueError(f"more than {MAX_ELEMENTS} elements")
    table = np.zeros(MAX_ELEMENTS, dtype)
    table[: values.size] = values
    return table


def _partners(reaction_of: npt.NDArray[np.int16]) -> npt.NDArray[np.uint64]:
    """Motion.partners: each element's reaction partners as one 64-bit set."""
    if reaction_of.shape[1] > MAX_ELEMENTS:
        raise ValueError(f"more than {MAX_ELEMENTS} elements: reaction partners no longer fit one 64-bit set")
    bits = (reaction_of >= 0).astype(np.uint64) << np.arange(reaction_of.shape[1], dtype=np.uint64)[None, :]
    partners: npt.NDArray[np.uint64] = np.bitwise_or.reduce(bits, axis=1).astype(np.uint64)
    return partners


def _motion(ints: IntTable, floats: FloatTable, reaction_of: npt.NDArray[np.int16]) -> Motion:
    phase = ints[:, I_PHASE]
    kind = phase.copy()
    kind |= np.where(ints[:, I_REACTIVE] == 1, K_REACTIVE, 0)
    kind |= np.where(ints[:, I_BEHAVIOUR] != 0, K_TOOL, 0)
    kind |= np.where(ints[:, I_MOVES_LIKE_ORIGIN] == 1, K_MLO, 0)
    kind |= np.where((ints[:, I_LIFE] > 0) | (ints[:, I_REMEMBERS] == 1), K_TIMED, 0)
    kind |= np.where(ints[:, I_SPREAD] > 0, K_LEVELS, 0)
    density = floats[:, F_DENSITY]
    fluid = (phase == PHASE_LIQUID) | (phase == PHASE_GAS)
    # a may enter b when b is empty, or when a is no gas and b a lighter liquid or gas (they swap).
    enter = (phase[:, None] != PHASE_GAS) & fluid[None, :] & (density[None, :] < density[:, None])
    enter[:, 0] = True
    packed = enter.astype(np.uint8) | np.where(ints[:, I_MOVES_LIKE_ORIGIN] == 1, ENTER_ORIGIN, 0)[None, :]
    packed |= np.where(phase == PHASE_LIQUID, ENTER_SLOWS, 0)[None, :]
    mover = _movers(ints[:, I_MOVES_LIKE_ORIGIN] == 1)
    rank, limit = _ranks(phase, density, mover)
    drift = np.ceil(floats[:, F_DRIFT] * 2.0**24).astype(np.int64)
    return Motion(
        kind=kind.astype(np.uint8),
        high_t=floats[:, F_HIGH_T].astype(np.float32),
        low_t=floats[:, F_LOW_T].astype(np.float32),
        spread=ints[:, I_SPREAD].astype(np.int64),
        drift=drift,
        enter=packed.astype(np.uint8).reshape(-1),
        limit=limit,
        pair=_pairs(kind.astype(np.uint8), rank, limit, drift, mover),
        bounds=(temperature_key(floats[:, F_HIGH_T]).astype(np.uint64) << np.uint64(32))
        | temperature_key(floats[:, F_LOW_T]).astype(np.uint64),
        partners=_partners(reaction_of),
    )


def _movers(moves_like_origin: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """(N, N): the element a cell of element b holding ctype c moves as, at [b, c]: c for a burning fuel holding
    one (fire holding oil moves as oil), else b. (kernels/motion.mover is the same rule for one cell.)"""
    count = moves_like_origin.size
    held = np.arange(count)
    burning = moves_like_origin[:, None] & (held != 0)[None, :]
    return np.where(burning, held[None, :], held[:, None])


def _ranks(
    phase: npt.NDArray[np.int32], density: npt.NDArray[np.float64], mover: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    """The (N, N) target ranks (the low byte of Motion.pair) and Motion.limit: the `enter` rule as one comparison
    of two small numbers."""
    fluid = (phase == PHASE_LIQUID) | (phase == PHASE_GAS)
    levels = np.unique(density[fluid])
    if levels.size > 253:
        raise ValueError("too many distinct fluid densities for a one-byte rank")
    below = np.searchsorted(levels, density, side="left")  # distinct fluid densities below each element's
    rank = np.where(fluid, 1 + below, 255)
    rank[0] = 0
    limit = np.where(phase == PHASE_GAS, 1, 1 + below)
    # A burning fuel (fire holding oil) ranks as the fuel it moves as, when it holds one.
    return rank[mover].astype(np.uint8), limit.astype(np.uint8)


def temperature_key(temperature: npt.ArrayLike) -> npt.NDArray[np.uint32]:
    """Float32 temperatures as unsigned integers in the same order (-0 as 0; NaN above +inf or below -inf, so it is
    never inside a range): the decisions compare a cell's temperature with its element's range as integers, both
    ends in one table word (kernels/intent.temperature_key is the same map for one cell)."""
    bits = np.asarray(temperature, np.float32).view(np.uint32)
    bits = np.where(bits == np.uint32(0x80000000), np.uint32(0), bits)
    return np.where(bits >> np.uint32(31) != 0, ~bits, bits | np.uint32(0x80000000)).astype(np.uint32)


def _pairs(
    kind: npt.NDArray[np.uint8],
    rank: npt.NDArray[np.uint8],
    limit: npt.NDArray[np.uint8],
    drift: npt.NDArray[np.int64],
    mover: npt.NDArray[np.int64],
) -> npt.NDArray[np.uint64]:
    """Motion.pair (see PAIR_KIND) from the per-element columns, the (N, N) ranks and what each pair moves as."""
    motion_bits = K_PHASE | K_LEVELS
    decided = (kind[:, None] & ~np.uint8(motion_bits)) | (kind[mover] & np.uint8(motion_bits))
    pair = rank.astype(np.uint64)
    pair |= decided.astype(np.uint64) << np.uint64(PAIR_KIND)
    pair |= limit[mover].astype(np.uint64) << np.uint64(PAIR_LIMIT)
    pair |= drift.astype(np.uint64)[:, None] << np.uint64(PAIR_DRIFT)
    return pair.reshape(-1)


def build() -> Tables:
    """Build the kernel tables from ELEMENTS and REACTIONS, checking that every name resolves."""
    ids = _ids()
    reaction_of, prob, result = _reactions(ids)
    reactive = [bool(row.any()) for row in reaction_of >= 0]
    ints = np.array([_int_row(e, ids, reactive[i]) for i, e in enumerate(ELEMENTS)], np.int32)
    floats = np.array([_float_row(e) for e in ELEMENTS], np.float64)
    k = _conductivities()
    conductance = edge_conductance(k[:, None], k[None, :])
    motion = _motion(ints, floats, reaction_of)
    heat_el = _heat_el(floats, k)
    return Tables(ints, floats, reaction_of, prob, result, conductance, heat_el, _heat_target(heat_el), motion)


TABLES = build()
