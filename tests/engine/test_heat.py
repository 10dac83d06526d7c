"""Heat as a player sees it, and the heat kernel against the whole-array reference."""

from __future__ import annotations

import numpy as np

from particula.engine import World, elements, reference
from particula.engine.kernels.heat import heat_pass, heat_scratch
from particula.engine.tables import TABLES


def _run_heat_kernel(
    element: np.ndarray, temperature: np.ndarray, ctype: np.ndarray, ambient: float, awake: np.ndarray | None = None
) -> np.ndarray:
    height, width = element.shape
    chunks = ((height + 15) // 16) * ((width + 15) // 16)
    awake = np.ones(chunks, np.uint8) if awake is None else awake.reshape(-1)
    changed = np.zeros(chunks, np.uint8)
    temp = temperature.copy().reshape(-1)
    rows = heat_scratch(width)
    heat_pass(
        element.reshape(-1),
        temp,
        ctype.reshape(-1),
        awake,
        changed,
        TABLES.heat_el,
        TABLES.heat_target,
        width,
        height,
        ambient,
        rows,
    )
    return temp.reshape(height, width)


def test_heat_kernel_matches_the_reference() -> None:
    rng = np.random.default_rng(42)
    for shape in ((5, 7), (17, 33), (40, 21), (19, 150)):  # 150: two rows of 64 cells and a remainder
        element = rng.integers(0, len(elements.names()), shape).astype(np.uint8)
        element[rng.random(shape) < 0.3] = 0
        ctype = rng.integers(0, len(elements.names()), shape).astype(np.uint8)
        temperature = rng.uniform(-50, 1500, shape).astype(np.float32)
        temperature[rng.random(shape) < 0.3] = 20.0
        expected = reference.heat(element, temperature, ctype, 20.0)
        # Within one float32 rounding: the compiled code may round a sum once differently from NumPy.
        np.testing.assert_allclose(_run_heat_kernel(element, temperature, ctype, 20.0), expected, rtol=1e-6, atol=1e-5)


def test_only_awake_chunks_change_and_they_match_the_reference() -> None:
    # Awake chunk rows separated by sleeping ones, and runs of awake chunks within a row: the kernel's rows of
    # conductivities and old temperatures must be right after every gap.
    rng = np.random.default_rng(7)
    shape = (100, 70)
    element = rng.integers(0, len(elements.names()), shape).astype(np.uint8)
    element[rng.random(shape) < 0.3] = 0
    ctype = rng.integers(0, len(elements.names()), shape).astype(np.uint8)
    temperature = rng.uniform(-50, 1500, shape).astype(np.float32)
    awake = (rng.random((7, 5)) < 0.5).astype(np.uint8)
    awake[2] = 0
    awake[3] = 1
    cells_awake = np.kron(awake, np.ones((16, 16), np.uint8))[: shape[0], : shape[1]].astype(bool)
    expected = np.where(cells_awake, reference.heat(element, temperature, ctype, 20.0), temperature)
    result = _run_heat_kernel(element, temperature, ctype, 20.0, awake)
    np.testing.assert_allclose(result, expected, rtol=1e-6, atol=1e-5)
    assert (result[~cells_awake] == temperature[~cells_awake]).all()


def test_heat_flows_through_metal_but_not_through_insulator() -> None:
    world = World(40, 10, gravity=(0.0, 0.0), seed=1)
    world.fill_rect(0, 0, 20, 10, "metal")
    world.fill_rect(20, 0, 40, 10, "insulator")
    world.fill_rect(0, 0, 2, 10, "heater")
    world.fill_rect(20, 0, 22, 10, "heater")
    world.step(300)
    assert world.temperature_at(12, 5) > 100
    assert world.temperature_at(32, 5) == 20.0


def test_open_space_relaxes_to_ambient() -> None:
    world = World(16, 16, ambient_temp=15.0, seed=2)
    world.state.planes["temperature"][...] = 300.0
    world.state.chunk_awake[...] = 1
    world.step(600)
    assert abs(world.temperature_at(8, 8) - 15.0) < 1.0


def test_water_boils_and_steam_condenses() -> None:
    world = World(20, 30, seed=3)
    world.fill_rect(0, 26, 20, 30, "heater")
    world.fill_rect(0, 22, 20, 26, "water")
    world.step(400)
    assert world.count("steam") + world.count("water") > 0
    assert world.count("water") < 80  # some of it boiled away


def test_water_freezes_next_to_a_cooler() -> None:
    world = World(20, 20, seed=4)
    world.fill_rect(0, 15, 20, 20, "cooler")
    world.fill_rect(0, 12, 20, 15, "water")
    world.step(400)
    assert world.count("ice") > 0


def test_a_region_in_balance_keeps_its_temperatures_bit_for_bit() -> None:
    """Runs whose temperatures do not change are not written back (heat.heat_run); what the pass gives is still what
    writing every cell gives, bit for bit: in a region in balance at the ambient temperature, in one of signed zeros
    (-0 + 0 is +0, so zeros are always written), and beside a run that does change."""
    stone = elements.id_of("stone")
    element = np.full((40, 40), stone, np.uint8)
    element[:16, ::3] = 0  # air in balance too: it drifts toward the ambient temperature, which it has
    temperature = np.full((40, 40), 20.0, np.float32)
    temperature[16:32] = np.where(np.arange(40) % 2 == 0, np.float32(-0.0), np.float32(0.0))
    temperature[35:, 30:] = 300.0  # a hot corner: its runs change
    ctype = np.zeros_like(element)
    result = _run_heat_kernel(element, temperature, ctype, 20.0)
    expected = reference.heat(element, temperature, ctype, 20.0)
    assert np.array_equal(result[:14].view(np.uint32), expected[:14].view(np.uint32))
    assert (result[:14] == 20.0).all()
    assert np.array_equal(result[18:30].view(np.uint32), expected[18:30].view(np.uint32))
    assert not np.signbit(result[18:30]).any()  # -0 + 0 is +0, as when every cell is stored
    assert (result[35:, 30:] < 300.0).any()  # the corner cools
    assert (result[34, 30:] > 0.0).all()  # and warms the row above it
