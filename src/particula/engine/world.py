"""The World: the engine's public object, holding a WorldState and stepping it deterministically."""

from __future__ import annotations

import hashlib
import struct

import numpy as np
import numpy.typing as npt

from particula.engine import elements
from particula.engine.paint import disc_mask, place, rect_mask
from particula.engine.state import CELL_PLANES, Settings, WorldState
from particula.engine.stepper import Stepper

_MASK64 = (1 << 64) - 1


class World:
    """A grid of cells: x grows to the right, y downward (row 0 is the top); gravity in m/s^2."""

    def __init__(
        self,
        width: int,
        height: int,
        gravity: tuple[float, float] = (0.0, 9.8),
        ambient_temp: float = 20.0,
        seed: int = 1,
        walls: bool = True,
    ) -> None:
        if width <= 0 or height <= 0:
            raise ValueError(f"a world needs a positive size, not {width}x{height}")
        settings = Settings(
            width=width,
            height=height,
            gravity_x=float(gravity[0]),
            gravity_y=float(gravity[1]),
            ambient_temp=float(ambient_temp),
            walls=walls,
        )
        self._attach(WorldState.empty(settings, seed=seed & _MASK64))

    @classmethod
    def from_state(cls, state: WorldState) -> World:
        """A World continuing `state` exactly (the planes are used in place, made contiguous if needed).

        SceneFileError if a plane holds what no world can (an unknown element, a non-finite temperature or speed):
        the compiled kernels index their tables by these values without checking them again."""
        from particula.engine import scenefile

        scenefile.check_values(state.planes, elements.count())
        return cls._continuing(state)

    @classmethod
    def _continuing(cls, state: WorldState) -> World:
        """from_state without the check, for a state whose values were checked (scenefile.decode checks them)."""
        world = cls.__new__(cls)
        for name, dtype in CELL_PLANES:
            state.planes[name] = np.ascontiguousarray(state.planes[name], dtype=dtype)
        state.chunk_awake = np.ascontiguousarray(state.chunk_awake, dtype=np.uint8)
        world._attach(state)
        return world

    def _attach(self, state: WorldState) -> None:
        self.state = state
        self._stepper = Stepper(state)

    # -- editing ------------------------------------------------------------------------------------------

    def fill_rect(self, x0: int, y0: int, x1: int, y1: int, element: str) -> None:
        """Fill the cells x0 <= x < x1, y0 <= y < y1 with `element` ("empty" erases); clipped to the world."""
        mask, top, left = rect_mask(self.state, x0, y0, x1, y1)
        place(self.state, mask, top, left, elements.id_of(element))

    def paint(self, x: int, y: int, radius: int, element: str) -> None:
        """A round brush of `radius` cells centred on (x, y); "empty" erases. Painted chunks wake up."""
        mask, top, left = disc_mask(self.state, x, y, max(radius, 0))
        place(self.state, mask, top, left, elements.id_of(element))

    # -- running ------------------------------------------------------------------------------------------

    def step(self, n: int = 1) -> None:
        """Advance the world by n ticks."""
        for _ in range(n):
            self._stepper.step()

    # -- reading ------------------------------------------------------------------------------------------

    @property
    def tick(self) -> int:
        return self.state.tick

    @property
    def settings(self) -> Settings:
        return self.state.settings

    @property
    def particle_count(self) -> int:
        return int(np.count_nonzero(self.state.planes["element"]))

    def element_at(self, x: int, y: int) -> str:
        return elements.name_of(int(self.state.planes["element"][y, x]))

    def temperature_at(self, x: int, y: int) -> float:
        return float(self.state.planes["temperature"][y, x])

    def count(self, element: str) -> int:
        """How many cells hold `element`."""
        return int(np.count_nonzero(self.state.planes["element"] == elements.id_of(element)))

    def element_ids(self) -> npt.NDArray[np.uint8]:
        """The element plane (read it, do not write it: painting also wakes chunks)."""
        return self.state.planes["element"].view(np.uint8)

    def state_hash(self) -> str:
        """A hex digest of everything that decides the future: settings, seed, tick, chunk map, every plane."""
        s = self.state.settings
        digest = hashlib.blake2b(digest_size=32)
        digest.update(struct.pack("<IIdddB", s.width, s.height, s.gravity_x, s.gravity_y, s.ambient_temp, s.walls))
        digest.update(struct.pack("<QQ", self.state.seed, self.state.tick))
        digest.update(np.ascontiguousarray(self.state.chunk_awake, np.uint8).tobytes())
        for name, dtype in CELL_PLANES:
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(self.state.planes[name], dtype).tobytes())
        return digest.hexdigest()

    # -- files and pictures (the scene file and rendering live in their own modules) ------------------------

    def to_bytes(self) -> bytes:
        """The scene file (data.bin) of this exact state."""
        from particula.engine import scenefile

        return scenefile.encode(self.state)

    @classmethod
    def from_bytes(
        cls, data: bytes, *, max_width: int = 1600, max_height: int = 1200, max_bytes: int = 8 * 1024 * 1024
    ) -> World:
        """A World from a scene file; SceneFileError says what is wrong with a bad one."""
        from particula.engine import scenefile

        state = scenefile.decode(
            data, max_width=max_width, max_height=max_height, max_bytes=max_bytes, element_count=elements.count()
        )
        return cls._continuing(state)  # decode checked every value against this build's elements

    def render(self) -> npt.NDArray[np.uint8]:
        """The world as an (height, width, 3) uint8 image."""
        from particula.engine import render

        return render.render(self.state)

    def thumbnail(self) -> bytes:
        """A 400x300 WebP picture of the world."""
        from particula.engine import render

        return render.thumbnail(self.state)
