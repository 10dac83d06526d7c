"""The element table: enough elements, premium packs, a JSON-able catalogue and colours for rendering."""

from __future__ import annotations

import json

import numpy as np
import pytest

from particula.engine import elements
from particula.engine.element_data import ELEMENTS
from particula.engine.element_types import CATEGORIES, PHASE_GAS, PHASE_LIQUID, PHASE_POWDER
from particula.engine.kernels.intent import temperature_key as kernel_key
from particula.engine.reaction_data import REACTIONS
from particula.engine.tables import (
    ENTER_ORIGIN,
    F_DENSITY,
    K_LEVELS,
    K_PHASE,
    PAIR_DRIFT,
    PAIR_KIND,
    PAIR_LIMIT,
    TABLES,
    temperature_key,
)


def test_there_are_at_least_forty_paintable_elements_in_every_category() -> None:
    catalogue = elements.catalogue()
    assert len(catalogue) >= 40
    assert {entry["category"] for entry in catalogue} == set(CATEGORIES)
    for name in (
        "sand",
        "salt",
        "snow",
        "gunpowder",
        "ash",
        "water",
        "salt_water",
        "oil",
        "lava",
        "acid",
        "steam",
        "smoke",
        "fire",
        "wall",
        "stone",
        "wood",
        "metal",
        "ice",
        "glass",
        "plant",
        "cloner",
        "void",
        "heater",
        "cooler",
    ):
        assert name in elements.names()


def test_two_premium_packs_have_five_elements_each() -> None:
    packs: dict[str, int] = {}
    for entry in elements.catalogue():
        assert entry["premium"] == (entry["pack"] is not None)
        if entry["pack"]:
            packs[entry["pack"]] = packs.get(entry["pack"], 0) + 1
    assert packs.keys() == {"pyro", "life"}
    assert min(packs.values()) >= 5


def test_catalogue_is_json_with_the_served_fields() -> None:
    entry = json.loads(json.dumps(elements.catalogue()))[0]
    for field in ("name", "category", "colour", "density", "phase", "pack", "premium", "description"):
        assert field in entry
    assert entry["colour"].startswith("#")
    assert len(entry["colour"]) == 7


def test_colour_arrays_are_indexed_by_element_id() -> None:
    base, variation, glows = elements.colour_arrays()
    count = len(elements.names())
    assert base.shape == (count, 3)
    assert base.dtype == np.uint8
    assert variation.shape == glows.shape == (count,)
    assert tuple(base[elements.id_of("sand")]) == (0xDC, 0xC4, 0x8C)
    assert glows[elements.id_of("lava")]
    assert not glows[elements.id_of("sand")]


def test_lookups_by_name_and_id() -> None:
    assert elements.names()[0] == "empty"
    assert elements.get("water").category == "liquid"
    assert elements.name_of(elements.id_of("oil")) == "oil"
    with pytest.raises(KeyError, match="unobtainium"):
        elements.id_of("unobtainium")


def test_reactions_are_data_and_fire_spreads_through_every_flammable() -> None:
    assert len(REACTIONS) >= 20
    fire = elements.id_of("fire")
    for name in elements.names():
        if elements.get(name).flammability > 0:
            assert TABLES.reaction_of[fire, elements.id_of(name)] >= 0, name


def test_heat_exchange_never_overshoots() -> None:
    # Four edges at most MAX conductance each keep the update a convex combination.
    assert TABLES.conductance.max() * 4 <= 1.0


def test_the_packed_enter_table_follows_phase_and_density_and_defers_burning_fuels() -> None:
    motion, floats = TABLES.motion, TABLES.floats
    count = motion.kind.size
    enter = motion.enter.reshape(count, count)
    for a, mover in enumerate(ELEMENTS):
        for b, cell in enumerate(ELEMENTS):
            may = b == 0 or (
                mover.phase != PHASE_GAS
                and cell.phase in (PHASE_LIQUID, PHASE_GAS)
                and floats[b, F_DENSITY] < floats[a, F_DENSITY]
            )
            assert enter[a, b] & 1 == may, (mover.name, cell.name)
            assert bool(enter[a, b] & ENTER_ORIGIN) == cell.moves_like_origin, (mover.name, cell.name)
    sand, oil, water = (elements.id_of(name) for name in ("sand", "oil", "water"))
    assert enter[sand, oil] & 1  # sand sinks through oil
    assert not enter[oil, water] & 1  # oil floats on water


