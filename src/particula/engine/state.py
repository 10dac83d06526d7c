"""The plain data of a world: settings and the cell planes, shared by the kernels, the scene file and rendering."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

# Sleeping-chunk size in cells; the chunk map is part of the state so a loaded world continues exactly.
CHUNK = 16

# Every per-cell plane, in file order, with its dtype. The scene file and the kernels both read this list.
CELL_PLANES: tuple[tuple[str, npt.DTypeLike], ...] = (
    ("element", np.uint8),  # element id (0 = empty)
    ("temperature", np.float32),  # degrees Celsius
    ("velocity_x", np.float32),  # cells per tick
    ("velocity_y", np.float32),  # cells per tick
    ("life", np.uint16),  # ticks left for elements that burn out; 0 = not counting
    ("ctype", np.uint8),  # extra element id: what a cloner clones, what a molten cell was
    ("shade", np.uint8),  # per-particle colour variation; travels with the particle
)


@dataclass(slots=True)
class Settings:
    """A scene's settings, as stored in the scene file and in `scenes.settings`."""

    width: int
    height: int
    gravity_x: float = 0.0
    gravity_y: float = 9.8
    ambient_temp: float = 20.0
    walls: bool = True  # the world's edges hold particles in; False = particles leaving the edge vanish


@dataclass(slots=True)
class WorldState:
    """Everything needed to continue a run bit for bit: settings, planes, chunk map, tick and seed."""

    settings: Settings
    seed: int
    tick: int
    planes: dict[str, npt.NDArray[np.generic]]
    chunk_awake: npt.NDArray[np.uint8] = field(default_factory=lambda: np.zeros((0, 0), np.uint8))

    @staticmethod
    def chunk_shape(width: int, height: int) -> tuple[int, int]:
        return (-(-height // CHUNK), -(-width // CHUNK))

    @classmethod
    def empty(cls, settings: Settings, *, seed: int) -> WorldState:
        shape = (settings.height, settings.width)
        planes: dict[str, npt.NDArray[np.generic]] = {name: np.zeros(shape, dtype=dtype) for name, dtype in CELL_PLANES}
        planes["temperature"][...] = settings.ambient_temp
        return cls(
            settings=settings,
            seed=seed,
            tick=0,
            planes=planes,
            chunk_awake=np.zeros(cls.chunk_shape(settings.width, settings.height), np.uint8),
        )
