"""The particle pass of a tick: every particle in an awake chunk changes state, reacts, and moves.

Scan order: rows start from the side gravity pulls toward, so a falling column moves in one tick; in zero-g (or
along an axis gravity does not touch) the direction alternates with the tick so no side is favoured.

Speed: a compiled call that passes the planes costs tens of nanoseconds (every array goes field by field), more
than most particles' whole work. So the loop reads one packed `kind` byte per particle (tables.Motion), counts
lifetimes down, compares thresholds, looks for reaction partners and moves particles inline (motion.py is pasted
in), and calls a helper only for the rare events: a lifetime running out, a threshold crossed, a reaction that
may roll, a tool, a particle leaving an open world. Array indices are cast to unsigned, which spares Numba's
negative-index check on every access.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from particula.engine.element_types import PHASE_GAS, PHASE_LIQUID, PHASE_POWDER
from particula.engine.jit import byte_mask, highest_bit, inline, kernel, lowest_bit, prefetch
from particula.engine.kernels.behaviour import change_state, react, run_tool
from particula.engine.kernels.cells import DX, DY, Cells, Tabs, inside, mark
from particula.engine.kernels.chunks import any_awake
from particula.engine.kernels.intent import (
    ACT,
    DRIFT,
    DRIFT_MOVE,
    KEEPS_AWAKE,
    SETTLE,
    SETTLE_SECOND,
    STAY,
    STEP,
    WHAT,
    aim_code,
    apply_row,
    decide_row,
    gas_row,
    hash_row,
    lookup_row,
    rank_row,
)
from particula.engine.kernels.motion import accelerate, drift, fall, mover, one_cell, travel
from particula.engine.tables import K_PHASE, K_REACTIVE, K_SPECIAL, K_TIMED, K_TOOL

U = np.uint64


@inline
def has_partner(x: int, y: int, e: int, p: Any, el: Any, reaction_of: Any) -> bool:
    """Whether any of the four neighbours is something element e reacts with."""
    width, height = p[0], p[1]
    for k in range(4):
        nx, ny = x + DX[2 * k], y + DY[2 * k]
        if inside(nx, ny, width, height) and reaction_of[U(e), el[U(ny * width + nx)]] >= 0:
            return True
    return False


@inline
def act(i: int, x: int, y: int, p: Any, cells: Cells, tabs: Tabs, mt: Any, changed: Any, stamp: Any) -> None:
    """A particle's turn by the sequential rules, deciding from the cells as they are now: its lifetime, a state
    change, a reaction, a tool, then its move."""
    el, temp, life, ctype = cells[0], cells[1], cells[4], cells[5]
    kind, high_t, low_t = mt[0], mt[1], mt[2]
    n = kind.shape[0]
    e = int(el[U(i)])
    kd = kind[e]
    phase = kd & K_PHASE
    a = e
    if kd & K_SPECIAL:  # one branch for the common elements instead of four
        if kd & K_TIMED:
            left = int(life[U(i)])
            if left > 0:
                life[U(i)] = left - 1
                mark(x, y, p[2], changed)
                if left == 1 and change_state(i, x, y, True, p, cells, tabs, mt, changed):
                    return
        t = temp[U(i)]
        if (t > high_t[e] or t < low_t[e]) and change_state(i, x, y, False, p, cells, tabs, mt, changed):
            return
        if kd & K_REACTIVE and has_partner(x, y, e, p, el, tabs[2]) and react(i, x, y, p, cells, tabs, changed, stamp):
            return
        if kd & K_TOOL:
            run_tool(i, x, y, p, cells, tabs, changed, stamp)
            return
        a = mover(e, int(ctype[U(i)]), kind)
        phase = kind[a] & K_PHASE
    else:
        t = temp[U(i)]
        if (t > high_t[e] or t < low_t[e]) and change_state(i, x, y, False, p, cells, tabs, mt, changed):
            return
    if phase == PHASE_GAS:
        drift(i, x, y, e, p, cells, tabs, mt, changed, stamp)
    elif phase in (PHASE_POWDER, PHASE_LIQUID):
        fall(i, x, y, a, phase == PHASE_LIQUID, n, p, cells, tabs, mt, changed, stamp)


@inline
def carry_out(
    x: int,
    y: int,
    d: int,
    p: Any,
    cells: Cells,
    tabs: Tabs,
    mt: Any,
    changed: Any,
    stamp: Any,
    rows: Any,
) -> None:
    """Carry out decision d (kernels/intent.py) of the particle at (x, y), checking its target again; `rows` are the
    row's scratch rows (Stepper): entry limits (of what the particle moves as), aims (a gas's drift aim among them)
    and the draws' uniform numbers are read."""
    width = p[0]
    i = y * width + x
    if d >= DRIFT_MOVE:  # most: a gas's drift, a slide or coming to rest, a one-cell fall
        lim, aim = rows[1], rows[5]
        settles = (d >= SETTLE) & (d <= SETTLE_SECOND)
        one_cell(i, x, y, d == STEP, settles, int(aim[U(x)]), int(lim[U(x)]), p, cells, changed, stamp)
    elif d == ACT:
        act(i, x, y, p, cells, tabs, mt, changed, stamp)
    else:  # TRAVEL
        vx, vy, uniform = cells[2], cells[3], rows[8]
        ux, uy = accelerate(vx[U(i)], p[5]), accelerate(vy[U(i)], p[6])
        a = mover(int(cells[0][U(i)]), int(cells[5][U(i)]), mt[0])
        travel(i, x, y, ux, uy, a, uniform[U(x)], mt[0].shape[0], p, cells, tabs, mt, changed, stamp)


