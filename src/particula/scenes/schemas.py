"""Scenes as the API takes and gives them."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Description = Annotated[str, StringConstraints(max_length=5000)]
EXTRA_SETTINGS_MAX_BYTES = 2048
# The settings read from the scene file itself; clients cannot set them.
PHYSICAL_SETTINGS = frozenset({"width", "height", "gravity", "ambientTemp"})


def _check_extra_settings(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """Clients may keep small presentation settings beside the physical ones, which come from the file."""
    if value is None:
        return None
    extra = {key: item for key, item in value.items() if key not in PHYSICAL_SETTINGS}
    if len(json.dumps(extra)) > EXTRA_SETTINGS_MAX_BYTES:
        raise ValueError(
            f"settings beyond width/height/gravity/ambientTemp must fit in {EXTRA_SETTINGS_MAX_BYTES} bytes"
        )
    return extra


class SceneMeta(BaseModel):
    """The `meta` part of POST /scenes."""

    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Description | None = None
    settings: dict[str, Any] | None = Field(
        default=None, description="width/height/gravity/ambientTemp are read from the file; other keys are kept"
    )
    is_public: bool = False

    _extra = field_validator("settings")(_check_extra_settings)


class SceneChange(BaseModel):
    """PATCH /scenes/{id}: only what is given changes."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    description: Description | None = Field(default=None, description="null clears it")
    settings: dict[str, Any] | None = None
    is_public: bool | None = None

    _extra = field_validator("settings")(_check_extra_settings)

    @field_validator("title", "is_public", "settings", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Leaving a field out keeps it; an explicit null would erase what the scene needs.
        if value is None:
            raise ValueError("may be left out, but not null")
        return value


class Author(BaseModel):
    id: uuid.UUID
    username: str
    avatar_url: str | None


class SceneOut(BaseModel):
    id: uuid.UUID
    author: Author
    title: str
    description: str | None
    settings: dict[str, Any]
    particle_count: int
    file_size_bytes: int
    is_public: bool
    is_featured: bool
    likes_count: int
    views_count: int
    forks_count: int
    forked_from_id: uuid.UUID | None
    liked_by_me: bool | None = Field(default=None, description="Present when signed in")
    data_url: str
    thumbnail_url: str
    created_at: datetime
    updated_at: datetime


class ScenePage(BaseModel):
    items: list[SceneOut]
    next_cursor: str | None


class GallerySort(StrEnum):
    new = "new"
    top = "top"
    featured = "featured"


class LikeState(BaseModel):
    liked: bool
    likes_count: int
