"""Kernels against slow, obvious references on small grids."""

from __future__ import annotations

from typing import Any

import numpy as np

from particula.engine import reference
from particula.engine.jit import byte_mask, highest_bit, kernel, lowest_bit
from particula.engine.kernels.chunks import settle_chunks
from particula.engine.rng import draw, tick_key, uniform


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
