"""What a client sees of the app itself: probes, the API document, problem+json errors, body limits."""

from __future__ import annotations

import httpx

from particula.app import create_app
from particula.config import Settings


async def test_healthz_and_readyz_report_every_component(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "components": {"database": "ok", "redis": "ok", "storage": "ok"},
    }


async def test_readyz_is_503_and_names_the_component_that_is_down(
    settings: Settings, database_url: str, tmp_path: object
) -> None:
    app = create_app(settings, database_url=database_url, redis_url="unix:///nonexistent/redis.sock")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://particula.test") as client:
            response = await client.get("/readyz")
    assert response.status_code == 503
    components = response.json()["components"]
    assert components["database"] == "ok"
    assert components["storage"] == "ok"
    assert components["redis"].startswith("error:")


async def test_openapi_document_and_docs_are_served(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    assert document["info"]["title"] == "Particula"
    assert "/readyz" in document["paths"]
    assert (await client.get("/docs")).status_code == 200


async def test_unknown_path_is_problem_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "https://particula.app/problems/not-found"
    assert body["status"] == 404
    assert body["instance"] == "/api/v1/nothing-here"


async def test_json_body_over_one_mebibyte_is_413(client: httpx.AsyncClient) -> None:
    big = b'{"a": "' + b"x" * (1024 * 1024) + b'"}'
    response = await client.post("/api/v1/healthz", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


async def test_chunked_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b"x" * 65536

    response = await client.post("/api/v1/auth/login", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413  # read by a real handler, cut off while streaming (no Content-Length)


async def test_landing_page_links_to_the_api_docs(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert 'href="/docs"' in response.text
