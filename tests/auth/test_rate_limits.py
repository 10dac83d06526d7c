"""Per-IP, per-endpoint rate limits: 429 problem+json with Retry-After; proxies believed only when trusted."""

from __future__ import annotations

import httpx
import pytest

from particula.config import Settings
from tests.factories import PASSWORD


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"rate_limits": "auth.login=3,default=50", "trusted_proxies": ["127.0.0.1"]})


async def attempt(client: httpx.AsyncClient, forwarded_for: str | None = None) -> httpx.Response:
    headers = {"x-forwarded-for": forwarded_for} if forwarded_for else {}
    return await client.post("/api/v1/auth/login", json={"login": "nobody", "password": PASSWORD}, headers=headers)


async def test_login_is_limited_per_ip_with_retry_after(client: httpx.AsyncClient) -> None:
    statuses = [(await attempt(client, "203.0.113.5")).status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    limited = await attempt(client, "203.0.113.5")
    assert limited.status_code == 429
    assert limited.headers["content-type"] == "application/problem+json"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    # Another client behind the same trusted proxy has its own budget.
    assert (await attempt(client, "203.0.113.6")).status_code == 401
    # Other endpoints have their own budget too.
    assert (await client.get("/api/v1/users/nobody")).status_code == 404


async def test_the_client_cannot_pick_its_own_address_past_our_proxy(client: httpx.AsyncClient) -> None:
    # The proxy appends the address it saw; whatever the client wrote before it is not believed.
    for spoof in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        await attempt(client, f"{spoof}, 203.0.113.9")
    assert (await attempt(client, "198.51.100.4, 203.0.113.9")).status_code == 429


async def test_health_probes_are_never_rate_limited(client: httpx.AsyncClient) -> None:
    statuses = {(await client.get("/healthz")).status_code for _ in range(60)}
    assert statuses == {200}


async def test_untrusted_peers_forwarded_for_is_ignored(settings: Settings, client: httpx.AsyncClient) -> None:
    settings.trusted_proxies.clear()
    for n in range(3):
        await attempt(client, f"192.0.2.{n}")
    assert (await attempt(client, "192.0.2.99")).status_code == 429  # all counted as 127.0.0.1


def test_rate_limits_can_be_switched_off() -> None:
    assert Settings(rate_limits="off").rate_limit_table is None
    assert Settings(rate_limits="default=7").rate_limit_table == {
        "auth.login": 10,
        "auth.register": 5,
        "auth.refresh": 30,
        "default": 7,
    }


async def test_a_strangers_guesses_never_slow_the_owner_down(client: httpx.AsyncClient) -> None:
    await client.post(
        "/api/v1/auth/register", json={"email": "owner@example.com", "username": "owner", "password": PASSWORD}
    )
    for n in range(3):  # the attacker spends its login budget guessing
        await client.post(
            "/api/v1/auth/login",
            json={"login": "owner", "password": f"guess number {n}"},
            headers={"x-forwarded-for": "198.51.100.66"},
        )
    owner = await client.post(
        "/api/v1/auth/login",
        json={"login": "owner", "password": PASSWORD},
        headers={"x-forwarded-for": "203.0.113.77"},
    )
    assert owner.status_code == 200


def test_ipv6_clients_are_counted_per_64() -> None:
    from particula.ratelimit import rate_limit_subject

    assert (
        rate_limit_subject("2001:db8:1:2:aaaa::1") == rate_limit_subject("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    )
    assert rate_limit_subject("2001:db8:1:3::1") != rate_limit_subject("2001:db8:1:2::1")
    assert rate_limit_subject("203.0.113.5") == "203.0.113.5"
    assert rate_limit_subject("::ffff:203.0.113.5") == "203.0.113.5"
