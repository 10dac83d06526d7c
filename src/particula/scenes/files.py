"""The engine's view of an uploaded scene file: checked under the tier's limits, measured, thumbnailed.

CPU work (zstd, NumPy, Pillow): callers run it with Runtime.run_blocking, never on the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from particula.engine import SceneFileError, World
from particula.users.tiers import SCENE_FILE_MAX_BYTES, TierLimits


@dataclass(frozen=True)
class InspectedScene:
    settings: dict[str, Any]  # the seed's settings shape: width, height, gravity {x, y}, ambientTemp
    particle_count: int
    file_size_bytes: int
    thumbnail: bytes


class SceneRejected(ValueError):
    """The file cannot be stored for this user; the message says why."""


def inspect(data: bytes, limits: TierLimits) -> InspectedScene:
    """Callers have already refused files over SCENE_FILE_MAX_BYTES (scenes.router); the engine checks it again."""
    try:
        world = World.from_bytes(
            data, max_width=limits.max_width, max_height=limits.max_height, max_bytes=SCENE_FILE_MAX_BYTES
        )
    except SceneFileError as error:
        message = str(error)
        if "exceed" in message:
            message += f" ({limits.name} tier: up to {limits.max_width}x{limits.max_height})"
        raise SceneRejected(message) from None
    settings = world.settings
    return InspectedScene(
        settings={
            "width": settings.width,
            "height": settings.height,
            "gravity": {"x": settings.gravity_x, "y": settings.gravity_y},
            "ambientTemp": settings.ambient_temp,
        },
        particle_count=world.particle_count,
        file_size_bytes=len(data),
        thumbnail=world.thumbnail(),
    )
