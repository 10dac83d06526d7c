"""Bridges a WorldState and the compiled tick: per-tick parameters, flat plane views and scratch buffers."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from particula.engine.kernels.cells import DX, DY
from particula.engine.kernels.chunks import settle_chunks
from particula.engine.kernels.heat import heat_pass, heat_scratch
from particula.engine.kernels.motion import GAS_TURN
from particula.engine.kernels.update import update_pass
from particula.engine.rng import tick_key
from particula.engine.state import CELL_PLANES, CHUNK, WorldState
from particula.engine.tables import TABLES

# Gravity is given in m/s^2. A cell is taken as 2.5 cm and a tick as 1/60 s, so 1 m/s^2 is 40 cells/s^2,
# which is 40 / 3600 cells per tick per tick: 9.8 m/s^2 accelerates a grain by ~0.109 cells/tick each tick.
CELLS_PER_METRE = 40.0
TICKS_PER_SECOND = 60.0
ACCEL_PER_MPS2 = CELLS_PER_METRE / (TICKS_PER_SECOND * TICKS_PER_SECOND)
ROW_PAD = 64  # cells past the world's width in each scratch row of the particle pass (decision_scratch)

assert CHUNK == 16, "the kernels shift by 4 to find a cell's chunk"
_TABS = (TABLES.ints, TABLES.floats, TABLES.reaction_of, TABLES.reaction_prob, TABLES.reaction_result)
_MOTION = TABLES.motion.arrays()


def gravity_direction(ax: float, ay: float) -> int:
    """The nearest of the eight neighbour directions to (ax, ay) (0 = right, 2 = down), or -1 for zero-g."""
    if ax == 0.0 and ay == 0.0:
        return -1
    return round(math.atan2(ay, ax) / (math.pi / 4)) % 8


def scan_forward(component: float, tick: int) -> bool:
    """Scan an axis from the side gravity pulls away from, so falling particles move first; alternate if none."""
    if component > 0.0:
        return False
    if component < 0.0:
        return True
    return tick % 2 == 0


class Stepper:
    """Runs the compiled passes on one world's state, with their scratch buffers (not part of the state: they hold
    nothing that outlives a tick). The flat views of the planes are made, and checked, once."""

    def __init__(self, state: WorldState) -> None:
        settings = state.settings
        self._state = state
        self._cells = tuple(_flat(state.planes[name]) for name, _ in CELL_PLANES)
        self._heat_bits = self._cells[1].view(np.uint32)  # the decisions compare temperatures as integers
        self._awake = _flat(state.chunk_awake)
        # A cell's stamp equals the pass's number when its particle moved in that pass. One byte a cell keeps the
        # pass's working set small; the numbers count 1..255, and the stamps are cleared when they start again.
        self._stamp = np.zeros(settings.width * settings.height, np.uint8)
        self._pass_number = 0
        self.changed = np.zeros(state.chunk_awake.size, np.uint8)  # chunks the passes of this tick marked
        self._heat_scratch = heat_scratch(settings.width)
        self._decide = decision_scratch(settings.width)
        self._directions: tuple[tuple[int, float, float], tuple[npt.NDArray[np.generic], ...]] | None = None

    def particle_pass(self, awake: npt.NDArray[np.generic]) -> None:
        """This tick's particle pass over the chunks set in `awake` (flat); what it changes is marked in `changed`."""
        state, s = self._state, self._state.settings
        ax, ay = s.gravity_x * ACCEL_PER_MPS2, s.gravity_y * ACCEL_PER_MPS2
        cw = state.chunk_awake.shape[1]
        if self._pass_number == 255:
            self._stamp[:] = 0
            self._pass_number = 0
        self._pass_number += 1
        stamp = np.uint8(self._pass_number)
        key = np.uint64(tick_key(np.uint64(state.seed), np.uint64(state.tick)))
        g = gravity_direction(ax, ay)
        params = (s.width, s.height, cw, key, stamp, np.float32(ax), np.float32(ay), g, bool(s.walls))
        x_forward, y_forward = scan_forward(ax, state.tick), scan_forward(ay, state.tick)
        update_pass(
            params,
            self._cells,
            self._heat_bits,
            _TABS,
            _MOTION,
            awake,
            self.changed,
            self._stamp,
            x_forward,
            y_forward,
            self._directions_for(g, ax, ay),
            self._decide,
        )

    def _directions_for(self, g: int, ax: float, ay: float) -> tuple[npt.NDArray[np.generic], ...]:
        """decision_directions, made again only when gravity changed (it costs more than an idle tick's passes)."""
        if self._directions is None or self._directions[0] != (g, ax, ay):
            self._directions = ((g, ax, ay), decision_directions(g, ax, ay))
        return self._directions[1]

    def step(self) -> None:
        """Advance the state by one tick, in place: the passes (run_passes), then the tick number.

        A world asleep skips the passes: they would visit nothing and leave every plane and the chunk map as they
        are, so only the tick moves on. An idle world's tick costs a scan of its chunk map, not three compiled calls
        (each ~10 us of Python and Numba reading the arguments).
        """
        if self._awake.any():
            self.run_passes()
        self._state.tick += 1

    def run_passes(self) -> None:
        """This tick's passes over the awake chunks: particles, then heat, then the chunk map for the next tick.

        Three compiled calls rather than one that makes all three: Numba then inlines the passes into one function
        and LLVM compiles the particle pass ~25% slower; the two extra calls cost microseconds.
        """
        state, s = self._state, self._state.settings
        cells, awake = self._cells, self._awake
        self.particle_pass(awake)
        heat_pass(
            cells[0],
            cells[1],
            cells[5],
            awake,
            self.changed,
            TABLES.heat_el,
            TABLES.heat_target,
            s.width,
            s.height,
            float(s.ambient_temp),
            self._heat_scratch,
        )
        ch, cw = state.chunk_awake.shape
        settle_chunks(awake, self.changed, cw, ch)


