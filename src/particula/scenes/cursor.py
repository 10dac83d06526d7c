"""Opaque gallery cursors: the last item's sort key, so the next page starts exactly after it."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime
from typing import Any

from particula.errors import Problem
from particula.scenes.schemas import GallerySort


def encode(sort: GallerySort, key: tuple[Any, ...]) -> str:
    values = [
        item.isoformat() if isinstance(item, datetime) else str(item) if isinstance(item, uuid.UUID) else item
        for item in key
    ]
    raw = json.dumps([sort.value, *values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode(cursor: str, sort: GallerySort) -> tuple[Any, ...]:
    """The sort key inside a cursor; 400 for anything we did not make for this sort."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        items = json.loads(raw)
        if not isinstance(items, list) or items[0] != sort.value:
            raise ValueError("made for another sort")
        if sort is GallerySort.top:
            likes, created, scene_id = items[1:]
            if not isinstance(likes, int) or isinstance(likes, bool) or not 0 <= likes < 2**31:
                raise ValueError("likes is not a count")
            return (likes, datetime.fromisoformat(created), uuid.UUID(scene_id))
        created, scene_id = items[1:]
        return (datetime.fromisoformat(created), uuid.UUID(scene_id))
    except (ValueError, TypeError, IndexError, binascii.Error, UnicodeDecodeError, AttributeError):
        raise Problem(
            400, "The cursor is not valid for this listing; start again without it.", slug="bad-cursor"
        ) from None
