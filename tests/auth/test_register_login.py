"""Registering and signing in with a password, as a player does it."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.factories import PASSWORD, bearer, login, register


async def test_register_returns_tokens_and_sets_the_refresh_cookie(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/register", json={"email": "ada@example.com", "username": "ada", "password": PASSWORD}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["user"]["username"] == "ada"
    assert body["user"]["email"] == "ada@example.com"
    assert body["user"]["tier"] == "free"
    assert "password_hash" not in body["user"]
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    cookie = response.headers["set-cookie"].lower()
    assert f"particula_refresh={body['refresh_token'].lower()}" in cookie
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "path=/api/v1/auth" in cookie
    me = await client.get("/api/v1/users/me", headers=bearer(body))
    assert me.json()["username"] == "ada"


async def test_email_is_normalised_and_login_works_by_email_or_username_in_any_case(client: httpx.AsyncClient) -> None:
    signed_up = await register(client, username="Grace", email="  Grace.Hopper@Example.COM ")
    assert signed_up["user"]["email"] == "grace.hopper@example.com"
    by_email = await login(client, "GRACE.HOPPER@example.com")
    by_name = await login(client, "grace")
    assert by_email["user"]["id"] == by_name["user"]["id"] == signed_up["user"]["id"]
    assert by_name["user"]["last_login_at"] is not None


@pytest.mark.parametrize(
    ("change", "slug"),
    [({"email": "ADA@example.com", "username": "other"}, "email-taken"), ({"username": "ADA"}, "username-taken")],
)
async def test_email_and_username_are_unique_regardless_of_case(
    client: httpx.AsyncClient, change: dict[str, str], slug: str
) -> None:
    await register(client, username="ada", email="ada@example.com")
    form = {"email": "someone@example.com", "username": "someone", "password": PASSWORD, **change}
    response = await client.post("/api/v1/auth/register", json=form)
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith(slug)


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"username": "ab"}, "username"),
        ({"username": "has space"}, "username"),
        ({"username": "x" * 51}, "username"),
        ({"email": "not-an-email"}, "email"),
        ({"password": ""}, "password"),
    ],
)
async def test_invalid_registration_lists_the_field(
    client: httpx.AsyncClient, form: dict[str, str], field: str
) -> None:
    body = {"email": "ok@example.com", "username": "okname", "password": PASSWORD, **form}
    response = await client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 422
    assert field in {error["field"] for error in response.json()["errors"]}


@pytest.mark.parametrize("password", ["short", "password123", "qwertyuiop", "aaaaaaaaaaaa", "weakling99"])
async def test_weak_passwords_are_refused(client: httpx.AsyncClient, password: str) -> None:
    form = {"email": "weakling99@example.com", "username": "weakling99", "password": password}
    response = await client.post("/api/v1/auth/register", json=form)
    assert response.status_code == 422
    assert response.json()["type"].endswith("weak-password")


async def test_racing_registrations_for_one_name_give_one_201_and_the_rest_409(client: httpx.AsyncClient) -> None:
    forms = [{"email": f"racer{i}@example.com", "username": "racer", "password": PASSWORD} for i in range(8)]
    responses = await asyncio.gather(*(client.post("/api/v1/auth/register", json=form) for form in forms))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * 7


async def test_wrong_password_and_unknown_user_get_the_same_answer(client: httpx.AsyncClient) -> None:
    await register(client, username="ada")
    wrong = await client.post("/api/v1/auth/login", json={"login": "ada", "password": "not the password"})
    unknown = await client.post("/api/v1/auth/login", json={"login": "nobody", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_repeated_failures_slow_one_account_down_briefly_without_locking_it(client: httpx.AsyncClient) -> None:
    await register(client, username="victim")
    for _ in range(5):
        response = await client.post("/api/v1/auth/login", json={"login": "victim", "password": "guess-guess"})
        assert response.status_code == 401
    slowed = await client.post("/api/v1/auth/login", json={"login": "victim", "password": PASSWORD})
    assert slowed.status_code == 429
    assert 1 <= int(slowed.headers["retry-after"]) <= 60
    await asyncio.sleep(int(slowed.headers["retry-after"]) + 0.1)
    assert (await client.post("/api/v1/auth/login", json={"login": "victim", "password": PASSWORD})).status_code == 200
    # A success wipes the slate: the next typo is an ordinary 401, not a wait.
    again = await client.post("/api/v1/auth/login", json={"login": "victim", "password": "typo-typo"})
    assert again.status_code == 401


async def test_json_bodies_over_one_mebibyte_are_413(client: httpx.AsyncClient) -> None:
    form = {"email": "big@example.com", "username": "big", "password": "x" * (1024 * 1024)}
    response = await client.post("/api/v1/auth/register", json=form)
    assert response.status_code == 413


async def test_parallel_guesses_get_only_the_free_attempts(client: httpx.AsyncClient) -> None:
    await register(client, username="target")
    guesses = [client.post("/api/v1/auth/login", json={"login": "target", "password": f"guess {n}"}) for n in range(30)]
    statuses = sorted(response.status_code for response in await asyncio.gather(*guesses))
    assert statuses.count(401) == 5  # at most five passwords were actually checked
    assert statuses.count(429) == 25


async def test_unknown_names_are_slowed_down_alike(client: httpx.AsyncClient) -> None:
    statuses = []
    for _ in range(6):
        response = await client.post("/api/v1/auth/login", json={"login": "nobody-here", "password": "guess guess"})
        statuses.append(response.status_code)
    assert statuses == [401] * 5 + [429]  # a 429 does not tell an attacker the account exists
