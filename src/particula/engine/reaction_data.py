"""The reaction table as data: who turns into what on contact, and how likely per tick.

Fire spreading is not listed here: every element with a flammability gets a (fire, it) row from that column.
"""

from __future__ import annotations

from particula.engine.element_types import Reaction as R

_ACID_EATS = (
    "sand",
    "salt",
    "snow",
    "ash",
    "coal",
    "sawdust",
    "dirt",
    "gravel",
    "rust",
    "stone",
    "wood",
    "metal",
    "ice",
    "plant",
    "brick",
    "gunpowder",
    "vine",
    "moss",
    "fungus",
    "seed",
    "thermite",
    "c4",
)

REACTIONS: tuple[R, ...] = (
    R("lava", "water", 0.5, "stone", "steam"),
    R("lava", "salt_water", 0.5, "stone", "steam"),
    R("lava", "ice", 0.1, None, "water"),
    R("lava", "snow", 0.2, None, "water"),
    R("fire", "water", 0.4, "smoke", None),
    R("fire", "salt_water", 0.4, "smoke", None),
    R("salt", "water", 0.05, "empty", "salt_water"),
    R("salt", "ice", 0.02, None, "water"),
    R("salt", "snow", 0.05, None, "water"),
    R("salt_water", "metal", 0.002, None, "rust"),
    R("dirt", "water", 0.02, "mud", "empty"),
    R("plant", "water", 0.02, None, "plant"),
    R("seed", "mud", 0.05, "plant", None),
    R("vine", "empty", 0.004, None, "vine"),
    R("moss", "stone", 0.004, None, "moss"),
    R("fungus", "wood", 0.01, None, "fungus"),
    R("algae", "water", 0.01, None, "algae"),
    R("plasma", "metal", 0.05, None, "lava"),
    *(R("acid", name, 0.05, "empty", "empty") for name in _ACID_EATS),
)