def decision_directions(
    g: int, ax: float, ay: float
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float32], npt.NDArray[np.bool_]]:
    """What a tick's decisions (kernels/intent.py) look along: (dx, dy) of gravity, the two downhill diagonals and
    the two sides; of the eight ways a gas may drift; (ax, ay, 1 if any gravity, 1 if rows decide); the rows read."""
    dirs = np.zeros((5, 2), np.int64)
    if g >= 0:
        for row, turn in enumerate((0, 1, 7, 2, 6)):
            d = (g + turn) & 7
            dirs[row] = DX[d], DY[d]
    turns = np.zeros((8, 2), np.int64)
    for t in range(8):
        d = t if g < 0 else (g + int(GAS_TURN[t])) & 7
        turns[t] = DX[d], DY[d]
    need = np.zeros(3, np.bool_)
    need[dirs[:, 1] + 1] = True
    # With gravity along the rows a row's support is in the row itself: deciding it all at once would see a line of
    # grains lying along gravity at rest and slide each grain off diagonally. Then every particle acts at its turn.
    decides = g not in (0, 4)
    return dirs, turns, np.array([ax, ay, float(g >= 0), float(decides)], np.float32), need


def decision_scratch(width: int) -> tuple[npt.NDArray[np.generic], ...]:
    """The particle pass's scratch rows (kernels/intent.py): row kind, entry limit, drift chance, decisions, three
    rows of target ranks, where one-cell moves aim, the gas turns, whether a gas's drift target is empty, and the
    movement draws' uniform numbers. Each is padded by ROW_PAD cells: a row decides a whole number of 16-cell
    vectors, its decisions are read 64 at a time (update.update_pass) and its ranks written 64 at a time
    (intent.rank_row)."""
    n = width + ROW_PAD
    return (
        np.zeros(n, np.uint8),
        np.zeros(n, np.uint8),
        np.zeros(n, np.int32),
        np.zeros(n, np.int8),
        np.zeros((3, n), np.uint8),
        np.zeros(n, np.int8),
        np.zeros(n, np.uint8),
        np.zeros(n, np.uint8),
        np.zeros(n, np.uint32),
    )


def _flat(plane: npt.NDArray[np.generic]) -> npt.NDArray[np.generic]:
    flat = plane.reshape(-1)
    if not np.shares_memory(flat, plane):
        raise ValueError("cell planes must be C-contiguous")
    return flat
