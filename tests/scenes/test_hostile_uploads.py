"""Bad scene uploads: each a clear 4xx problem+json, and nothing stored."""

from __future__ import annotations

import json
import struct

import asyncpg
import httpx
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from particula.runtime import Runtime
from tests.conftest import asyncpg_dsn
from tests.factories import bearer, register, scene_file


async def upload(client: httpx.AsyncClient, owner: dict[str, object], meta: object, data: bytes) -> httpx.Response:
    files = {"meta": (None, meta if isinstance(meta, str) else json.dumps(meta)), "data": ("data.bin", data)}
    return await client.post("/api/v1/scenes", files=files, headers=bearer(owner))  # type: ignore[arg-type]


async def nothing_stored(runtime: Runtime, database_url: str) -> bool:
    connection = await asyncpg.connect(**asyncpg_dsn(database_url))
    try:
        rows = await connection.fetchval("SELECT count(*) FROM scenes")
        total = await connection.fetchval("SELECT coalesce(sum(total_scenes), 0) FROM users")
    finally:
        await connection.close()
    objects = await runtime.store.delete_prefix("scenes", "")
    return rows == 0 and total == 0 and objects == 0


def bomb() -> bytes:
    """A valid-looking file whose zstd frame would expand to gigabytes."""
    good = scene_file(16, 16)
    header = bytearray(good[:68])
    frame = zstandard.ZstdCompressor(level=19).compress(b"\x00" * (64 * 1024 * 1024))
    struct.pack_into("<I", header, 12, 1600)  # claims the largest world
    return bytes(header) + frame


@pytest.fixture
async def ada(client: httpx.AsyncClient) -> dict[str, object]:
    return await register(client)


@pytest.mark.parametrize(
    ("meta", "data", "status", "slug"),
    [
        ({"title": "ok"}, b"", 422, "bad-scene-file"),
        ({"title": "ok"}, b"garbage garbage garbage", 422, "bad-scene-file"),
        ({"title": "ok"}, scene_file()[:-10], 422, "bad-scene-file"),
        ({"title": "ok"}, scene_file() + b"trailing", 422, "bad-scene-file"),
        ({"title": "ok"}, bomb(), 422, "bad-scene-file"),
        ({"title": "ok"}, b"\x00" * (8 * 1024 * 1024 + 1), 422, "bad-scene-file"),
        ({"title": ""}, scene_file(), 422, "validation-error"),
        ({"title": "x" * 101}, scene_file(), 422, "validation-error"),
        ({"title": "ok", "owner": "me"}, scene_file(), 422, "validation-error"),
        ({"title": "ok", "settings": {"blob": "x" * 4000}}, scene_file(), 422, "validation-error"),
        ("{not json", scene_file(), 422, "validation-error"),
        ("[]", scene_file(), 422, "validation-error"),
    ],
)
async def test_bad_uploads_are_refused_clearly_and_store_nothing(
    client: httpx.AsyncClient,
    runtime: Runtime,
    database_url: str,
    ada: dict[str, object],
    meta: object,
    data: bytes,
    status: int,
    slug: str,
) -> None:
    response = await upload(client, ada, meta, data)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith(slug)
    assert await nothing_stored(runtime, database_url)


async def test_an_oversize_request_is_413_before_it_is_read(client: httpx.AsyncClient, ada: dict[str, object]) -> None:
    response = await upload(client, ada, {"title": "huge"}, b"\x00" * (11 * 1024 * 1024))
    assert response.status_code == 413


async def test_a_missing_part_is_422(client: httpx.AsyncClient, ada: dict[str, object]) -> None:
    files = {"meta": (None, json.dumps({"title": "no data"}))}
    response = await client.post("/api/v1/scenes", files=files, headers=bearer(ada))  # type: ignore[arg-type]
    assert response.status_code == 422


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cut=st.integers(min_value=0, max_value=400),
    flip=st.integers(min_value=0, max_value=10_000),
    noise=st.binary(max_size=64),
)
async def test_mangled_files_never_get_stored_or_crash_the_server(
    client: httpx.AsyncClient, ada: dict[str, object], cut: int, flip: int, noise: bytes
) -> None:
    good = bytearray(scene_file(32, 24, seed=3))
    good[flip % len(good)] ^= 0x5A
    mangled = bytes(good[: len(good) - cut]) + noise
    response = await upload(client, ada, {"title": "fuzz"}, mangled)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
