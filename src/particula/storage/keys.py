"""The seed's buckets and object keys: one builder per kind of object."""

from __future__ import annotations

import uuid

SCENES = "scenes"
AVATARS = "avatars"
BUCKETS = (SCENES, AVATARS)


def scene_folder(user_id: uuid.UUID, scene_id: uuid.UUID) -> str:
    return f"{user_id}/{scene_id}/"


def scene_data_key(user_id: uuid.UUID, scene_id: uuid.UUID) -> str:
    """scenes/{userId}/{sceneId}/data.bin: the scene file."""
    return f"{user_id}/{scene_id}/data.bin"


def scene_thumbnail_key(user_id: uuid.UUID, scene_id: uuid.UUID) -> str:
    """scenes/{userId}/{sceneId}/thumb.webp: the 400x300 thumbnail."""
    return f"{user_id}/{scene_id}/thumb.webp"


def user_scenes_prefix(user_id: uuid.UUID) -> str:
    return f"{user_id}/"


def avatar_key(user_id: uuid.UUID) -> str:
    """avatars/{userId}.webp: the 200x200 avatar."""
    return f"{user_id}.webp"
