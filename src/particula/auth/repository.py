"""Every SQL query on `refresh_tokens`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, text, update
from sqlalchemy import insert as sql_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from particula.db.models import RefreshToken

_NOW_UTC = func.timezone("UTC", func.now())


@dataclass(frozen=True)
class Device:
    id: uuid.UUID  # the family id: stable across rotations
    user_agent: str | None
    ip_address: str | None
    signed_in_at: datetime
    last_used_at: datetime


async def insert(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    token_hash: str,
    ttl_seconds: int,
    family_id: uuid.UUID | None,
    user_agent: str | None,
    ip_address: str | None,
) -> tuple[uuid.UUID, datetime | None]:
    """Store a new refresh token; returns its family id (a new one when family_id is None) and creation time."""
    values: dict[str, object] = {
        "user_id": user_id,
        "token_hash": token_hash,
        "expires_at": _NOW_UTC + func.make_interval(0, 0, 0, 0, 0, 0, ttl_seconds),
        "user_agent": user_agent,
        "ip_address": ip_address,
    }
    if family_id is not None:
        values["family_id"] = family_id
    statement = sql_insert(RefreshToken).values(**values).returning(RefreshToken.family_id, RefreshToken.created_at)
    row = (await session.execute(statement)).one()
    return row.family_id, row.created_at


async def rotate(session: AsyncSession, token_hash: str) -> tuple[uuid.UUID, uuid.UUID, datetime | None] | None:
    """Mark a live token rotated, atomically; (user_id, family_id, when the device signed in: its first token's
    creation) if it was live, else None. One statement: the sign-in time comes back with the rotation."""
    first = aliased(RefreshToken)
    signed_in = select(func.min(first.created_at)).where(first.family_id == RefreshToken.family_id).scalar_subquery()
    statement = (
        update(RefreshToken)
        .where(
            RefreshToken.token_hash == token_hash,
            RefreshToken.rotated_at.is_(None),
            RefreshToken.expires_at > _NOW_UTC,
        )
        .values(rotated_at=_NOW_UTC)
        .returning(RefreshToken.user_id, RefreshToken.family_id, signed_in)
    )
    row = (await session.execute(statement)).first()
    if row is None or row.user_id is None:
        return None
    return row.user_id, row.family_id, row[2]


async def find(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    query = select(RefreshToken).where(RefreshToken.token_hash == token_hash)
    return (await session.execute(query)).scalar_one_or_none()


async def revoke_all(session: AsyncSession, user_id: uuid.UUID, *, keep_family: uuid.UUID | None = None) -> int:
    statement = delete(RefreshToken).where(RefreshToken.user_id == user_id)
    if keep_family is not None:
        statement = statement.where(RefreshToken.family_id != keep_family)
    return (await session.execute(statement)).rowcount  # type: ignore[attr-defined,no-any-return]


async def revoke_family(session: AsyncSession, user_id: uuid.UUID, family_id: uuid.UUID) -> int:
    statement = delete(RefreshToken).where(RefreshToken.user_id == user_id, RefreshToken.family_id == family_id)
    return (await session.execute(statement)).rowcount  # type: ignore[attr-defined,no-any-return]


async def devices(session: AsyncSession, user_id: uuid.UUID) -> list[Device]:
    """One row per signed-in device: its live token's details, and when the device first signed in."""
    query = text(
        """
        SELECT live.family_id, live.user_agent, host(live.ip_address), first.signed_in_at, live.created_at
        FROM refresh_tokens live
        JOIN (SELECT family_id, min(created_at) AS signed_in_at FROM refresh_tokens
              WHERE user_id = :user_id GROUP BY family_id) first ON first.family_id = live.family_id
        WHERE live.user_id = :user_id AND live.rotated_at IS NULL AND live.expires_at > timezone('UTC', now())
        ORDER BY live.created_at DESC
        """
    )
    rows = (await session.execute(query, {"user_id": user_id})).all()
    return [Device(*row) for row in rows]


async def purge_expired(session: AsyncSession) -> int:
    statement = delete(RefreshToken).where(RefreshToken.expires_at < _NOW_UTC)
    return (await session.execute(statement)).rowcount  # type: ignore[attr-defined,no-any-return]
