"""The shape of one element's properties and of one reaction, as written in the element table."""

from __future__ import annotations

from dataclasses import dataclass

# Categories as players see them, and the movement phase each one gets in the kernels.
CATEGORIES = ("powder", "liquid", "gas", "energy", "solid", "tool")
PHASE_EMPTY, PHASE_SOLID, PHASE_POWDER, PHASE_LIQUID, PHASE_GAS = 0, 1, 2, 3, 4
PHASE_NAMES = ("empty", "solid", "powder", "liquid", "gas")
PHASE_OF_CATEGORY = {
    "empty": PHASE_EMPTY,
    "powder": PHASE_POWDER,
    "liquid": PHASE_LIQUID,
    "gas": PHASE_GAS,
    "energy": PHASE_GAS,
    "solid": PHASE_SOLID,
    "tool": PHASE_SOLID,
}
# What a tool does to its neighbours each tick.
BEHAVIOURS = ("", "clone", "spout", "void", "sink")
PACKS = ("pyro", "life")


@dataclass(frozen=True, slots=True)
class Element:
    """One element: how it looks, moves, conducts heat, changes state, burns and lives."""

    name: str
    category: str
    colour: str  # "#rrggbb"
    density: float  # relative to water = 1; decides who sinks through whom
    conductivity: float  # 0 (insulator) .. 1 (best conductor), per tick
    description: str
    colour_var: int = 16  # amplitude of the per-particle shade
    glows: bool = False  # drawn bright whatever its temperature
    pack: str | None = None  # premium pack, None = free
    spawn_temp: float | None = None  # temperature when painted or produced by a reaction; None = ambient
    high_temp: float | None = None  # above this it turns into high_to (melting, boiling)
    high_to: str | None = None
    low_temp: float | None = None  # below this it turns into low_to (freezing, condensing, cooling)
    low_to: str | None = None
    ignites_at: float | None = None  # above this it catches fire (becomes "fire" remembering itself)
    flammability: float = 0.0  # chance per tick that touching fire sets it alight
    burn_time: int = 0  # ticks its fire lasts
    burn_temp: float | None = None  # temperature of its fire; None = fire's own
    blast: int = 0  # radius of the shock when it catches fire (explosives)
    leaves: str | None = None  # what remains when its fire or molten form ends (ash, glass, ...)
    remembers: bool = False  # keeps what it came from in ctype (fire, lava)
    moves_like_origin: bool = False  # fire: a burning log stays put, burning oil flows, only a bare flame rises
    life: int = 0  # lifetime in ticks, 0 = forever
    life_var: int = 0  # random extra lifetime, 0..life_var-1
    decays_to: str | None = None  # what it becomes at the end of its lifetime; None = empty
    emit_temp: float | None = None  # temperature it pulls itself toward each tick (heater, fire)
    emit_rate: float = 0.0
    behaviour: str = ""  # tools: one of BEHAVIOURS
    emits: str | None = None  # spout: what it spawns
    spread: int = 0  # liquids: how far a surface particle looks sideways for a lower place
    drift: float = 1.0  # gases: chance per tick of drifting at all

    @property
    def phase(self) -> int:
        return PHASE_OF_CATEGORY[self.category]


@dataclass(frozen=True, slots=True)
class Reaction:
    """When `a` touches `b`, with `probability` per tick and contact, `a` becomes `result_a` and `b` `result_b`.

    A result of None leaves that cell as it was. The cell of `a` rolls; `b` is passive.
    """

    a: str
    b: str
    probability: float
    result_a: str | None
    result_b: str | None