@inline
def live_cells(word: int, cb: int, cw: int, width: int, awake: Any) -> Any:
    """A bit for each of the 64 cells from column 64 * word that lies in the world and in an awake chunk (its
    chunk row's first chunk is cb)."""
    live = U(0)
    for c in range(word << 2, min((word << 2) + 4, cw)):
        if awake[U(cb + c)] != 0:
            live |= U(0xFFFF) << U((c & 3) << 4)
    beyond = (word + 1) * 64 - width
    if beyond > 0:
        live &= U(0xFFFFFFFFFFFFFFFF) >> U(beyond)
    return live


@inline
def prefetch_row(y: int, width: int, cw: int, awake: Any, cells: Cells) -> None:
    """Start loading the awake chunks' cells of row y, which the pass reaches two rows from now, all at once, for the
    rows that do not ask for it as their lookups go (intent.lookup_row): the world's edges, rows that do not decide
    (gravity along the rows) and sleeping rows before an awake one.

    The pass visits a row across six planes at once, which the CPU's own prefetcher does not foresee: on a busy
    host, whose other work keeps little of the shared cache for this one, C took ~11% longer without asking. Shades
    and stamps are left out: only particles that move read them, at their turn, and asking for them too measured no
    faster (C 0.97-0.99 without them, A, B and the tick after 60 of C within 1%)."""
    cb = (y >> 4) * cw
    base = y * width
    for c in range(cw):
        if awake[U(cb + c)] != 0:
            i = U(base + (c << 4))
            prefetch(cells[0], i)
            prefetch(cells[1], i)
            prefetch(cells[2], i)
            prefetch(cells[3], i)
            prefetch(cells[4], i)
            prefetch(cells[5], i)


