"""The OAuth protocol layer against the local provider server over HTTP and the real Redis."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from redis.asyncio import Redis

from particula.auth.oauth import OAuthError, PendingLogin, ProviderIdentity, begin, complete
from particula.auth.oauth_providers import Provider, enabled_providers
from particula.cache.client import connect
from particula.cache.keys import OAUTH_STATE_TTL, oauth_state_key
from particula.config import Settings
from tests.auth.oauth_provider import PROVIDERS, OAuthProviderServer, s256

CALLBACK = "http://particula.test/api/v1/auth/oauth/{provider}/callback"


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = connect(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def providers(oauth_provider: OAuthProviderServer, settings: Settings) -> dict[str, Provider]:
    return enabled_providers(oauth_provider.settings(settings))


def query_of(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


async def stored_login(redis: Redis, key: str) -> dict[str, Any]:
    raw = await redis.get(key)
    assert raw is not None
    stored: dict[str, Any] = json.loads(raw)
    return stored


async def consent(authorization_url: str) -> dict[str, str]:
    """Open the authorization URL like a browser; the query the provider sends back to our callback."""
    async with httpx.AsyncClient(timeout=10) as browser:
        response = await browser.get(authorization_url)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(CALLBACK.split("{")[0])
    return query_of(location)


async def sign_in(redis: Redis, provider: Provider, **begin_options: str) -> tuple[PendingLogin, ProviderIdentity]:
    redirect_uri = CALLBACK.format(provider=provider.name)
    callback = await consent(await begin(redis, provider, redirect_uri=redirect_uri, **begin_options))
    return await complete(
        redis,
        provider,
        state=callback.get("state"),
        code=callback.get("code"),
        error=callback.get("error"),
        redirect_uri=redirect_uri,
    )


async def oauth_error(redis: Redis, provider: Provider) -> OAuthError:
    with pytest.raises(OAuthError) as caught:
        await sign_in(redis, provider)
    return caught.value


# --- success ------------------------------------------------------------------------------------


async def test_google_sign_in_returns_the_person_from_the_verified_id_token(
    redis: Redis, providers: dict[str, Provider], oauth_provider: OAuthProviderServer
) -> None:
    oauth_provider.sign_in_as("google", subject="1170", email="marie@example.com", name="Marie Curie")
    pending, identity = await sign_in(redis, providers["google"], return_to="/scenes/new")
    assert identity == ProviderIdentity(
        provider="google", subject="1170", email="marie@example.com", email_verified=True, username_hint="Marie Curie"
    )
    assert pending.provider == "google"
    assert pending.return_to == "/scenes/new"
    assert pending.link_user_id is None


async def test_github_sign_in_takes_the_primary_email_from_the_emails_api(
    redis: Redis, providers: dict[str, Provider], oauth_provider: OAuthProviderServer
) -> None:
    oauth_provider.sign_in_as("github", subject="42", email="linus@example.com", name="torvalds")
    _, identity = await sign_in(redis, providers["github"])
    assert identity == ProviderIdentity(
        provider="github", subject="42", email="linus@example.com", email_verified=True, username_hint="torvalds"
    )


async def test_discord_sign_in_links_to_the_user_who_started_it(
    redis: Redis, providers: dict[str, Provider], oauth_provider: OAuthProviderServer
) -> None:
    oauth_provider.sign_in_as("discord", subject="80351110224678912", email="nelly@example.com", name="nelly")
    pending, identity = await sign_in(redis, providers["discord"], link_user_id="user-7")
    assert identity == ProviderIdentity(
        provider="discord",
        subject="80351110224678912",
        email="nelly@example.com",
        email_verified=True,
        username_hint="nelly",
    )
    assert pending.link_user_id == "user-7"


@pytest.mark.parametrize("provider_name", PROVIDERS)
async def test_an_unverified_email_is_reported_as_unverified(
    provider_name: str, redis: Redis, providers: dict[str, Provider], oauth_provider: OAuthProviderServer
) -> None:
    oauth_provider.sign_in_as(provider_name, subject="77", email="eve@example.com", verified=False, name="eve")
    _, identity = await sign_in(redis, providers[provider_name])
    assert identity.email == "eve@example.com"
    assert identity.email_verified is False


async def test_a_github_account_without_a_primary_email_has_no_email(
    redis: Redis, providers: dict[str, Provider], oauth_provider: OAuthProviderServer
) -> None:
    oauth_provider.sign_in_as("github", subject="43", email=None, name="quiet")
    _, identity = await sign_in(redis, providers["github"])
    assert (identity.email, identity.email_verified, identity.subject) == (None, False, "43")


@pytest.mark.parametrize("provider_name", PROVIDERS)
async def test_begin_keeps_a_single_use_state_for_ten_minutes_and_uses_pkce(
    provider_name: str, redis: Redis, providers: dict[str, Provider]
) -> None:
    url = await begin(redis, providers[provider_name], redirect_uri=CALLBACK.format(provider=provider_name))
    query = query_of(url)
    assert len(query["state"]) >= 43  # 256 random bits in base64url
    key = oauth_state_key(query["state"])
    assert 0 < await redis.ttl(key) <= OAUTH_STATE_TTL == 600
    stored = await stored_login(redis, key)
    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"] == s256(stored["code_verifier"])
    assert query.get("nonce") == (stored["nonce"] if provider_name == "google" else None)


async def test_an_off_site_return_to_becomes_the_home_page(redis: Redis, providers: dict[str, Provider]) -> None:
    for hostile in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        pending, _ = await sign_in(redis, providers["github"], return_to=hostile)
        assert pending.return_to == "/"


# --- state --------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", [None, "", "never-issued", "x" * 5000])
async def test_an_unknown_state_is_refused(state: str | None, redis: Redis, providers: dict[str, Provider]) -> None:
    with pytest.raises(OAuthError) as caught:
        await complete(
            redis,
            providers["github"],
            state=state,
            code="any",
            error=None,
            redirect_uri=CALLBACK.format(provider="github"),
        )
    assert caught.value.code == "invalid_state"


async def test_a_replayed_callback_is_refused(
    redis: Redis, providers: dict[str, Provider], oauth_provider: OAuthProviderServer
) -> None:
    provider = providers["discord"]
    redirect_uri = CALLBACK.format(provider="discord")
    callback = await consent(await begin(redis, provider, redirect_uri=redirect_uri))
    await complete(
        redis, provider, state=callback["state"], code=callback["code"], error=None, redirect_uri=redirect_uri
    )
    token_requests = oauth_provider.token_requests
    with pytest.raises(OAuthError) as caught:
        await complete(
            redis, provider, state=callback["state"], code=callback["code"], error=None, redirect_uri=redirect_uri
        )
    assert caught.value.code == "invalid_state"
    assert oauth_provider.token_requests == token_requests  # refused before the code reached the provider


async def test_an_expired_state_is_refused(redis: Redis, providers: dict[str, Provider]) -> None:
    provider = providers["google"]
    redirect_uri = CALLBACK.format(provider="google")
    callback = await consent(await begin(redis, provider, redirect_uri=redirect_uri))
    await redis.delete(oauth_state_key(callback["state"]))  # what Redis does when the 10 minutes are up
    with pytest.raises(OAuthError) as caught:
        await complete(
            redis, provider, state=callback["state"], code=callback["code"], error=None, redirect_uri=redirect_uri
        )
    assert caught.value.code == "invalid_state"


async def test_a_state_issued_for_another_provider_is_refused_and_spent(
    redis: Redis, providers: dict[str, Provider]
) -> None:
    redirect_uri = CALLBACK.format(provider="github")
    callback = await consent(await begin(redis, providers["github"], redirect_uri=redirect_uri))
    with pytest.raises(OAuthError) as caught:
        await complete(
            redis,
            providers["discord"],
            state=callback["state"],
            code=callback["code"],
            error=None,
            redirect_uri=redirect_uri,
        )
    assert caught.value.code == "invalid_state"
    assert await redis.exists(oauth_state_key(callback["state"])) == 0


# --- the person or the provider says no ---------------------------------------------------------


@pytest.mark.parametrize("provider_name", PROVIDERS)
async def test_declined_consent_is_access_denied(
    provider_name: str, redis: Redis, providers: dict[str, Provider], oauth_provider: OAuthProviderServer
) -> None:
    oauth_provider.deny_next(provider_name)
    error = await oauth_error(redis, providers[provider_name])
    assert error.code == "access_denied"
    assert providers[provider_name].title in error.message


@pytest.mark.parametrize("provider_name", PROVIDERS)
async def test_a_wrong_pkce_verifier_fails_the_exchange(
    provider_name: str, redis: Redis, providers: dict[str, Provider]
) -> None:
    provider = providers[provider_name]
    redirect_uri = CALLBACK.format(provider=provider_name)
    callback = await consent(await begin(redis, provider, redirect_uri=redirect_uri))
    key = oauth_state_key(callback["state"])
    stored = await stored_login(redis, key)
    await redis.set(key, json.dumps({**stored, "code_verifier": "x" * 64}), ex=60)
    with pytest.raises(OAuthError) as caught:
        await complete(
            redis, provider, state=callback["state"], code=callback["code"], error=None, redirect_uri=redirect_uri
        )
    assert caught.value.code == "exchange_failed"


async def test_a_forged_google_id_token_is_refused(
    redis: Redis, providers: dict[str, Provider], oauth_provider: OAuthProviderServer
) -> None:
    oauth_provider.tamper_next_id_token(forged=True)
    assert (await oauth_error(redis, providers["google"])).code == "invalid_id_token"


@pytest.mark.parametrize(
    "claims",
    [
        {"nonce": "a-nonce-from-another-sign-in"},
        {"nonce": None},
        {"aud": "someone-elses-client"},
        {"iss": "https://evil.example"},
        {"exp": 1_000_000},
    ],
    ids=["wrong-nonce", "no-nonce", "wrong-audience", "wrong-issuer", "expired"],
)
async def test_a_google_id_token_with_wrong_claims_is_refused(
    claims: dict[str, Any], redis: Redis, providers: dict[str, Provider], oauth_provider: OAuthProviderServer
) -> None:
    oauth_provider.tamper_next_id_token(claims)
    assert (await oauth_error(redis, providers["google"])).code == "invalid_id_token"


@pytest.mark.parametrize(
    ("provider_name", "path", "status", "body", "code"),
    [
        ("google", "/google/token", 500, "oops", "provider_error"),
        ("google", "/google/token", 200, "{not json", "provider_error"),
        ("google", "/google/jwks", 503, "", "provider_error"),
        ("github", "/github/login/oauth/access_token", 502, "Bad gateway", "provider_error"),
        ("github", "/github/login/oauth/access_token", 200, '{"token_type": "bearer"}', "provider_error"),
        ("github", "/github-api/user", 200, "[1, 2]", "provider_error"),
        ("github", "/github-api/user/emails", 500, "{}", "provider_error"),
        ("discord", "/discord/api/oauth2/token", 400, '{"error": "invalid_grant"}', "exchange_failed"),
        ("discord", "/discord/api/users/@me", 200, '{"username": "no-id"}', "provider_error"),
        ("discord", "/discord/api/users/@me", 500, "{", "provider_error"),
    ],
)
async def test_a_failing_or_malformed_provider_answer_is_an_oauth_error(
    provider_name: str,
    path: str,
    status: int,
    body: str,
    code: str,
    redis: Redis,
    providers: dict[str, Provider],
    oauth_provider: OAuthProviderServer,
) -> None:
    oauth_provider.fail_next(path, status=status, body=body)
    assert (await oauth_error(redis, providers[provider_name])).code == code


async def test_google_discovery_failing_stops_the_sign_in_before_any_state_is_kept(
    redis: Redis, providers: dict[str, Provider], oauth_provider: OAuthProviderServer
) -> None:
    oauth_provider.fail_next("/google/.well-known/openid-configuration", status=500)
    with pytest.raises(OAuthError) as caught:
        await begin(redis, providers["google"], redirect_uri=CALLBACK.format(provider="google"))
    assert caught.value.code == "provider_error"
    assert await redis.keys("oauth:state:*") == []


async def test_an_unreachable_provider_is_a_provider_error(redis: Redis, settings: Settings) -> None:
    dead = settings.model_copy(
        update={
            "oauth_discord_client_id": "id",
            "oauth_discord_client_secret": "secret",
            "oauth_discord_base_url": "http://127.0.0.1:9",  # discard port: nothing listens
        }
    )
    provider = enabled_providers(dead)["discord"]
    redirect_uri = CALLBACK.format(provider="discord")
    url = await begin(redis, provider, redirect_uri=redirect_uri)
    with pytest.raises(OAuthError) as caught:
        await complete(redis, provider, state=query_of(url)["state"], code="c", error=None, redirect_uri=redirect_uri)
    assert caught.value.code == "provider_error"


# --- configuration ------------------------------------------------------------------------------


def test_only_providers_with_an_id_and_a_secret_are_enabled(settings: Settings) -> None:
    assert enabled_providers(settings) == {}
    configured = settings.model_copy(
        update={
            "oauth_google_client_id": "google-id",  # no secret: not enabled
            "oauth_github_client_id": "github-id",
            "oauth_github_client_secret": "github-secret",
            "oauth_discord_client_secret": "discord-secret",  # no id: not enabled
        }
    )
    assert list(enabled_providers(configured)) == ["github"]
