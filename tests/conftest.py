"""Real services for every test: embedded PostgreSQL (migrated once), embedded Redis, and an S3 server (moto)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from particula.app import create_app
from particula.config import Settings
from particula.db import migrate
from particula.embedded import EmbeddedPostgres, EmbeddedRedis
from particula.runtime import Runtime

TEMPLATE_DATABASE = "particula_template"


def database_url_for(base_url: str, name: str) -> str:
    return urlunsplit(urlsplit(base_url)._replace(path=f"/{name}"))


def asyncpg_dsn(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    query = dict(item.split("=", 1) for item in parts.query.split("&") if item)
    return {"user": parts.username or "postgres", "database": parts.path.lstrip("/"), "host": query["host"]}


@dataclass(frozen=True)
class Services:
    postgres_url: str  # the embedded server's `postgres` maintenance database
    template_url: str
    redis_url: str
    s3_endpoint: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start_s3_server() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(endpoint, timeout=1)
            return process, endpoint
        except httpx.HTTPError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("the moto S3 server did not start") from None
            time.sleep(0.1)


@pytest.fixture(scope="session")
def services() -> Iterator[Services]:
    # Not under pytest's basetemp: a concurrent pytest run prunes old basetemps, live databases included.
    root = Path(tempfile.mkdtemp(prefix="particula-test-"))
    postgres = EmbeddedPostgres(root)
    redis = EmbeddedRedis(root)
    s3_process, s3_endpoint = _start_s3_server()
    try:
        app_url = postgres.start()
        template_url = database_url_for(app_url, TEMPLATE_DATABASE)
        postgres._server.psql(f"CREATE DATABASE {TEMPLATE_DATABASE};")
        migrate.upgrade(template_url)
        yield Services(
            postgres_url=database_url_for(app_url, "postgres"),
            template_url=template_url,
            redis_url=redis.start(),
            s3_endpoint=s3_endpoint,
        )
    finally:
        s3_process.terminate()
        s3_process.wait(timeout=10)
        redis.stop()
        postgres.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
async def database_url(services: Services) -> AsyncIterator[str]:
    """A fresh database cloned from the migrated template: each test starts from an empty, current schema."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(**asyncpg_dsn(services.postgres_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE {TEMPLATE_DATABASE} STRATEGY FILE_COPY')
        yield database_url_for(services.postgres_url, name)
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def redis_url(services: Services) -> str:
    """The embedded Redis, emptied before each test."""
    from redis.asyncio import Redis

    client = Redis.from_url(services.redis_url)
    await client.flushall()
    await client.aclose()
    return services.redis_url


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", secret_key="test-secret-key-" + "x" * 32, rate_limits="off")


@pytest.fixture
def s3_settings(settings: Settings, services: Services) -> Settings:
    """Settings that put objects on the S3 server, whose state starts empty for each test."""
    httpx.post(f"{services.s3_endpoint}/moto-api/reset", timeout=10).raise_for_status()
    return settings.model_copy(
        update={
            "s3_endpoint": services.s3_endpoint,
            "s3_access_key": "testing",
            "s3_secret_key": "testing",
        }
    )


@pytest.fixture
async def app(settings: Settings, database_url: str, redis_url: str) -> AsyncIterator[FastAPI]:
    application = create_app(settings, database_url=database_url, redis_url=redis_url)
    async with application.router.lifespan_context(application):
        await application.state.runtime.store.ensure_buckets()
        yield application


@pytest.fixture
def runtime(app: FastAPI) -> Runtime:
    result: Runtime = app.state.runtime
    return result


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://particula.test") as http:
        yield http


@pytest.fixture
async def s3_client(s3_settings: Settings, database_url: str, redis_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app whose objects live on the S3 server."""
    application = create_app(s3_settings, database_url=database_url, redis_url=redis_url)
    async with application.router.lifespan_context(application):
        await application.state.runtime.store.ensure_buckets()
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://particula.test") as http:
            yield http