@kernel
def update_pass(
    p: Any,
    cells: Cells,
    heat_bits: Any,
    tabs: Tabs,
    mt: Any,
    awake: Any,
    changed: Any,
    stamp: Any,
    x_forward: bool,
    y_forward: bool,
    q: Any,
    rows: Any,
) -> None:
    """Every particle of every awake chunk takes its turn once, row by row: the row's decisions (intent.py), then
    carrying them out in scan order; stamps skip particles that already moved this tick.

    `heat_bits` is the temperature plane viewed as uint32 (intent.lookup_row); `q` is (dirs, turns, acc, need):
    directions for intent.decide_row and gas_row, and the rows of ranks needed; `rows` the scratch rows (Stepper).
    """
    width, height, cw, sv = p[0], p[1], p[2], p[4]
    el, ctype = cells[0], cells[5]
    size = width * height
    dirs, turns, acc, need = q
    kd, lim, drift_row, dec, ranks, aim, turn, free, uniform = rows
    turn_aims = U(0)  # the aim of each of the eight turns a gas may take, four bits each (intent.hash_row)
    for t in range(8):
        turn_aims |= U(aim_code(turns[t, 0], turns[t, 1])) << U(4 * t)
    ahead_chunk_row, ahead_awake = -1, False
    here_chunk_row, here_awake = -1, False
    for row in range(height):
        y = row if y_forward else height - 1 - row
        base = y * width
        cb = (y >> 4) * cw
        interior = (y > 0) & (y < height - 1) & (acc[3] != 0.0)
        if y >> 4 != here_chunk_row:
            here_chunk_row = y >> 4
            here_awake = any_awake(here_chunk_row, cw, awake)
        # The row two ahead is asked for now: as this row's lookups go, 64 cells at a time, over this row's awake
        # chunks (lookup_row); all at once where this row does not decide (prefetch_row).
        ahead = y + 2 if y_forward else y - 2
        lookahead = 0
        if (ahead >= 0) & (ahead < height):
            if ahead >> 4 != ahead_chunk_row:  # an idle world checks its chunk map once per chunk row
                ahead_chunk_row = ahead >> 4
                ahead_awake = any_awake(ahead_chunk_row, cw, awake)
            if ahead_awake:
                if interior & here_awake:
                    lookahead = (ahead - y) * width
                else:
                    prefetch_row(ahead, width, cw, awake, cells)
        if not here_awake:
            continue
        # Decide: each run of awake chunks of this row in one go (the order does not matter, nothing moves yet).
        c0 = 0
        while c0 < cw:
            if awake[U(cb + c0)] == 0:
                c0 += 1
                continue
            c1 = c0 + 1
            while c1 < cw and awake[U(cb + c1)] != 0:
                c1 += 1
            x0, x1 = c0 << 4, min(c1 << 4, width)
            xa, xb = (max(x0, 1), min(x1, width - 1)) if interior else (x0, x0)
            if xb > xa:
                # The decisions run to xe, a whole number of 16-cell vectors: the cells past xb (of a sleeping chunk,
                # the world's edge or the scratch rows' padding) are decided too and never read, which costs less
                # than the loops' scalar remainders. Not in the last rows, whose neighbours' reads would leave the
                # planes.
                xe = xa + ((xb - xa + 15) & ~15) if base + 2 * width + 16 <= size else xb
                lookup_row(cells, heat_bits, base, xa, xb, width, kd, lim, drift_row, ranks[1], lookahead)
                for dy in (0, 2):
                    if need[dy]:
                        rank_row(el, ctype, base + (dy - 1) * width, xa - 1, xb + 1, ranks[dy])
                hash_row(p[3], base, xa, (xe - xa + 7) & ~7, turn, uniform, turn_aims, aim)
                gas_row(el, base, xa, xe, width, turns, turn, free)
                decide_row(
                    cells,
                    y,
                    base,
                    xa,
                    xe,
                    width,
                    acc,
                    dirs,
                    kd,
                    lim,
                    drift_row,
                    ranks,
                    uniform,
                    turn,
                    free,
                    dec,
                    aim,
                )
                apply_row(cells, base, xa, xb, acc, dec)
            else:
                xa = xb = x1
            # Cells on the world's edge take their turn by the sequential rules.
            for x in range(x0, xa):
                dec[U(x)] = np.int8(ACT) if el[U(base + x)] != 0 else np.int8(STAY)
            for x in range(xb, x1):
                dec[U(x)] = np.int8(ACT) if el[U(base + x)] != 0 else np.int8(STAY)
            c0 = c1
        # Carry the decisions out in scan order, 64 cells at a time: a bit per cell with something to do (above
        # DRIFT; the others were settled when the row decided), found by vector compares, not a branch per cell.
        words = (width + 63) >> 6
        for n in range(words):
            word = n if x_forward else words - 1 - n
            start = word << 6
            live = live_cells(word, cb, cw, width, awake)
            if live == 0:
                continue
            # Particles whose chunk stays awake whatever happens next (KEEPS_AWAKE), for four chunks at once.
            keep = byte_mask(dec, U(start), KEEPS_AWAKE, 0) & live
            for c in range(word << 2, min((word << 2) + 4, cw)):
                changed[U(cb + c)] |= np.uint8(((keep >> U((c & 3) << 4)) & U(0xFFFF)) != 0)
            todo = byte_mask(dec, U(start), WHAT, DRIFT) & live
            while todo != 0:
                if x_forward:
                    bit = lowest_bit(todo)
                    todo &= todo - U(1)
                else:
                    bit = highest_bit(todo)
                    todo ^= U(1) << bit
                x = start + int(bit)
                i = base + x
                # Emptied, or moved into by an earlier particle of this row. One branch (`|`, not `or`): either is rare,
                # and two branches cost 1.4% of the pass.
                if (el[U(i)] == 0) | (stamp[U(i)] == sv):
                    continue
                carry_out(x, y, int(dec[U(x)]) & WHAT, p, cells, tabs, mt, changed, stamp, rows)
