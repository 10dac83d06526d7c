"""The async engine and the one dependency that owns a request's transaction."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

log = logging.getLogger(__name__)
_Row = TypeVar("_Row")


def async_database_url(url: str) -> str:
    """postgresql://... (as operators write it) -> postgresql+asyncpg://... (as SQLAlchemy wants it)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql+asyncpg"))


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    # Timestamps in the seed are TIMESTAMP (no zone): every connection works in UTC so NOW() is UTC.
    return create_async_engine(
        async_database_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        # No pre-ping: it costs a round trip per checkout (~12% of a gallery page). A connection that died
        # with the server fails one request; SQLAlchemy then drops the whole pool and reconnects.
        pool_pre_ping=False,
        pool_recycle=1800,
        connect_args={"server_settings": {"timezone": "UTC", "application_name": "particula"}},
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


AfterCommit = Callable[[], Awaitable[object]]


def after_commit(session: AsyncSession, action: AfterCommit) -> None:
    """Run action once the transaction has committed (never if it rolls back).

    For what must not happen before the data is durable: dropping cache entries (a read in between would
    re-cache the old row), deleting objects of deleted rows.
    """
    session.info.setdefault("after_commit", []).append(action)


async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """Yield a session whose transaction commits when the handler succeeds and rolls back when it raises."""
    async with factory() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()
            for action in session.info.pop("after_commit", []):
                try:
                    await action()
                except Exception:  # committed already: log, the sweep and the cache TTLs mend the rest
                    log.exception("an after-commit action failed")


def violated_constraint(error: IntegrityError) -> str:
    """The name of the constraint or unique index an IntegrityError broke ("" if the driver did not say)."""
    cause = error.orig.__cause__ if error.orig is not None else None
    return str(getattr(cause, "constraint_name", None) or getattr(error.orig, "constraint_name", None) or "")


async def insert_row(session: AsyncSession, row: _Row) -> _Row:
    """Insert `row` now and load what the database filled in (defaults, triggers).

    The flush surfaces unique violations (IntegrityError) to the caller, inside the request's transaction.
    """
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row
