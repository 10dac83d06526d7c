"""Reactions and state changes as a player sees them."""

from __future__ import annotations

import numpy as np

from particula.engine import World, elements


def test_lava_melts_ice_and_cools_into_stone() -> None:
    world = World(40, 20, seed=1)
    world.fill_rect(0, 10, 20, 20, "ice")
    world.fill_rect(20, 10, 40, 20, "lava")
    world.step(600)
    assert world.count("ice") < 200
    assert world.count("stone") > 0


def test_water_on_lava_makes_stone_and_steam() -> None:
    world = World(20, 20, seed=2)
    world.fill_rect(0, 15, 20, 20, "lava")
    world.fill_rect(0, 5, 20, 8, "water")
    saw_steam = False
    for _ in range(60):
        world.step(5)
        saw_steam = saw_steam or world.count("steam") > 0
    assert saw_steam
    assert world.count("stone") > 0


def test_fire_burns_wood_down_to_ash() -> None:
    world = World(30, 30, seed=3)
    world.fill_rect(5, 10, 25, 30, "wood")
    world.paint(15, 9, 2, "fire")
    world.step(1200)
    assert world.count("wood") < 40
    assert world.count("ash") > 100


def test_acid_dissolves_stone() -> None:
    world = World(20, 30, seed=4)
    world.fill_rect(0, 20, 20, 30, "stone")
    world.fill_rect(0, 10, 20, 14, "acid")
    world.step(400)
    assert world.count("stone") < 200
    assert world.count("acid") < 80


def test_gunpowder_explodes_throwing_sand() -> None:
    world = World(40, 40, seed=5)
    world.fill_rect(10, 30, 30, 40, "gunpowder")
    world.fill_rect(10, 25, 30, 30, "sand")
    world.paint(9, 31, 0, "fire")
    world.step(200)
    assert world.count("gunpowder") == 0
    assert world.count("sand") == 100  # thrown about, not destroyed


def test_salt_dissolves_in_water() -> None:
    world = World(20, 20, seed=6)
    world.fill_rect(0, 10, 20, 20, "water")
    world.fill_rect(5, 0, 10, 2, "salt")
    world.step(500)
    assert world.count("salt_water") > 0


def test_a_cloner_copies_what_touches_it_and_a_void_deletes() -> None:
    world = World(20, 20, seed=7)
    world.paint(10, 10, 0, "cloner")
    world.paint(10, 9, 0, "sand")
    world.paint(3, 19, 0, "void")
    world.step(30)
    assert world.count("sand") > 5
    world2 = World(10, 10, seed=7)
    world2.fill_rect(0, 9, 10, 10, "void")
    world2.fill_rect(0, 0, 10, 3, "sand")
    world2.step(100)
    assert world2.count("sand") == 0


def test_burning_oil_falls_like_oil_while_a_bare_flame_rises() -> None:
    world = World(20, 40, seed=6)
    planes = world.state.planes
    fire, oil = elements.id_of("fire"), elements.id_of("oil")
    for x, held in ((6, oil), (10, 0), (14, oil)):
        planes["element"][3, x] = fire
        planes["ctype"][3, x] = held
        planes["life"][3, x] = 200
        planes["temperature"][3, x] = 900.0
    world.state.chunk_awake[...] = 1
    world.step(40)
    ids, held = world.element_ids(), planes["ctype"]
    burning_oil = np.nonzero((ids == fire) & (held == oil))[0]
    flames = np.nonzero((ids == fire) & (held == 0))[0]
    assert len(burning_oil) == 2  # still burning
    assert burning_oil.min() >= 38  # and fell to the floor
    assert len(flames) == 1
    assert flames[0] <= 3  # the flame without fuel drifted up, or stayed
