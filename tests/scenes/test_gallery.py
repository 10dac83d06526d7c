"""The gallery: new/top/featured, search, keyset pages stable under inserts, per-user listings."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from particula.config import Settings
from tests.factories import bearer, create_scene, register, scene_file


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"admins": ["curator"]})


async def titles(client: httpx.AsyncClient, url: str, headers: dict[str, str] | None = None) -> list[str]:
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["items"]]


async def walk(client: httpx.AsyncClient, query: str) -> list[dict[str, Any]]:
    """Every item of a listing, page by page."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        url = f"/api/v1/scenes?{query}" + (f"&cursor={cursor}" if cursor else "")
        page = (await client.get(url)).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def test_new_lists_public_scenes_newest_first(client: httpx.AsyncClient) -> None:
    ada = await register(client)
    data = scene_file()
    for title in ("first", "second", "third"):
        await create_scene(client, ada, title=title, data=data)
    await create_scene(client, ada, title="hidden", is_public=False, data=data)
    assert await titles(client, "/api/v1/scenes?sort=new") == ["third", "second", "first"]


async def test_top_orders_by_likes_and_cards_carry_what_they_need(client: httpx.AsyncClient) -> None:
    ada = await register(client, username="ada")
    fans = [await register(client) for _ in range(3)]
    data = scene_file()
    scenes = {title: await create_scene(client, ada, title=title, data=data) for title in ("one", "two", "three")}
    for fan, title in [(fans[0], "two"), (fans[1], "two"), (fans[2], "three"), (fans[0], "three"), (fans[1], "three")]:
        await client.put(f"/api/v1/scenes/{scenes[title]['id']}/like", headers=bearer(fan))
    page = (await client.get("/api/v1/scenes?sort=top", headers=bearer(fans[2]))).json()
    assert [item["title"] for item in page["items"]] == ["three", "two", "one"]
    card = page["items"][0]
    assert card["author"]["username"] == "ada"
    assert card["likes_count"] == 3
    assert card["liked_by_me"] is True
    assert page["items"][1]["liked_by_me"] is False
    assert card["thumbnail_url"].startswith(f"/api/v1/scenes/{card['id']}/thumbnail")


async def test_pages_are_stable_when_scenes_arrive_meanwhile(client: httpx.AsyncClient) -> None:
    ada = await register(client)
    data = scene_file()
    for n in range(7):
        await create_scene(client, ada, title=f"scene {n}", data=data)
    first = (await client.get("/api/v1/scenes?sort=new&limit=3")).json()
    assert [item["title"] for item in first["items"]] == ["scene 6", "scene 5", "scene 4"]
    await create_scene(client, ada, title="late arrival", data=data)  # would shift an OFFSET page
    second = (await client.get(f"/api/v1/scenes?sort=new&limit=3&cursor={first['next_cursor']}")).json()
    assert [item["title"] for item in second["items"]] == ["scene 3", "scene 2", "scene 1"]
    everything = await walk(client, "sort=top&limit=2")
    assert len(everything) == 8
    assert len({item["id"] for item in everything}) == 8


async def test_search_finds_words_in_titles_and_descriptions(client: httpx.AsyncClient) -> None:
    ada = await register(client)
    data = scene_file()
    await create_scene(client, ada, title="Volcano island", data=data)
    await create_scene(client, ada, title="Quiet lake", description="no volcanoes here, honest", data=data)
    await create_scene(client, ada, title="Sand garden", data=data)
    found = await titles(client, "/api/v1/scenes?q=volcano")
    assert sorted(found) == ["Quiet lake", "Volcano island"]
    assert await titles(client, "/api/v1/scenes?q=garden%20sand") == ["Sand garden"]
    assert await titles(client, "/api/v1/scenes?q=%22unmatched%20words%22") == []


async def test_featured_lists_what_admins_featured(client: httpx.AsyncClient) -> None:
    ada = await register(client)
    curator = await register(client, username="curator")
    data = scene_file()
    plain = await create_scene(client, ada, title="plain", data=data)
    star = await create_scene(client, ada, title="star", data=data)
    private = await create_scene(client, ada, title="private", is_public=False, data=data)
    assert (await client.put(f"/api/v1/scenes/{star['id']}/feature", headers=bearer(ada))).status_code == 403
    featured = await client.put(f"/api/v1/scenes/{star['id']}/feature", headers=bearer(curator))
    assert featured.status_code == 200
    assert featured.json()["is_featured"] is True
    assert (await client.put(f"/api/v1/scenes/{private['id']}/feature", headers=bearer(curator))).status_code == 404
    assert await titles(client, "/api/v1/scenes?sort=featured") == ["star"]
    await client.delete(f"/api/v1/scenes/{star['id']}/feature", headers=bearer(curator))
    assert await titles(client, "/api/v1/scenes?sort=featured") == []
    assert plain["is_featured"] is False


async def test_a_users_listing_shows_their_private_scenes_only_to_them(client: httpx.AsyncClient) -> None:
    ada = await register(client, username="ada")
    data = scene_file()
    await create_scene(client, ada, title="public one", data=data)
    await create_scene(client, ada, title="secret one", is_public=False, data=data)
    assert await titles(client, "/api/v1/users/ada/scenes") == ["public one"]
    assert await titles(client, "/api/v1/users/ada/scenes", bearer(ada)) == ["secret one", "public one"]
    assert (await client.get("/api/v1/users/nobody/scenes")).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "sort=best",
        "limit=0",
        "limit=101",
        "cursor=not-a-cursor",
        "cursor=WyJ0b3AiLDEsMl0",
        "q=" + "x" * 201,
        "sort=top&cursor=WyJ0b3AiLDk5OTk5OTk5OTk5OTk5OTk5OTk5LCIyMDI2LTAxLTAxVDAwOjAwOjAwIiwiMDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAwIl0",
    ],
)
async def test_bad_listing_parameters_are_clear_4xx(client: httpx.AsyncClient, query: str) -> None:
    response = await client.get(f"/api/v1/scenes?{query}")
    assert response.status_code in {400, 422}
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_cursor_from_one_sort_is_refused_by_another(client: httpx.AsyncClient) -> None:
    ada = await register(client)
    data = scene_file()
    await asyncio.gather(*(create_scene(client, ada, title=f"s{n}", data=data) for n in range(3)))
    cursor = (await client.get("/api/v1/scenes?sort=new&limit=1")).json()["next_cursor"]
    assert (await client.get(f"/api/v1/scenes?sort=top&cursor={cursor}")).status_code == 400


async def test_signed_out_pages_follow_edits_at_once(client: httpx.AsyncClient) -> None:
    ada = await register(client, username="ada")
    data = scene_file()
    await create_scene(client, ada, title="before", data=data)
    assert await titles(client, "/api/v1/scenes?sort=new") == ["before"]  # now cached for signed-out visitors
    await create_scene(client, ada, title="after", data=data)
    assert await titles(client, "/api/v1/scenes?sort=new") == ["after", "before"]
    await client.patch("/api/v1/users/me", json={"username": "countess"}, headers=bearer(ada))
    page = (await client.get("/api/v1/scenes?sort=new")).json()
    assert {item["author"]["username"] for item in page["items"]} == {"countess"}
