"""Movement as a player sees it: falling, piling, flowing, layering, and gravity in any direction."""

from __future__ import annotations

import numpy as np

from particula.engine import World, elements


def _ys(world: World, name: str) -> np.ndarray:
    return np.nonzero(world.element_ids() == elements.id_of(name))[0]


def _xs(world: World, name: str) -> np.ndarray:
    return np.nonzero(world.element_ids() == elements.id_of(name))[1]


def test_a_grain_falls_to_the_floor_and_speeds_up() -> None:
    world = World(8, 60, seed=1)
    world.paint(4, 0, 0, "sand")
    positions = []
    for _ in range(40):
        world.step()
        positions.append(int(_ys(world, "sand")[0]))
    steps = np.diff(positions[:25])
    assert steps[-5:].sum() > steps[:5].sum()  # later ticks cover more cells: it accelerates
    world.step(60)
    assert world.element_at(4, 59) == "sand"
    assert world.particle_count == 1


def test_sand_piles_into_a_slope() -> None:
    world = World(40, 30, seed=2)
    world.fill_rect(18, 0, 22, 20, "sand")
    world.step(300)
    heights = [(world.element_ids()[:, x] != 0).sum() for x in range(40)]
    assert max(heights) < 20  # the column slumped
    assert heights[20] > heights[5]
    assert heights[20] > heights[35]
    assert sum(heights) == 80


def test_a_water_column_levels_into_a_pool() -> None:
    world = World(24, 30, seed=3)
    world.fill_rect(0, 6, 3, 30, "water")
    world.step(600)
    depth = [(world.element_ids()[:, x] != 0).sum() for x in range(24)]
    # Surface particles look one chunk (16 cells) ahead for a lower place, so a wide pool may keep a slight
    # slope: within two rows of level, and covering the whole floor.
    assert min(depth) >= 1
    assert max(depth) - min(depth) <= 2
    assert world.count("water") == 72


def test_oil_ends_above_water() -> None:
    world = World(20, 30, seed=4)
    world.fill_rect(0, 14, 20, 20, "oil")
    world.fill_rect(0, 20, 20, 26, "water")
    world.fill_rect(0, 0, 20, 6, "water")
    world.step(800)
    assert _ys(world, "oil").max() < _ys(world, "water").min()


def test_sand_sinks_through_water() -> None:
    world = World(10, 30, seed=5)
    world.fill_rect(0, 10, 10, 30, "water")
    world.fill_rect(3, 0, 7, 3, "sand")
    world.step(600)
    assert _ys(world, "sand").max() == 29  # on the bottom
    assert _ys(world, "sand").mean() > _ys(world, "water").mean() + 10


def test_a_grain_falls_through_gas_as_through_air_but_a_liquid_holds_it_back() -> None:
    def depth_after(fill: str | None, ticks: int) -> int:
        world = World(3, 60, gravity=(0.0, 9.8), seed=7)
        if fill is not None:
            world.fill_rect(0, 1, 3, 60, fill)
        world.paint(1, 0, 0, "sand")
        world.step(ticks)
        return int(_ys(world, "sand")[0])

    through_air = depth_after(None, 25)
    assert through_air >= 25  # it accelerates: 0.109 cells/tick each tick covers ~34 cells in 25 ticks
    assert depth_after("hydrogen", 25) >= through_air - 3  # the gas it swaps with does not slow it
    assert depth_after("oil", 25) < through_air / 2  # pushing into a liquid takes its momentum


def test_sideways_gravity_slides_a_pile_sideways() -> None:
    world = World(60, 30, gravity=(9.8, 0.0), seed=6)
    world.fill_rect(10, 10, 20, 20, "sand")
    before = _xs(world, "sand").mean()
    world.step(200)
    assert _xs(world, "sand").mean() > before + 20
    assert (_xs(world, "sand") >= 50).any()
    assert world.count("sand") == 100


def test_a_bar_of_sand_lying_along_sideways_gravity_falls_as_one() -> None:
    world = World(40, 12, seed=3, gravity=(9.8, 0.0))
    for x in range(5, 20):
        world.paint(x, 6, 0, "sand")
    world.step(6)
    sand = world.state.planes["element"] == elements.id_of("sand")
    assert sand[6].sum() == 15  # none slid off the bar diagonally
    assert np.nonzero(sand[6])[0].max() > 19  # and its end moved along gravity


def test_zero_gravity_leaves_a_pile_in_place() -> None:
    world = World(30, 30, gravity=(0.0, 0.0), seed=7)
    world.fill_rect(10, 10, 20, 20, "sand")
    world.fill_rect(0, 0, 5, 5, "water")
    before = world.element_ids().copy()
    world.step(100)
    assert (world.element_ids() == before).all()


def test_gas_rises() -> None:
    world = World(20, 40, seed=8)
    world.fill_rect(5, 30, 15, 35, "hydrogen")
    world.step(200)
    assert _ys(world, "hydrogen").mean() < 20


def test_particles_are_conserved_when_nothing_reacts() -> None:
    world = World(50, 40, seed=9)
    rng = np.random.default_rng(0)
    for name in ("sand", "water", "oil", "stone", "gravel"):
        for _ in range(15):
            x, y = rng.integers(0, 50), rng.integers(0, 40)
            world.paint(int(x), int(y), 2, name)
    counts = {name: world.count(name) for name in ("sand", "water", "oil", "stone", "gravel")}
    world.step(300)
    assert counts == {name: world.count(name) for name in counts}


def test_open_edges_let_particles_fall_out() -> None:
    world = World(10, 10, walls=False, seed=10)
    world.fill_rect(0, 0, 10, 3, "sand")
    world.step(100)
    assert world.particle_count == 0


def test_settled_world_falls_asleep_and_painting_wakes_it() -> None:
    world = World(64, 64, seed=11)
    world.fill_rect(0, 40, 64, 64, "sand")
    world.step(5)
    assert world.state.chunk_awake.sum() == 0
    world.paint(10, 5, 2, "water")
    assert world.state.chunk_awake.sum() > 0


def test_a_grain_at_rest_for_hundreds_of_ticks_slides_as_soon_as_the_floor_beside_it_goes() -> None:
    # However long a particle has rested (the pass numbers that stamp moved particles wrap after 255 passes), it
    # moves the tick its way opens.
    for rested in range(245, 266):
        world = World(16, 16, seed=12)
        world.fill_rect(0, 6, 16, 7, "stone")
        world.paint(8, 0, 0, "sand")
        world.step(rested)
        assert world.element_at(8, 5) == "sand"
        world.fill_rect(7, 6, 8, 7, "empty")
        world.fill_rect(9, 6, 10, 7, "empty")
        world.step()
        assert world.element_at(8, 5) == "empty", rested
