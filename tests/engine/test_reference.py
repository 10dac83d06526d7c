"""Kernels against slow, obvious references on small grids."""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
import pytest

from particula.engine import jit, reference
from particula.engine.jit import byte_mask, highest_bit, kernel, lowest_bit, mover_ranks64, signed_lookup16
from particula.engine.kernels import intent
from particula.engine.kernels.chunks import settle_chunks
from particula.engine.rng import draw, tick_key, uniform
from particula.engine.tables import TABLES


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
    for shape in ((1, 1), (4, 7), (9, 5)):
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


def _mover_ranks(rank_of: Any, held_moves: Any, el: Any, ctype: Any, start: int, out: Any, out_start: int) -> None:
    mover_ranks64(rank_of, held_moves, el, ctype, np.uint64(start), out, np.uint64(out_start))


def test_mover_ranks_match_the_pair_table(compile_both_ways: Any) -> None:
    """The target ranks of a row (intent.rank_row): a cell ranks as what it moves as (a burning fuel as the fuel it
    holds), as tables.Motion.pair says."""
    n = TABLES.motion.kind.size
    pair = TABLES.motion.pair.reshape(n, n)
    rng = np.random.default_rng(5)
    el = rng.integers(0, n, 200).astype(np.uint8)
    ctype = np.where(rng.random(200) < 0.5, rng.integers(0, n, 200), 0).astype(np.uint8)
    burning = np.nonzero(intent._HELD_MOVES)[0]
    el[::7] = burning[0]  # burning fuels, holding something or not
    ranks = compile_both_ways(_mover_ranks)
    for start, out_start in ((0, 0), (9, 3), (136, 70)):
        out = np.full(140, 99, np.uint8)
        ranks(intent._RANK_OF, intent._HELD_MOVES, el, ctype, start, out, out_start)
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
    el[::5] = np.nonzero(intent._HELD_MOVES)[0][0]
    for base, xa, xb in ((0, 0, 150), (100, 1, 2), (100, 3, 200), (150, 10, 150), (236, 0, 64)):
        out = np.zeros(300 + 64, np.uint8)
        intent.rank_row(el, ctype, base, xa, xb, out)
        cells = slice(base + xa, base + xb)
        assert np.array_equal(out[xa:xb], (pair[el[cells], ctype[cells]] & 255).astype(np.uint8)), (base, xa, xb)
