"""Fixtures for accounts tests: the local OAuth provider server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.auth.oauth_provider import OAuthProviderServer


@pytest.fixture(scope="session")
def oauth_provider_server() -> Iterator[OAuthProviderServer]:
    server = OAuthProviderServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def oauth_provider(oauth_provider_server: OAuthProviderServer) -> OAuthProviderServer:
    """The provider server, with its people, codes, tokens and injected failures reset for this test."""
    oauth_provider_server.reset()
    return oauth_provider_server
