"""Profiles: public view, changes, the user cache, deleting an account."""

from __future__ import annotations

import uuid

import asyncpg
import httpx

from particula.runtime import Runtime
from particula.storage import AVATARS, SCENES, avatar_key, scene_data_key
from tests.conftest import asyncpg_dsn
from tests.factories import PASSWORD, bearer, register


async def test_public_profile_never_shows_the_email(client: httpx.AsyncClient) -> None:
    await register(client, username="Ada", email="ada@example.com")
    response = await client.get("/api/v1/users/ada")
    assert response.status_code == 200
    profile = response.json()
    assert profile["username"] == "Ada"
    assert set(profile) == {
        "id",
        "username",
        "avatar_url",
        "tier",
        "total_likes_received",
        "total_scenes",
        "created_at",
    }
    assert "ada@example.com" not in response.text
    missing = await client.get("/api/v1/users/nobody")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


async def test_profile_is_cached_and_the_cache_follows_a_rename(client: httpx.AsyncClient, runtime: Runtime) -> None:
    user = await register(client, username="ada")
    user_id = user["user"]["id"]
    await client.get("/api/v1/users/ada")
    assert 0 < await runtime.redis.ttl(f"cache:user:{user_id}") <= 300
    renamed = await client.patch("/api/v1/users/me", json={"username": "countess"}, headers=bearer(user))
    assert renamed.status_code == 200
    assert renamed.json()["username"] == "countess"
    assert (await client.get("/api/v1/users/countess")).json()["id"] == user_id
    assert (await client.get("/api/v1/users/ada")).status_code == 404
    assert (await client.get("/api/v1/users/me", headers=bearer(user))).json()["username"] == "countess"


async def test_renaming_to_a_taken_name_is_409(client: httpx.AsyncClient) -> None:
    await register(client, username="ada")
    bob = await register(client, username="bob")
    response = await client.patch("/api/v1/users/me", json={"username": "ADA"}, headers=bearer(bob))
    assert response.status_code == 409


async def test_changing_the_email_needs_the_password(client: httpx.AsyncClient) -> None:
    user = await register(client, username="ada")
    headers = bearer(user)
    without = await client.patch("/api/v1/users/me", json={"email": "new@example.com"}, headers=headers)
    assert without.status_code == 422
    wrong = {"email": "new@example.com", "current_password": "nope nope"}
    assert (await client.patch("/api/v1/users/me", json=wrong, headers=headers)).status_code == 403
    right = {"email": "New@Example.com", "current_password": PASSWORD}
    changed = await client.patch("/api/v1/users/me", json=right, headers=headers)
    assert changed.status_code == 200
    assert changed.json()["email"] == "new@example.com"
    assert (await client.post("/api/v1/auth/login", json={"login": "new@example.com", "password": PASSWORD})).is_success


async def test_unknown_fields_are_refused(client: httpx.AsyncClient) -> None:
    user = await register(client)
    response = await client.patch("/api/v1/users/me", json={"tier": "premium"}, headers=bearer(user))
    assert response.status_code == 422


async def test_deleting_the_account_removes_rows_and_objects(
    client: httpx.AsyncClient, runtime: Runtime, database_url: str
) -> None:
    ada = await register(client, username="ada")
    bob = await register(client, username="bob")
    ada_id, bob_id = uuid.UUID(ada["user"]["id"]), uuid.UUID(bob["user"]["id"])
    store = runtime.store
    for owner in (ada_id, bob_id):
        await store.put(AVATARS, avatar_key(owner), b"webp")
        await store.put(SCENES, scene_data_key(owner, uuid.uuid4()), b"scene")

    refused = await client.request("DELETE", "/api/v1/users/me", json={"password": "wrong one"}, headers=bearer(ada))
    assert refused.status_code == 403
    response = await client.request("DELETE", "/api/v1/users/me", json={"password": PASSWORD}, headers=bearer(ada))
    assert response.status_code == 204

    assert (await client.get("/api/v1/users/ada")).status_code == 404
    assert (await client.get("/api/v1/users/me", headers=bearer(ada))).status_code == 401
    assert not await store.exists(AVATARS, avatar_key(ada_id))
    assert await store.exists(AVATARS, avatar_key(bob_id))
    assert await store.delete_prefix(SCENES, f"{ada_id}/") == 0
    connection = await asyncpg.connect(**asyncpg_dsn(database_url))
    try:
        assert await connection.fetchval("SELECT count(*) FROM refresh_tokens WHERE user_id = $1", ada_id) == 0
        assert await connection.fetchval("SELECT count(*) FROM users") == 1
    finally:
        await connection.close()
    login = await client.post("/api/v1/auth/login", json={"login": "ada", "password": PASSWORD})
    assert login.status_code == 401


async def test_admins_keep_their_name(client: httpx.AsyncClient, runtime: Runtime) -> None:
    runtime.settings.admins.append("curator")
    curator = await register(client, username="curator")
    response = await client.patch("/api/v1/users/me", json={"username": "someone-else"}, headers=bearer(curator))
    assert response.status_code == 409
    assert (await client.get("/api/v1/users/curator")).status_code == 200
