"""The particle pass against the slow, obvious movement reference, one tick at a time on small seeded grids."""

from __future__ import annotations

import numpy as np
import pytest

from particula.engine import World, elements, reference
from particula.engine.state import CELL_PLANES
from particula.engine.stepper import ACCEL_PER_MPS2, Stepper


def _kernel_tick(world: World) -> set[tuple[int, int]]:
    """One particle pass of the compiled kernel with every chunk awake; returns the chunks it marked."""
    state = world.state
    ch, cw = state.chunk_awake.shape
    stepper = Stepper(state)
    stepper.particle_pass(np.ones(ch * cw, np.uint8))
    state.tick += 1
    return {(int(cy), int(cx)) for cy, cx in zip(*np.nonzero(stepper.changed.reshape(ch, cw)), strict=True)}


def _random_world(width: int, height: int, mix: dict[str, float], seed: int, **kwargs: object) -> World:
    world = World(width, height, seed=seed, **kwargs)  # type: ignore[arg-type]
    roll = np.random.default_rng(seed).random((height, width))
    low = 0.0
    for name, share in mix.items():
        ys, xs = np.nonzero((roll >= low) & (roll < low + share))
        for x, y in zip(xs, ys, strict=True):
            world.paint(int(x), int(y), 0, name)
        low += share
    return world


def _compare(world: World, ticks: int) -> None:
    s = world.settings
    ax, ay = s.gravity_x * ACCEL_PER_MPS2, s.gravity_y * ACCEL_PER_MPS2
    for _ in range(ticks):
        before = {name: plane.copy() for name, plane in world.state.planes.items()}
        expected, expected_changed = reference.motion(
            before, seed=world.state.seed, tick=world.tick, ax=ax, ay=ay, walls=s.walls
        )
        changed = _kernel_tick(world)
        for name, _ in CELL_PLANES:
            assert np.array_equal(world.state.planes[name], expected[name]), (name, world.tick)
        assert changed == expected_changed, world.tick


@pytest.mark.parametrize(
    "mix",
    [{"sand": 0.4}, {"water": 0.4}, {"hydrogen": 0.3}, {"sand": 0.2, "water": 0.2, "oil": 0.15, "hydrogen": 0.1}],
    ids=["sand", "water", "gas", "mixed"],
)
def test_one_element_kind_at_a_time_and_mixed_match_the_reference(mix: dict[str, float]) -> None:
    _compare(_random_world(37, 29, mix, seed=11), ticks=40)


@pytest.mark.parametrize("gravity", [(9.8, 0.0), (-6.0, 6.0), (0.0, -9.8)], ids=["right", "down-left", "up"])
def test_any_gravity_matches_the_reference(gravity: tuple[float, float]) -> None:
    world = _random_world(30, 26, {"sand": 0.25, "water": 0.25, "hydrogen": 0.1}, seed=5, gravity=gravity)
    _compare(world, ticks=30)


def test_zero_g_with_velocities_and_an_open_world_match_the_reference() -> None:
    world = _random_world(28, 22, {"sand": 0.3, "water": 0.2, "hydrogen": 0.1}, seed=8, gravity=(0.0, 0.0))
    rng = np.random.default_rng(8)
    world.state.planes["velocity_x"][...] = rng.uniform(-3, 3, (22, 28)).astype(np.float32)
    world.state.planes["velocity_y"][...] = rng.uniform(-3, 3, (22, 28)).astype(np.float32)
    world.state.settings.walls = False
    _compare(world, ticks=20)
    assert world.particle_count < 0.6 * 28 * 22  # some left through the open edges


def test_the_reference_refuses_what_it_does_not_model() -> None:
    world = World(8, 8)
    world.paint(3, 3, 0, "fire")
    with pytest.raises(ValueError, match="fire"):
        reference.motion(world.state.planes, seed=1, tick=0, ax=0.0, ay=0.1)
    assert elements.id_of("fire") > 0