def test_ranks_and_limits_say_who_may_enter_what_the_enter_table_says() -> None:
    """The row decisions compare two small numbers; every mover, cell and held fuel must get the table's answer."""
    motion = TABLES.motion
    count = motion.kind.size
    enter = motion.enter.reshape(count, count)
    rank = (motion.pair & np.uint64(255)).reshape(count, count)
    movers = [a for a, element in enumerate(ELEMENTS) if element.phase in (PHASE_POWDER, PHASE_LIQUID, PHASE_GAS)]
    assert len(movers) > 20
    for a in movers:
        for b in range(count):
            for held in range(count):
                bits = enter[a, b]
                if bits & ENTER_ORIGIN and held != 0:
                    bits = enter[a, held]
                assert bool(rank[b, held] < motion.limit[a]) == bool(bits & 1), (a, b, held)


def test_a_burning_fuel_is_decided_as_its_fuel_and_everything_else_as_itself() -> None:
    """The packed pair a row's decisions read: the cell's own flags and drift, the phase, level seeking and entry
    limit of the element it moves as (burning oil falls and levels like oil, flames without fuel rise)."""
    motion = TABLES.motion
    count = motion.kind.size
    pair = motion.pair.reshape(count, count)
    motion_bits = K_PHASE | K_LEVELS
    for b in range(count):
        for held in range(count):
            mover = held if ELEMENTS[b].moves_like_origin and held != 0 else b
            v = int(pair[b, held])
            kind = (v >> PAIR_KIND) & 255
            assert kind & ~motion_bits == int(motion.kind[b]) & ~motion_bits, (b, held)
            assert kind & motion_bits == int(motion.kind[mover]) & motion_bits, (b, held)
            assert (v >> PAIR_LIMIT) & 255 == motion.limit[mover], (b, held)
            assert v >> PAIR_DRIFT == motion.drift[b], (b, held)
    fire, oil = elements.id_of("fire"), elements.id_of("oil")
    assert (int(pair[fire, oil]) >> PAIR_KIND) & K_PHASE == PHASE_LIQUID
    assert (int(pair[fire, 0]) >> PAIR_KIND) & K_PHASE == ELEMENTS[fire].phase


def test_reaction_partners_as_bit_sets_are_the_reaction_table() -> None:
    partners, reaction_of = TABLES.motion.partners, TABLES.reaction_of
    for a in range(reaction_of.shape[0]):
        found = {b for b in range(reaction_of.shape[1]) if (int(partners[a]) >> b) & 1}
        assert found == set(np.nonzero(reaction_of[a] >= 0)[0].tolist()), ELEMENTS[a].name
    fire, oil = elements.id_of("fire"), elements.id_of("oil")
    assert (int(partners[fire]) >> oil) & 1  # fire spreads into oil


def test_temperature_bounds_compared_as_integers_agree_with_float_comparisons() -> None:
    """The decisions test "no state change due" with integer keys of the temperature; for every element and any
    float32 temperature (negative zero, infinities, NaN, subnormals included) the answer is the float one."""
    rng = np.random.default_rng(7)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 1e-45, -1e-45, 100.0, 0.0], np.float32)
    temps = np.concatenate([special, rng.normal(0, 600, 2000).astype(np.float32), np.arange(-300, 3000, 0.5)])
    temps = temps.astype(np.float32)
    motion = TABLES.motion
    keys = temperature_key(temps).astype(np.uint64)
    assert all(int(kernel_key(np.uint32(bits))) == int(k) for bits, k in zip(temps.view(np.uint32), keys, strict=True))
    for e in range(motion.kind.size):
        high, low = motion.bounds[e] >> np.uint64(32), motion.bounds[e] & np.uint64(0xFFFFFFFF)
        inside = (temps <= motion.high_t[e]) & (temps >= motion.low_t[e])
        assert np.array_equal((keys <= high) & (keys >= low), inside), ELEMENTS[e].name
