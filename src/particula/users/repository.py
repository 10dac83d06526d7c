"""Every SQL query on `users`."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import any_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from particula.db.models import User, uuid_array
from particula.db.session import insert_row


async def get(session: AsyncSession, user_id: uuid.UUID, *, fresh: bool = False) -> User | None:
    """The user; `fresh` reads the row again even if the session holds it (after an UPDATE)."""
    return await session.get(User, user_id, populate_existing=fresh)


async def by_username(session: AsyncSession, username: str) -> User | None:
    query = select(User).where(func.lower(User.username) == username.lower())
    return (await session.execute(query)).scalar_one_or_none()


async def by_login(session: AsyncSession, login: str) -> User | None:
    """The user whose email or username is `login`, ignoring case."""
    lowered = login.strip().lower()
    query = select(User).where(or_(func.lower(User.email) == lowered, func.lower(User.username) == lowered))
    return (await session.execute(query)).scalars().first()


async def by_email(session: AsyncSession, email: str) -> User | None:
    query = select(User).where(func.lower(User.email) == email.lower())
    return (await session.execute(query)).scalar_one_or_none()


async def by_oauth(session: AsyncSession, provider: str, subject: str) -> User | None:
    query = select(User).where(User.oauth_provider == provider, User.oauth_id == subject)
    return (await session.execute(query)).scalar_one_or_none()


async def username_taken(session: AsyncSession, username: str) -> bool:
    return await by_username(session, username) is not None


async def create(session: AsyncSession, **fields: Any) -> User:
    """Insert a user; unique violations (IntegrityError) reach the caller."""
    return await insert_row(session, User(**fields))


async def change(session: AsyncSession, user_id: uuid.UUID, **fields: Any) -> None:
    await session.execute(update(User).where(User.id == user_id).values(**fields))
    await session.flush()


async def touch_login(session: AsyncSession, user_id: uuid.UUID) -> None:
    await session.execute(update(User).where(User.id == user_id).values(last_login_at=func.timezone("UTC", func.now())))


async def remove(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Delete the user; the seed's ON DELETE CASCADE removes their scenes, likes, rooms and tokens."""
    await session.execute(delete(User).where(User.id == user_id))
    await session.flush()


async def ids_existing(session: AsyncSession, user_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    if not user_ids:
        return set()
    return set(await session.scalars(select(User.id).where(User.id == any_(uuid_array(user_ids)))))
