"""What each tier may do: the limits users expect (PRODUCT.md, "Limits")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from particula.users.schemas import Account

SCENE_FILE_MAX_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class TierLimits:
    name: str
    max_scenes: int | None  # None = unlimited
    max_width: int
    max_height: int
    max_room_players: int


FREE = TierLimits("free", max_scenes=50, max_width=800, max_height=600, max_room_players=4)
PREMIUM = TierLimits("premium", max_scenes=None, max_width=1600, max_height=1200, max_room_players=32)


def limits_for(user: Account) -> TierLimits:
    """Premium while the subscription runs (tier_expires_at in the future, or no end date)."""
    if user.tier != "premium":
        return FREE
    expires = user.tier_expires_at
    if expires is not None and expires <= datetime.now(UTC).replace(tzinfo=None):
        return FREE
    return PREMIUM
