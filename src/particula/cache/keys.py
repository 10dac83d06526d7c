"""The seed's Redis keys (shared/seed) and their lifetimes; every key the service writes is built here."""

from __future__ import annotations

import hashlib
import uuid

SESSION_TTL = 24 * 3600  # session:{userId}
ROOM_STATE_TTL_AFTER_CLOSE = 3600  # room:{roomId}:state, counted from the room's close
RATE_LIMIT_WINDOW = 60  # ratelimit:{ip}:{endpoint}
USER_CACHE_TTL = 5 * 60  # cache:user:{userId}
SCENE_META_CACHE_TTL = 5 * 60  # cache:scene:{sceneId}:meta


def session_key(user_id: uuid.UUID | str) -> str:
    """Hash: socketId, roomId, lastActivity."""
    return f"session:{user_id}"


def room_state_key(room_id: uuid.UUID | str) -> str:
    """Hash: particles (compressed scene file), settings (JSON), lastUpdate."""
    return f"room:{room_id}:state"


def room_players_key(room_id: uuid.UUID | str) -> str:
    """Set of user ids in the room."""
    return f"room:{room_id}:players"


def rate_limit_key(ip: str, endpoint: str) -> str:
    """Counter of requests from one IP to one endpoint in the current 60 s window."""
    return f"ratelimit:{ip}:{endpoint}"


def user_cache_key(user_id: uuid.UUID | str) -> str:
    """JSON of the public user object."""
    return f"cache:user:{user_id}"


def scene_meta_cache_key(scene_id: uuid.UUID | str) -> str:
    """JSON of a scene's metadata."""
    return f"cache:scene:{scene_id}:meta"


# Keys added beyond the seed (each listed in docs/ARCHITECTURE.md).

LOGIN_FAILURES_TTL = 15 * 60


def login_failures_key(subject: str, ip: str) -> str:
    """Hash: count, until (epoch s): sign-in attempts on one account (or unknown name) from one address."""
    return f"auth:login-failures:{subject}:{ip}"


def username_cache_key(username: str) -> str:
    """The user id for a username (lower case), so a profile lookup by name can use cache:user:{id}."""
    return f"cache:username:{username.lower()}"


SCENE_VIEW_WINDOW = 3600


def scene_viewed_key(scene_id: uuid.UUID | str, viewer: str) -> str:
    """Set for an hour when a viewer (user id, or IP when signed out) has been counted on a scene."""
    return f"scene:viewed:{scene_id}:{viewer}"


OAUTH_STATE_TTL = 10 * 60  # long enough to consent at the provider, short enough that a leaked state is stale


def oauth_state_key(state: str) -> str:
    """JSON of a PendingLogin: one sign-in started with a provider and not yet finished (single use)."""
    return f"oauth:state:{state}"


VIEWS_FLUSH_INTERVAL = 5.0


def pending_views_key() -> str:
    """Hash sceneId -> views counted in Redis and not yet added to scenes.views_count."""
    return "scene:views:pending"


def flushing_views_key(batch: str) -> str:
    """A batch of pending views being added to PostgreSQL by one app process."""
    return f"scene:views:flushing:{batch}"


GALLERY_PAGE_TTL = 5


def gallery_generation_key() -> str:
    """A counter bumped by every change to what the gallery shows (not by likes or views)."""
    return "cache:gallery:generation"


def gallery_page_cache_key(generation: str, listing: str) -> str:
    """JSON of one gallery page as a signed-out visitor sees it (sort, limit, cursor, search in `listing`)."""
    digest = hashlib.sha256(listing.encode()).hexdigest()[:32]
    return f"cache:gallery:{generation}:{digest}"
