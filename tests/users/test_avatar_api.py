"""PUT /users/me/avatar end to end: stored as avatars/{userId}.webp, served at the user's avatar_url."""

from __future__ import annotations

import io
import uuid

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image

from particula.storage import AVATARS, avatar_key
from tests.factories import bearer, register


def png(width: int, height: int, colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


async def upload(
    client: httpx.AsyncClient, user: dict[str, object], data: bytes, name: str = "me.png"
) -> httpx.Response:
    files = {"file": (name, data, "application/octet-stream")}
    return await client.put("/api/v1/users/me/avatar", files=files, headers=bearer(user))  # type: ignore[arg-type]


async def test_avatar_is_stored_as_200px_webp_and_served(client: httpx.AsyncClient, app: FastAPI) -> None:
    user = await register(client)
    response = await upload(client, user, png(640, 480))
    assert response.status_code == 200
    avatar_url = response.json()["avatar_url"]
    assert avatar_url.startswith(f"/api/v1/users/{user['user']['id']}/avatar?v=")
    served = await client.get(avatar_url)
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/webp"
    image = Image.open(io.BytesIO(served.content))
    assert (image.format, image.size) == ("WEBP", (200, 200))
    stored = await app.state.runtime.store.get(AVATARS, avatar_key(uuid.UUID(user["user"]["id"])))
    assert stored == served.content
    profile = (await client.get(f"/api/v1/users/{user['user']['username']}")).json()
    assert profile["avatar_url"] == avatar_url  # the profile cache was invalidated


async def test_a_new_avatar_gets_a_new_url(client: httpx.AsyncClient) -> None:
    user = await register(client)
    first = (await upload(client, user, png(300, 300, (0, 0, 255)))).json()["avatar_url"]
    second = (await upload(client, user, png(300, 300, (0, 255, 0)))).json()["avatar_url"]
    assert first != second


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"", 422),
        (b"GIF89a" + b"\x00" * 100, 422),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", 422),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * (5 * 1024 * 1024), 413),
    ],
)
async def test_bad_images_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, app: FastAPI, data: bytes, status: int
) -> None:
    user = await register(client)
    response = await upload(client, user, data)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert not await app.state.runtime.store.exists(AVATARS, avatar_key(uuid.UUID(user["user"]["id"])))
    assert (await client.get("/api/v1/users/me", headers=bearer(user))).json()["avatar_url"] is None


async def test_avatar_needs_a_signed_in_user(client: httpx.AsyncClient) -> None:
    response = await client.put("/api/v1/users/me/avatar", files={"file": ("a.png", png(10, 10), "image/png")})
    assert response.status_code == 401


async def test_on_s3_the_avatar_url_redirects_to_a_signed_download(s3_client: httpx.AsyncClient) -> None:
    user = await register(s3_client)
    avatar_url = (await upload(s3_client, user, png(100, 50))).json()["avatar_url"]
    redirect = await s3_client.get(avatar_url)
    assert redirect.status_code == 302
    async with httpx.AsyncClient() as http:
        downloaded = await http.get(redirect.headers["location"])
    assert Image.open(io.BytesIO(downloaded.content)).size == (200, 200)
