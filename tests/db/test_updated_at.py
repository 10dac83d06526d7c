"""updated_at is kept current on every update (a trigger: docs/ARCHITECTURE.md)."""

from __future__ import annotations

from datetime import date

import asyncpg

from tests.conftest import asyncpg_dsn


async def test_updated_at_moves_on_every_update_of_users_and_scenes(database_url: str) -> None:
    connection = await asyncpg.connect(**asyncpg_dsn(database_url))
    try:
        user = await connection.fetchval(
            "INSERT INTO users (email, username, updated_at) VALUES ('a@example.com', 'ada', '2000-01-01') RETURNING id"
        )
        scene = await connection.fetchval(
            "INSERT INTO scenes (author_id, title, data_url, updated_at)"
            " VALUES ($1, 't', 'x', '2000-01-01') RETURNING id",
            user,
        )
        await connection.execute("UPDATE users SET username = 'ada2' WHERE id = $1", user)
        await connection.execute("UPDATE scenes SET title = 't2' WHERE id = $1", scene)
        fresh_user = await connection.fetchval("SELECT updated_at > now() - interval '1 minute' FROM users")
        fresh_scene = await connection.fetchval("SELECT updated_at > now() - interval '1 minute' FROM scenes")
        settings = await connection.fetchval("SELECT settings FROM scenes")
    finally:
        await connection.close()
    assert fresh_user
    assert fresh_scene
    assert '"ambientTemp": 20' in settings  # the seed's default settings JSON


async def test_counters_moving_is_not_an_edit(database_url: str) -> None:
    connection = await asyncpg.connect(**asyncpg_dsn(database_url))
    try:
        user = await connection.fetchval(
            "INSERT INTO users (email, username, updated_at) VALUES ('b@example.com', 'bob', '2000-01-01') RETURNING id"
        )
        await connection.execute(
            "INSERT INTO scenes (author_id, title, data_url, updated_at) VALUES ($1, 't', 'x', '2000-01-01')", user
        )
        await connection.execute("UPDATE scenes SET views_count = views_count + 1, likes_count = likes_count + 1")
        await connection.execute("UPDATE scenes SET forks_count = forks_count + 1, is_featured = true")
        await connection.execute("UPDATE users SET total_scenes = 1, last_login_at = now()")
        assert await connection.fetchval("SELECT updated_at::date FROM scenes") == date(2000, 1, 1)
        assert await connection.fetchval("SELECT updated_at::date FROM users") == date(2000, 1, 1)
    finally:
        await connection.close()
