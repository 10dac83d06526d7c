"""Particula's simulation engine: a deterministic falling-sand world (pure: no I/O, no service imports)."""

from particula.engine import elements
from particula.engine.scenefile import SceneFileError
from particula.engine.state import Settings
from particula.engine.world import World

__all__ = ["SceneFileError", "Settings", "World", "elements"]
