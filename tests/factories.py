"""Small typed factories for tests: real requests through the real app."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import httpx

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


async def register(
    client: httpx.AsyncClient,
    *,
    username: str | None = None,
    email: str | None = None,
    password: str = PASSWORD,
    user_agent: str = "pytest-browser/1.0",
) -> dict[str, Any]:
    """Register a user and return the API's answer (user, access_token, refresh_token, ...)."""
    n = next(_counter)
    username = username or f"player{n}"
    email = email or f"{username}@example.com"
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": email, "username": username, "password": password},
        headers={"user-agent": user_agent},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def login(
    client: httpx.AsyncClient, login_name: str, *, password: str = PASSWORD, user_agent: str = "pytest-phone/2.0"
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/auth/login", json={"login": login_name, "password": password}, headers={"user-agent": user_agent}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(signed_in: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {signed_in['access_token']}"}


def scene_file(width: int = 80, height: int = 60, *, sand_rows: int = 20, seed: int = 1) -> bytes:
    """A small real scene file: sand along the bottom, water above it."""
    from particula.engine import World

    world = World(width=width, height=height, seed=seed)
    world.fill_rect(0, height - sand_rows, width, height, "sand")
    world.fill_rect(0, height - sand_rows - 5, width, height - sand_rows, "water")
    return world.to_bytes()


async def create_scene(
    client: httpx.AsyncClient,
    owner: dict[str, Any],
    *,
    title: str = "Sand castle",
    description: str | None = None,
    is_public: bool = True,
    data: bytes | None = None,
) -> dict[str, Any]:
    import json

    meta = {"title": title, "description": description, "is_public": is_public}
    files = {"meta": (None, json.dumps(meta), "application/json"), "data": ("data.bin", data or scene_file())}
    response = await client.post("/api/v1/scenes", files=files, headers=bearer(owner))  # type: ignore[arg-type]
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def make_premium(runtime: Any, database_url: str, user: dict[str, Any]) -> None:
    """Give a user the premium tier, as a completed purchase will (row, then the account cache)."""
    import asyncpg

    from tests.conftest import asyncpg_dsn

    connection = await asyncpg.connect(**asyncpg_dsn(database_url))
    try:
        await connection.execute("UPDATE users SET tier = 'premium' WHERE id = $1", uuid.UUID(user["user"]["id"]))
    finally:
        await connection.close()
    await runtime.redis.delete(f"cache:user:{user['user']['id']}")
