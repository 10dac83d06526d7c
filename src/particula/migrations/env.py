"""Alembic environment: runs migrations on the configured database over asyncpg."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from particula.db.models import Base
from particula.db.session import create_engine

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


async def _run_online(url: str) -> None:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


url = context.config.attributes.get("particula.database_url")
if url is None:
    raise RuntimeError("particula.database_url is not set on the Alembic config")
asyncio.run(_run_online(url))
