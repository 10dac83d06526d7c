"""Access tokens, rotating refresh tokens, theft detection, devices."""

from __future__ import annotations

import base64
import json
import time
import uuid
import warnings

import asyncpg
import httpx
import jwt
import pytest

from particula.runtime import Runtime
from particula.tasks import purge_expired_tokens
from tests.conftest import asyncpg_dsn
from tests.factories import PASSWORD, bearer, login, register

SECRET = "test-secret-key-" + "x" * 32  # the `settings` fixture's key


async def me(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})


async def refresh(client: httpx.AsyncClient, token: str, *, user_agent: str = "pytest") -> httpx.Response:
    client.cookies.clear()
    return await client.post("/api/v1/auth/refresh", json={"refresh_token": token}, headers={"user-agent": user_agent})


def _unsigned(header: dict[str, str], claims: dict[str, object]) -> str:
    def part(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}."


def _hs512(claims: dict[str, object]) -> str:
    """The right secret under another HMAC algorithm: algorithm confusion must still be refused."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        return jwt.encode(claims, SECRET, algorithm="HS512")


async def test_bad_access_tokens_are_401(client: httpx.AsyncClient) -> None:
    user = await register(client)
    user_id = user["user"]["id"]
    now = int(time.time())
    claims = {"iss": "particula", "sub": user_id, "iat": now, "exp": now + 60, "typ": "access"}
    forged = {
        "expired": jwt.encode({**claims, "exp": now - 1}, SECRET, algorithm="HS256"),
        "wrong key": jwt.encode(claims, "another-secret-key-" + "y" * 32, algorithm="HS256"),
        "alg none": _unsigned({"alg": "none", "typ": "JWT"}, claims),
        "other alg": _hs512(claims),
        "not access": jwt.encode({**claims, "typ": "refresh"}, SECRET, algorithm="HS256"),
        "no expiry": jwt.encode({k: v for k, v in claims.items() if k != "exp"}, SECRET, algorithm="HS256"),
        "garbage": "not.a.token",
        "tampered": user["access_token"][:-4] + ("AAAA" if not user["access_token"].endswith("AAAA") else "BBBB"),
    }
    for name, token in forged.items():
        response = await me(client, token)
        assert response.status_code == 401, name
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert (await me(client, user["access_token"])).status_code == 200
    assert (await client.get("/api/v1/users/me")).status_code == 401


async def test_refresh_rotates_and_the_old_token_stops_working(client: httpx.AsyncClient) -> None:
    user = await register(client)
    first = await refresh(client, user["refresh_token"])
    assert first.status_code == 200
    rotated = first.json()
    assert rotated["refresh_token"] != user["refresh_token"]
    assert (await me(client, rotated["access_token"])).status_code == 200
    second = await refresh(client, rotated["refresh_token"])
    assert second.status_code == 200


async def test_a_rotated_token_presented_again_signs_out_every_device(client: httpx.AsyncClient) -> None:
    laptop = await register(client, username="ada")
    phone = await login(client, "ada")
    stolen = laptop["refresh_token"]
    assert (await refresh(client, stolen)).status_code == 200  # the thief (or the owner) uses it first
    replay = await refresh(client, stolen)
    assert replay.status_code == 401
    assert replay.json()["type"].endswith("token-reused")
    # Every device of that user is signed out, including the one that was never stolen from.
    assert (await refresh(client, phone["refresh_token"])).status_code == 401


async def test_the_cookie_alone_refreshes_and_is_rotated(client: httpx.AsyncClient) -> None:
    await register(client)  # the client keeps the httpOnly cookie, as a browser would
    response = await client.post("/api/v1/auth/refresh")
    assert response.status_code == 200
    assert client.cookies.get("particula_refresh") == response.json()["refresh_token"]
    assert (await client.post("/api/v1/auth/refresh")).status_code == 200


async def test_refresh_without_a_token_or_with_a_wrong_one_is_401(client: httpx.AsyncClient) -> None:
    client.cookies.clear()
    assert (await client.post("/api/v1/auth/refresh")).status_code == 401
    assert (await refresh(client, "x" * 43)).status_code == 401


async def test_logout_signs_out_one_device_only(client: httpx.AsyncClient) -> None:
    laptop = await register(client, username="ada")
    phone = await login(client, "ada")
    client.cookies.clear()
    response = await client.post("/api/v1/auth/logout", json={"refresh_token": laptop["refresh_token"]})
    assert response.status_code == 204
    assert (await refresh(client, laptop["refresh_token"])).status_code == 401
    assert (await refresh(client, phone["refresh_token"])).status_code == 200


async def test_devices_are_listed_and_can_be_revoked(client: httpx.AsyncClient) -> None:
    laptop = await register(client, username="ada", user_agent="Firefox on Linux")
    phone = await login(client, "ada", user_agent="Safari on iPhone")
    listed = (await client.get("/api/v1/auth/sessions", headers=bearer(laptop))).json()
    assert {device["user_agent"] for device in listed} == {"Firefox on Linux", "Safari on iPhone"}
    assert [device["current"] for device in listed if device["user_agent"] == "Firefox on Linux"] == [True]
    assert all(device["ip_address"] == "127.0.0.1" for device in listed)

    # Rotation keeps the device's id: the list still shows two devices.
    rotated = (await refresh(client, phone["refresh_token"], user_agent="Safari on iPhone")).json()
    listed = (await client.get("/api/v1/auth/sessions", headers=bearer(laptop))).json()
    assert len(listed) == 2
    phone_id = next(device["id"] for device in listed if device["user_agent"] == "Safari on iPhone")

    revoked = await client.delete(f"/api/v1/auth/sessions/{phone_id}", headers=bearer(laptop))
    assert revoked.status_code == 204
    assert (await refresh(client, rotated["refresh_token"])).status_code == 401
    missing = await client.delete(f"/api/v1/auth/sessions/{uuid.uuid4()}", headers=bearer(laptop))
    assert missing.status_code == 404


async def test_changing_the_password_signs_out_the_other_devices(client: httpx.AsyncClient) -> None:
    laptop = await register(client, username="ada")
    phone = await login(client, "ada")
    change = {"current_password": PASSWORD, "new_password": "a brand new passphrase"}
    response = await client.put("/api/v1/users/me/password", json=change, headers=bearer(laptop))
    assert response.status_code == 204
    assert (await refresh(client, phone["refresh_token"])).status_code == 401
    assert (await refresh(client, laptop["refresh_token"])).status_code == 200
    relogin = await client.post("/api/v1/auth/login", json={"login": "ada", "password": "a brand new passphrase"})
    assert relogin.status_code == 200


@pytest.mark.parametrize("current", [None, "not my password"])
async def test_changing_the_password_needs_the_current_one(client: httpx.AsyncClient, current: str | None) -> None:
    user = await register(client)
    change = {"current_password": current, "new_password": "a brand new passphrase"}
    response = await client.put("/api/v1/users/me/password", json=change, headers=bearer(user))
    assert response.status_code in {403, 422}
    assert (await refresh(client, user["refresh_token"])).status_code == 200


async def test_expired_refresh_tokens_are_refused_and_purged(
    client: httpx.AsyncClient, runtime: Runtime, database_url: str
) -> None:
    user = await register(client)
    connection = await asyncpg.connect(**asyncpg_dsn(database_url))
    try:
        await connection.execute("UPDATE refresh_tokens SET expires_at = now() - interval '1 second'")
        assert (await refresh(client, user["refresh_token"])).status_code == 401
        assert await purge_expired_tokens(runtime) == 1
        assert await connection.fetchval("SELECT count(*) FROM refresh_tokens") == 0
    finally:
        await connection.close()


async def test_sign_in_records_presence_in_redis(client: httpx.AsyncClient, runtime: Runtime) -> None:
    user = await register(client)
    session = await runtime.redis.hgetall(f"session:{user['user']['id']}")
    assert b"lastActivity" in session
    assert 0 < await runtime.redis.ttl(f"session:{user['user']['id']}") <= 86_400


async def test_a_first_password_needs_a_recent_sign_in(
    client: httpx.AsyncClient, runtime: Runtime, database_url: str
) -> None:
    from particula.auth.tokens import issue_access_token

    user = await register(client)
    user_id = uuid.UUID(user["user"]["id"])
    connection = await asyncpg.connect(**asyncpg_dsn(database_url))
    try:  # as an account made through a provider: no password
        await connection.execute("UPDATE users SET password_hash = NULL WHERE id = $1", user_id)
    finally:
        await connection.close()
    await runtime.redis.delete(f"cache:user:{user_id}")
    change = {"new_password": "a brand new passphrase"}
    stale = issue_access_token(SECRET, user_id, auth_time=int(time.time()) - 3600)  # e.g. a stolen, refreshed token
    refused = await client.put("/api/v1/users/me/password", json=change, headers={"Authorization": f"Bearer {stale}"})
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("sign-in-again")
    fresh = issue_access_token(SECRET, user_id)
    accepted = await client.put("/api/v1/users/me/password", json=change, headers={"Authorization": f"Bearer {fresh}"})
    assert accepted.status_code == 204


async def test_refreshing_keeps_the_time_of_the_sign_in(client: httpx.AsyncClient) -> None:
    user = await register(client)
    signed_in = jwt.decode(user["access_token"], options={"verify_signature": False})["auth_time"]
    refreshed = (await refresh(client, user["refresh_token"])).json()
    assert jwt.decode(refreshed["access_token"], options={"verify_signature": False})["auth_time"] == signed_in
