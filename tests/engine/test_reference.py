"""Kernels against slow, obvious references on small grids."""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
import pytest

from particula.engine import elements, jit, reference
from particula.engine.jit import byte_mask, highest_bit, kernel, lowest_bit, signed_lookup16
from particula.engine.kernels import intent
from particula.engine.kernels.chunks import settle_chunks
from particula.engine.rng import draw, tick_key, uniform
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
    temperature_key,
)


def test_random_numbers_match_the_python_reference() -> None:
    for seed, tick, index, purpose in ((1, 0, 0, 1), (2**64 - 1, 123456, 479999, 9), (42, 7, 31, 3)):
        key = np.uint64(tick_key(np.uint64(seed), np.uint64(tick)))
        assert int(draw(key, index, purpose)) == reference.draw(seed, tick, index, purpose)
        assert 0.0 <= uniform(key, index, purpose) < 1.0


def test_random_numbers_look_uniform() -> None:
    key = np.uint64(tick_key(np.uint64(5), np.uint64(9)))
    values = np.array([uniform(key, i, 1) for i in range(4000)])
    assert abs(values.mean() - 0.5) < 0.02
    assert abs((values < 0.1).mean() - 0.1) < 0.02


def test_chunk_settling_matches_the_reference() -> None:
    rng = np.random.default_rng(1)
    for shape in ((1, 1), (1, 6), (5, 1), (2, 2), (4, 7), (9, 5), (38, 50)):
        changed = (rng.random(shape) < 0.2).astype(np.uint8)
        awake = np.zeros(changed.size, np.uint8)
        scratch = changed.reshape(-1).copy()
        settle_chunks(awake, scratch, shape[1], shape[0])
        assert np.array_equal(awake.reshape(shape), reference.settle(changed))
        assert not scratch.any()


@kernel
def _masks_and_scans(cells: Any, start: int, bits: int, above: int) -> tuple[Any, Any, Any]:
    mask = byte_mask(cells, np.uint64(start), bits, above)
    if mask == 0:
        return mask, -1, -1
    return mask, lowest_bit(mask), highest_bit(mask)


def test_byte_masks_and_bit_scans_match_python() -> None:
    """The vector compares and bit scans the particle pass finds a row's work with (update.update_pass)."""
    cells = np.random.default_rng(3).integers(0, 64, 256).astype(np.int8)
    cells[100:164] = 1  # a stretch where nothing is above 2
    for start, bits, above in ((0, 15, 2), (37, 32, 0), (100, 15, 2), (150, 63, 40), (192, 255, 0)):
        mask, lowest, highest = _masks_and_scans(cells, start, bits, above)
        expected = [k for k in range(64) if (int(cells[start + k]) & bits) > above]
        assert int(mask) == sum(1 << k for k in expected), (start, bits, above)
        assert (int(lowest), int(highest)) == ((expected[0], expected[-1]) if expected else (-1, -1))


def _signed_lookups(table: Any, el: Any, start: int, out: Any, out_start: int) -> int:
    return int(signed_lookup16(table, el, np.uint64(start), out, np.uint64(out_start)))


