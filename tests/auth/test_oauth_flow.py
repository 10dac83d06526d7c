"""Signing in with Google, GitHub and Discord through the real app, against the local provider over HTTP."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from particula.app import create_app
from particula.auth.web import REFRESH_COOKIE
from particula.config import Settings
from particula.runtime import Runtime
from tests.auth.oauth_provider import PROVIDERS, OAuthProviderServer
from tests.factories import bearer, register

API = "/api/v1/auth/oauth"
RETURN_TO = "/scenes/new"
JSON = {"Accept": "application/json"}
NEW_PLAYERS = {"google": "Ada_Lovelace", "github": "grace-hopper", "discord": "alan_t"}


@pytest.fixture
def settings(settings: Settings, oauth_provider: OAuthProviderServer) -> Settings:
    """The three providers enabled and pointed at the local provider server."""
    return oauth_provider.settings(settings)


@asynccontextmanager
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Another browser: its own cookie jar."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://particula.test") as http:
        yield http


async def consent(authorize_url: str) -> str:
    """Consent at the provider like a browser: the callback URL it sends the browser back to."""
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.get(authorize_url)
    assert response.status_code == 302, response.text
    location: str = response.headers["location"]
    return location


async def start(client: httpx.AsyncClient, provider: str) -> str:
    """Press "Sign in with ...": the callback URL the provider sends the browser back to."""
    response = await client.get(f"{API}/{provider}/start", params={"return_to": RETURN_TO})
    assert response.status_code == 302, response.text
    return await consent(response.headers["location"])


async def sign_in(client: httpx.AsyncClient, provider: str, **headers: str) -> httpx.Response:
    return await client.get(await start(client, provider), headers=headers)


async def me(client: httpx.AsyncClient) -> dict[str, Any]:
    """What the web client does after the redirect: trade the cookie for an access token, then read the account."""
    refreshed = await client.post("/api/v1/auth/refresh")
    assert refreshed.status_code == 200, refreshed.text
    response = await client.get("/api/v1/users/me", headers=bearer(refreshed.json()))
    assert response.status_code == 200
    account: dict[str, Any] = response.json()
    return account


def auth_error(response: httpx.Response) -> str:
    """The error the home page shows, after checking that no session was started."""
    assert response.status_code == 302, response.text
    assert REFRESH_COOKIE not in response.cookies
    location = urlsplit(response.headers["location"])
    assert location.path == "/"
    return parse_qs(location.query)["auth_error"][0]


def problem_type(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return str(response.json()["type"]).rsplit("/", 1)[1]


# --- signing up and in --------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_new_player_signs_up_and_lands_where_they_were(
    provider: str, client: httpx.AsyncClient, oauth_provider: OAuthProviderServer
) -> None:
    response = await sign_in(client, provider)
    assert response.status_code == 302
    assert response.headers["location"] == RETURN_TO
    assert "httponly" in response.headers["set-cookie"].lower()
    account = await me(client)
    assert account["username"] == NEW_PLAYERS[provider]
    assert account["oauth_provider"] == provider
    assert account["has_password"] is False


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_returning_player_signs_in_to_the_same_account(
    provider: str, app: FastAPI, client: httpx.AsyncClient
) -> None:
    await sign_in(client, provider)
    first = await me(client)
    async with browser(app) as phone:
        assert (await sign_in(phone, provider)).headers["location"] == RETURN_TO
        again = await me(phone)
    assert (again["id"], again["username"]) == (first["id"], first["username"])


async def test_a_taken_username_gets_digits_appended(app: FastAPI, client: httpx.AsyncClient) -> None:
    async with browser(app) as other:
        await register(other, username="Grace-Hopper", email="someone@example.com")
    await sign_in(client, "github")
    assert re.fullmatch(r"grace-hopper\d{2}", (await me(client))["username"])


@pytest.mark.parametrize(
    ("name", "email", "username"),
    [
        ("Zoë Ångström", "zoe@example.com", "Zoe_Angstrom"),
        ("李小龍", "bruce.lee@example.com", "bruce_lee"),
        ("x", "xy@example.com", "player"),
        ("a" * 80, "a@example.com", "a" * 50),
    ],
)
async def test_the_username_comes_from_the_provider_name_or_the_email(
    name: str, email: str, username: str, client: httpx.AsyncClient, oauth_provider: OAuthProviderServer
) -> None:
    oauth_provider.sign_in_as("discord", subject="99", email=email, name=name)
    await sign_in(client, "discord")
    assert (await me(client))["username"] == username


async def test_two_newcomers_with_one_name_at_once_both_get_an_account(
    app: FastAPI, client: httpx.AsyncClient, oauth_provider: OAuthProviderServer
) -> None:
    urls = []
    async with browser(app) as other:
        for subject, http in (("1", client), ("2", other)):
            oauth_provider.sign_in_as("discord", subject=subject, email=f"twin{subject}@example.com", name="twin")
            urls.append(await start(http, "discord"))
        # Both callbacks at once: each finds "twin" free, one loses the race on the unique index and retries.
        answers = await asyncio.gather(client.get(urls[0]), other.get(urls[1]))
        assert [answer.headers["location"] for answer in answers] == [RETURN_TO, RETURN_TO]
        names = {(await me(client))["username"], (await me(other))["username"]}
    assert len(names) == 2
    assert "twin" in names


async def test_one_newcomer_arriving_twice_at_once_gets_one_account(app: FastAPI, client: httpx.AsyncClient) -> None:
    async with browser(app) as other:
        urls = [await start(http, "discord") for http in (client, other)]
        answers = await asyncio.gather(client.get(urls[0]), other.get(urls[1]))
        assert [answer.headers["location"] for answer in answers] == [RETURN_TO, RETURN_TO]
        assert (await me(client))["id"] == (await me(other))["id"]


# --- refusals -----------------------------------------------------------------------------------


async def test_an_email_of_a_password_account_is_never_linked_silently(
    app: FastAPI, client: httpx.AsyncClient, oauth_provider: OAuthProviderServer
) -> None:
    async with browser(app) as owner:
        signed_up = await register(owner, username="grace", email="grace@example.com")
        oauth_provider.sign_in_as("github", subject="583231", email="Grace@Example.COM", name="grace-hopper")
        assert auth_error(await sign_in(client, "github")) == "email-in-use"
        answer = await sign_in(client, "github", **JSON)
        assert problem_type(answer, 409) == "email-in-use"
        assert "password" in answer.json()["detail"]
        owned = await owner.get("/api/v1/users/me", headers=bearer(signed_up))
    assert owned.json()["oauth_provider"] is None
    assert (await client.get("/api/v1/users/grace-hopper")).status_code == 404


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_provider_account_without_a_verified_email_cannot_sign_up(
    provider: str, client: httpx.AsyncClient, oauth_provider: OAuthProviderServer
) -> None:
    oauth_provider.sign_in_as(provider, subject="77", email="eve@example.com", verified=False, name="eve")
    assert auth_error(await sign_in(client, provider)) == "unverified_email"
    assert problem_type(await sign_in(client, provider, **JSON), 403) == "unverified_email"
    assert (await client.get("/api/v1/users/eve")).status_code == 404


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_declined_consent_starts_no_session(
    provider: str, client: httpx.AsyncClient, oauth_provider: OAuthProviderServer
) -> None:
    oauth_provider.deny_next(provider)
    assert auth_error(await sign_in(client, provider)) == "access_denied"
    oauth_provider.deny_next(provider)
    assert problem_type(await sign_in(client, provider, **JSON), 400) == "access_denied"
    assert (await client.post("/api/v1/auth/refresh")).status_code == 401


async def test_a_forged_expired_or_replayed_state_starts_no_session(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    forged = re.sub(r"state=[^&]+", "state=forged", await start(client, "google"))
    assert auth_error(await client.get(forged)) == "invalid_state"

    expired = await start(client, "google")
    await runtime.redis.delete(f"oauth:state:{parse_qs(urlsplit(expired).query)['state'][0]}")
    assert problem_type(await client.get(expired, headers=JSON), 400) == "invalid_state"

    used = await start(client, "google")
    assert (await client.get(used)).headers["location"] == RETURN_TO
    client.cookies.delete(REFRESH_COOKIE)
    assert auth_error(await client.get(used)) == "invalid_state"


async def test_a_callback_link_opened_in_another_browser_is_refused(app: FastAPI, client: httpx.AsyncClient) -> None:
    # Login CSRF: an attacker consents with their own account and sends the victim the callback link.
    attackers_callback = await start(client, "github")
    async with browser(app) as victim:
        assert auth_error(await victim.get(attackers_callback)) == "invalid_state"
        assert (await victim.post("/api/v1/auth/refresh")).status_code == 401


async def test_a_failing_provider_is_reported(client: httpx.AsyncClient, oauth_provider: OAuthProviderServer) -> None:
    oauth_provider.fail_next("/google/.well-known/openid-configuration", status=500)
    assert auth_error(await client.get(f"{API}/google/start")) == "provider_error"
    oauth_provider.fail_next("/github/login/oauth/access_token", status=500)
    assert problem_type(await sign_in(client, "github", **JSON), 502) == "provider_error"


async def test_an_unknown_or_disabled_provider_is_404(
    settings: Settings, database_url: str, redis_url: str, client: httpx.AsyncClient
) -> None:
    assert problem_type(await client.get(f"{API}/myspace/start"), 404) == "not-found"
    only_github = settings.model_copy(
        update={"oauth_google_client_id": None, "public_url": "https://particula.example"}
    )
    app = create_app(only_github, database_url=database_url, redis_url=redis_url)
    async with app.router.lifespan_context(app), browser(app) as http:
        assert problem_type(await http.get(f"{API}/google/start"), 404) == "not-found"
        assert problem_type(await http.get(f"{API}/google/callback?code=c&state=s"), 404) == "not-found"
        github = await http.get(f"{API}/github/start")
    redirect_uri = parse_qs(urlsplit(github.headers["location"]).query)["redirect_uri"][0]
    assert redirect_uri == "https://particula.example/api/v1/auth/oauth/github/callback"


# --- linking and unlinking ----------------------------------------------------------------------


async def link(client: httpx.AsyncClient, provider: str, signed_in: dict[str, Any], **headers: str) -> httpx.Response:
    started = await client.post(f"{API}/{provider}/link", params={"return_to": "/settings"}, headers=bearer(signed_in))
    assert started.status_code == 200, started.text
    return await client.get(await consent(started.json()["authorize_url"]), headers=headers)


async def test_a_linked_provider_signs_in_to_the_password_account(app: FastAPI, client: httpx.AsyncClient) -> None:
    signed_up = await register(client, username="ada", email="ada@particula.example")
    assert (await link(client, "google", signed_up)).headers["location"] == "/settings"
    async with browser(app) as laptop:
        await sign_in(laptop, "google")
        account = await me(laptop)
    assert (account["id"], account["username"], account["oauth_provider"]) == (signed_up["user"]["id"], "ada", "google")


async def test_a_provider_account_of_someone_else_cannot_be_linked(app: FastAPI, client: httpx.AsyncClient) -> None:
    await sign_in(client, "github")  # grace's GitHub account now has its own Particula account
    async with browser(app) as other:
        bob = await register(other, username="bob")
        assert problem_type(await link(other, "github", bob, **JSON), 409) == "oauth-account-in-use"
        assert auth_error(await link(other, "github", bob)) == "oauth-account-in-use"
        assert (await other.get("/api/v1/users/me", headers=bearer(bob))).json()["oauth_provider"] is None


async def test_a_second_provider_cannot_be_linked(client: httpx.AsyncClient) -> None:
    signed_up = await register(client)
    await link(client, "discord", signed_up)
    answer = await client.post(f"{API}/github/link", headers=bearer(signed_up))
    assert problem_type(answer, 409) == "provider-already-linked"


async def test_unlinking_needs_a_password_first(app: FastAPI, client: httpx.AsyncClient) -> None:
    await sign_in(client, "discord")
    refreshed = (await client.post("/api/v1/auth/refresh")).json()
    unlink = f"{API}/discord"
    assert problem_type(await client.delete(unlink, headers=bearer(refreshed)), 409) == "last-sign-in-method"
    password = {"new_password": "a long and unusual passphrase"}
    assert (await client.put("/api/v1/users/me/password", json=password, headers=bearer(refreshed))).status_code == 204
    assert problem_type(await client.delete(f"{API}/github", headers=bearer(refreshed)), 404) == "not-found"
    unlinked = await client.delete(unlink, headers=bearer(refreshed))
    assert unlinked.status_code == 200
    assert (unlinked.json()["oauth_provider"], unlinked.json()["has_password"]) == (None, True)
    async with browser(app) as laptop:  # Discord no longer signs in, and its email belongs to the account
        assert auth_error(await sign_in(laptop, "discord")) == "email-in-use"
