"""The seed's seven tables (shared/seed), column for column; no domain owns them, so they live together."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, INET, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.elements import BindParameter

# PostgreSQL's own default names, so the migrated database matches what the seed's SQL builds by name too.
NAMING_CONVENTION = {
    "pk": "%(table_name)s_pkey",
    "uq": "%(table_name)s_%(column_0_N_name)s_key",
    "fk": "%(table_name)s_%(column_0_name)s_fkey",
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "ck": "%(table_name)s_%(constraint_name)s_check",
}

# The seed's scenes.settings default, byte for byte (PostgreSQL keeps the literal as written).
SCENE_SETTINGS_DEFAULT = """'{
        "width": 800,
        "height": 600,
        "gravity": {"x": 0, "y": 9.8},
        "ambientTemp": 20
    }'::jsonb"""

_NOW = text("now()")
_UUID = text("gen_random_uuid()")


def uuid_array(values: list[uuid.UUID]) -> BindParameter[list[uuid.UUID]]:
    """Many ids as ONE array parameter (`= ANY(:ids)`): an IN list binds one each and stops at 32,767."""
    ids: BindParameter[list[uuid.UUID]] = bindparam("ids", values, type_=ARRAY(UUID(as_uuid=True)))  # type: ignore[arg-type]
    return ids


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), primary_key=True, server_default=_UUID)


def _created_at() -> Mapped[datetime | None]:
    return mapped_column(DateTime(timezone=False), server_default=_NOW)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("oauth_provider", "oauth_id"),
        Index("idx_users_email", "email"),
        Index("idx_users_username", "username"),
        # Additions (migration 0002): unique regardless of case.
        Index("users_email_lower_key", func.lower(text("email")), unique=True),
        Index("users_username_lower_key", func.lower(text("username")), unique=True),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    email: Mapped[str] = mapped_column(String(255), unique=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    avatar_url: Mapped[str | None] = mapped_column(String(500))
    oauth_provider: Mapped[str | None] = mapped_column(String(20))
    oauth_id: Mapped[str | None] = mapped_column(String(255))
    tier: Mapped[str | None] = mapped_column(String(20), server_default=text("'free'::character varying"))
    tier_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    total_likes_received: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    total_scenes: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    created_at: Mapped[datetime | None] = _created_at()
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False), server_default=_NOW)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))


class Scene(Base):
    __tablename__ = "scenes"
    __table_args__ = (
        Index("idx_scenes_author", "author_id"),
        Index("idx_scenes_public", "is_public", postgresql_where=text("is_public = true")),
        Index("idx_scenes_featured", "is_featured", postgresql_where=text("is_featured = true")),
        Index("idx_scenes_created", text("created_at DESC")),
        Index("idx_scenes_likes", text("likes_count DESC")),
        # Additions (migration 0003): search, gallery keyset orderings, fork lookups.
        Index(
            "idx_scenes_search",
            text("to_tsvector('english', title || ' ' || coalesce(description, ''))"),
            postgresql_using="gin",
        ),
        Index(
            "idx_scenes_gallery_new",
            text("created_at DESC"),
            text("id DESC"),
            postgresql_where=text("is_public = true"),
        ),
        Index(
            "idx_scenes_gallery_top",
            text("likes_count DESC"),
            text("created_at DESC"),
            text("id DESC"),
            postgresql_where=text("is_public = true"),
        ),
        Index("idx_scenes_forked_from", "forked_from_id"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    data_url: Mapped[str] = mapped_column(String(500))
    thumbnail_url: Mapped[str | None] = mapped_column(String(500))
    settings: Mapped[dict[str, Any] | None] = mapped_column(JSONB, server_default=text(SCENE_SETTINGS_DEFAULT))
    particle_count: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    file_size_bytes: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    is_public: Mapped[bool | None] = mapped_column(Boolean, server_default=text("false"))
    is_featured: Mapped[bool | None] = mapped_column(Boolean, server_default=text("false"))
    likes_count: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    views_count: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    forks_count: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    forked_from_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("scenes.id", ondelete="SET NULL"))
    created_at: Mapped[datetime | None] = _created_at()
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False), server_default=_NOW)


class Like(Base):
    __tablename__ = "likes"
    __table_args__ = (
        PrimaryKeyConstraint("user_id", "scene_id"),
        Index("idx_likes_scene", "scene_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    scene_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("scenes.id", ondelete="CASCADE"))
    created_at: Mapped[datetime | None] = _created_at()


class Room(Base):
    __tablename__ = "rooms"
    __table_args__ = (
        Index("idx_rooms_status", "status", postgresql_where=text("status::text <> 'closed'::text")),
        Index("idx_rooms_join_code", "join_code"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    host_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(50))
    join_code: Mapped[str] = mapped_column(String(6), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    max_players: Mapped[int | None] = mapped_column(Integer, server_default=text("10"))
    current_players: Mapped[int | None] = mapped_column(Integer, server_default=text("1"))
    settings: Mapped[dict[str, Any] | None] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    status: Mapped[str | None] = mapped_column(String(20), server_default=text("'waiting'::character varying"))
    created_at: Mapped[datetime | None] = _created_at()
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))


class RoomParticipant(Base):
    __tablename__ = "room_participants"
    __table_args__ = (PrimaryKeyConstraint("room_id", "user_id"),)

    room_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str | None] = mapped_column(String(20), server_default=text("'player'::character varying"))
    joined_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False), server_default=_NOW)


class RefreshToken(Base):
    __tablename__ = "refresh_tokens"
    __table_args__ = (
        Index("idx_refresh_tokens_user", "user_id"),
        Index("idx_refresh_tokens_expires", "expires_at"),
        # Additions (migration 0002): rotation and theft detection.
        Index("refresh_tokens_token_hash_key", "token_hash", unique=True),
        Index("idx_refresh_tokens_family", "family_id"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    created_at: Mapped[datetime | None] = _created_at()
    user_agent: Mapped[str | None] = mapped_column(String(500))
    ip_address: Mapped[str | None] = mapped_column(INET)
    family_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), server_default=_UUID)  # addition
    rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))  # addition


class Purchase(Base):
    __tablename__ = "purchases"
    __table_args__ = (Index("idx_purchases_user", "user_id"),)

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    product_type: Mapped[str] = mapped_column(String(50))
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str | None] = mapped_column(String(3), server_default=text("'USD'::character varying"))
    provider: Mapped[str] = mapped_column(String(20))
    provider_payment_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str | None] = mapped_column(String(20), server_default=text("'pending'::character varying"))
    created_at: Mapped[datetime | None] = _created_at()
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