@pytest.fixture(params=["as this CPU compiles", "by the portable path"])
def compile_both_ways(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    """numba.njit, with the intrinsics compiled as this CPU compiles them, or by the path any CPU takes (the flag is
    read when a function is compiled, at its first call)."""
    if request.param == "by the portable path":
        monkeypatch.setattr(jit, "VECTOR_PERMUTES", False)
    return numba.njit


def test_signed_lookups_match_python(compile_both_ways: Any) -> None:
    """The element lookup of the heat pass (heat.thermal_row)."""
    rng = np.random.default_rng(11)
    table = rng.uniform(0.0, 500.0, 64).astype(np.float32) * rng.choice(np.array([-1, 1], np.float32), 64)
    table[[0, 1, 62, 63]] = np.array([0.0, -0.0, -7.5, 3.0], np.float32)  # signed zeros, the last entries
    el = rng.integers(0, 64, 90).astype(np.uint8)
    el[:4] = [0, 1, 62, 63]
    lookups = compile_both_ways(_signed_lookups)
    for start, out_start in ((0, 0), (5, 3), (74, 40)):
        out = np.full(60, np.float32(-1.0))
        found = lookups(table, el, start, out, out_start)
        values = table[el[start : start + 16]]
        assert np.array_equal(out[out_start : out_start + 16].view(np.uint32), np.abs(values).view(np.uint32))
        assert (out[:out_start] == -1.0).all()
        assert (out[out_start + 16 :] == -1.0).all()
        assert found == sum(1 << k for k in range(16) if np.signbit(values[k])), start


def _mover_ranks(table: Any, el: Any, ctype: Any, start: int, out: Any, out_start: int) -> None:
    intent.ranks64(table, el, ctype, np.uint64(start), out, np.uint64(out_start))


def test_mover_ranks_match_the_pair_table(compile_both_ways: Any) -> None:
    """The target ranks of a row (intent.rank_row): a cell ranks as what it moves as (a burning fuel as the fuel it
    holds), as tables.Motion.pair says."""
    n = TABLES.motion.kind.size
    pair = TABLES.motion.pair.reshape(n, n)
    rng = np.random.default_rng(5)
    el = rng.integers(0, n, 200).astype(np.uint8)
    ctype = np.where(rng.random(200) < 0.5, rng.integers(0, n, 200), 0).astype(np.uint8)
    burning = np.nonzero(TABLES.motion.kind & K_MLO)[0]
    el[::7] = burning[0]  # burning fuels, holding something or not
    ranks = compile_both_ways(_mover_ranks)
    for start, out_start in ((0, 0), (9, 3), (136, 70)):
        out = np.full(140, 99, np.uint8)
        ranks(intent._KINDS_AND_RANKS, el, ctype, start, out, out_start)
        cells = slice(start, start + 64)
        expected = (pair[el[cells], ctype[cells]] & 255).astype(np.uint8)
        assert np.array_equal(out[out_start : out_start + 64], expected), start
        assert (out[:out_start] == 99).all()
        assert (out[out_start + 64 :] == 99).all()


def test_rank_rows_match_the_pair_table() -> None:
    """intent.rank_row over runs of every length, up to the end of the planes (whose last cells go one by one)."""
    n = TABLES.motion.kind.size
    pair = TABLES.motion.pair.reshape(n, n)
    rng = np.random.default_rng(6)
    el = rng.integers(0, n, 300).astype(np.uint8)
    ctype = np.where(rng.random(300) < 0.5, rng.integers(0, n, 300), 0).astype(np.uint8)
    el[::5] = np.nonzero(TABLES.motion.kind & K_MLO)[0][0]
    for base, xa, xb in ((0, 0, 150), (100, 1, 2), (100, 3, 200), (150, 10, 150), (236, 0, 64)):
        out = np.zeros(300 + 64, np.uint8)
        intent.rank_row(el, ctype, base, xa, xb, out)
        cells = slice(base + xa, base + xb)
        assert np.array_equal(out[xa:xb], (pair[el[cells], ctype[cells]] & 255).astype(np.uint8)), (base, xa, xb)


def _lookup_planes(seed: int, width: int, height: int) -> tuple[Any, ...]:
    """Planes that reach every branch of a row's lookup: burning fuels holding something or not, lifetimes of 0, 1
    and more, temperatures on, just past and far from each element's range (water at -0, on its bottom edge),
    reaction partners side by side. Each plane is the start of a longer array whose tail would change the answers,
    so a read past the planes' end shows."""
    motion = TABLES.motion
    n = motion.kind.size
    size = width * height
    rng = np.random.default_rng(seed)
    el = rng.integers(0, n, size).astype(np.uint8)
    el[rng.random(size) < 0.3] = np.nonzero(motion.partners)[0][0]  # often beside its partners
    el[::9] = np.nonzero(TABLES.motion.kind & K_MLO)[0][0]
    el[::26] = elements.id_of("water")
    ctype = np.where(rng.random(size) < 0.5, rng.integers(0, n, size), 0).astype(np.uint8)
    life = rng.choice(np.array([0, 1, 2, 500], np.uint16), size)
    edge = np.where(rng.random(size) < 0.5, motion.high_t[el], motion.low_t[el]).astype(np.float32)
    edge = np.where(np.isfinite(edge), edge, np.float32(20.0))
    nudged = np.nextafter(edge, rng.choice(np.array([-np.inf, np.inf], np.float32), size)).astype(np.float32)
    temperature = np.select(
        [rng.random(size) < 0.3, rng.random(size) < 0.5],
        [edge, nudged],
        rng.normal(0.0, 800.0, size).astype(np.float32),
    ).astype(np.float32)
    temperature[::13] = np.float32(-0.0)
    tails = (elements.id_of("fire"), elements.id_of("fire"), 1, np.float32(1e30))
    return tuple(
        np.concatenate([plane, np.full(256, tail, plane.dtype)])[:size]
        for plane, tail in zip((el, ctype, life, temperature), tails, strict=True)
    )


def _expected_lookup(planes: tuple[Any, ...], width: int, i: int) -> tuple[int, int, int, int]:
    """What the row lookup says of cell i, by tables.Motion's rules, one field at a time: (kind, limit, drift, rank)."""
    el, ctype, life, temperature = planes
    motion = TABLES.motion
    n = motion.kind.size
    e = int(el[i])
    pair = int(motion.pair[e * n + int(ctype[i])])
    k = (pair >> PAIR_KIND) & 255
    key = int(temperature_key(temperature[i]))
    bounds = int(motion.bounds[e])
    partner = any(int(motion.partners[e]) >> int(el[j]) & 1 for j in (i - 1, i + 1, i - width, i + width))
    timed = bool(k & K_TIMED)
    simple = (
        not (timed and life[i] == 1)
        and not (k & K_REACTIVE and partner)
        and not k & K_TOOL
        and bounds & 0xFFFFFFFF <= key <= bounds >> 32
    )
    counts = timed and life[i] > 0
    kind = (k & (K_PHASE | K_LEVELS)) | intent.ROW_SIMPLE * simple | intent.ROW_COUNTS * counts
    return kind, (pair >> PAIR_LIMIT) & 255, pair >> PAIR_DRIFT, pair & 255


def _scratch(width: int) -> tuple[Any, ...]:
    return tuple(np.full(width + 64, 99, dtype) for dtype in (np.uint8, np.uint8, np.int32, np.uint8))


def _lookups64(planes: Any, start: int, width: int, rows: Any, out_start: int) -> None:
    el, ctype, life, temperature = planes
    kd, lim, drift, ranks = rows
    bits = temperature.view(np.uint32)
    intent.lookup64(
        intent._LOOKUP_TABLES,
        el,
        ctype,
        life,
        bits,
        np.uint64(start),
        width,
        kd,
        lim,
        drift,
        ranks,
        np.uint64(out_start),
    )


def test_lookups_of_64_cells_follow_the_rules(compile_both_ways: Any) -> None:
    """intent.lookup64, the row lookup of 64 cells by vector permutes, against the rules cell by cell."""
    width, height = 150, 4
    planes = _lookup_planes(8, width, height)
    lookups = compile_both_ways(_lookups64)
    # The last: its cells' neighbours below end with the planes.
    for start, out_start in (
        (width + 1, 0),
        (2 * width - 64, 70),
        (2 * width + 13, 86),
        (width * (height - 1) - 64, 20),
    ):
        rows = _scratch(width)
        lookups(planes, start, width, rows, out_start)
        for k in range(64):
            got = tuple(int(row[out_start + k]) for row in rows)
            assert got == _expected_lookup(planes, width, start + k), (start, k)
        assert all((row[:out_start] == 99).all() and (row[out_start + 64 :] == 99).all() for row in rows)


def test_row_lookups_follow_the_rules() -> None:
    """intent.lookup_row over runs of every length, 64 cells at a time and the last rows' cells one by one; asking
    for the row two ahead as it goes (either way, or a row past the planes) changes nothing."""
    width, height = 150, 6
    planes = _lookup_planes(9, width, height)
    el, ctype, life, temperature = planes
    velocity = np.zeros(el.shape, np.float32)
    cells = (el, temperature, velocity, velocity, life, ctype)
    # (4, 87, 149): its one 64-cell block reads up to the planes' last cell.
    for y, xa, xb in ((1, 1, 149), (2, 1, 2), (3, 40, 120), (4, 1, 149), (4, 100, 149), (4, 87, 149)):
        for ahead in (0, 2 * width, -2 * width, 40 * width, -40 * width):
            kd, lim, drift, ranks = rows = _scratch(width)
            intent.lookup_row(
                cells, temperature.view(np.uint32), y * width, xa, xb, width, kd, lim, drift, ranks, ahead
            )
            for x in range(xa - 1, xb + 1):
                got = tuple(int(row[x]) for row in rows)
                assert got == _expected_lookup(planes, width, y * width + x), (y, xa, xb, ahead, x)
