"""`particula serve`: lock the data dir, start or reach the services, migrate, then serve until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import signal
import socket
import sys
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

import uvicorn
from uvicorn.supervisors import Multiprocess

from particula.config import Settings
from particula.db import migrate
from particula.embedded import EmbeddedRedis, data_dir_lock, prepare_data_dir, running_postgres


class StartupError(RuntimeError):
    """Particula cannot start; the message is one line that says which part and why."""


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise StartupError(f"port {port} on {host} is already in use; set PARTICULA_PORT or --port") from None
        raise StartupError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _where(url: str) -> str:
    parts = urlsplit(url)
    return parts.hostname or (parts.query or parts.path)


async def _verify_services(settings: Settings, database_url: str, redis_url: str) -> None:
    """Reach every external service once, so a bad URL fails start-up with one clear line."""
    from particula.runtime import open_runtime

    runtime = open_runtime(settings, database_url=database_url, redis_url=redis_url)
    try:
        components = await runtime.readiness(storage=False)  # the object store is checked below, after ensure_buckets
        for name, variable, url in (
            ("database", "PARTICULA_DATABASE_URL", database_url),
            ("redis", "PARTICULA_REDIS_URL", redis_url),
        ):
            if components[name] != "ok":
                raise StartupError(f"{variable}: cannot reach {name} at {_where(url)} ({components[name]})")
        try:
            await runtime.store.ensure_buckets()
            await runtime.store.check()
        except Exception as error:
            raise StartupError(f"PARTICULA_S3_ENDPOINT: object store not usable ({error})") from None
    finally:
        await runtime.close()


def _stop_on_sigterm() -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def serve(settings: Settings, *, host: str, port: int, workers: int = 1) -> None:
    """Run Particula until Ctrl-C or SIGTERM; raises StartupError for anything that stops it starting."""
    _stop_on_sigterm()  # before uvicorn takes over signals, SIGTERM unwinds and stops what we started
    with contextlib.ExitStack() as stack:
        data_dir = prepare_data_dir(Path(settings.data_dir))
        settings.data_dir = data_dir
        needs_lock = settings.uses_embedded_database or settings.uses_embedded_redis or not settings.uses_s3
        if needs_lock:
            stack.enter_context(data_dir_lock(data_dir))
        sock = stack.enter_context(bind_socket(host, port))
        database_url = settings.database_url
        if database_url is None:
            database_url = stack.enter_context(running_postgres(data_dir))
        redis_url = settings.redis_url
        if redis_url is None:
            redis = EmbeddedRedis(data_dir)
            redis_url = redis.start()
            stack.callback(redis.stop)
        asyncio.run(_verify_services(settings, database_url, redis_url))
        try:
            migrate.upgrade(database_url)
        except Exception as error:
            raise StartupError(f"database migration failed: {error}") from None
        _run_app(settings, sock, database_url=database_url, redis_url=redis_url, workers=workers)


def _run_app(settings: Settings, sock: socket.socket, *, database_url: str, redis_url: str, workers: int) -> None:
    options: dict[str, object] = {
        "log_level": "info",
        "proxy_headers": False,  # X-Forwarded-* is read by our own code, and only from trusted proxies
        "server_header": False,
        "access_log": settings.access_log,
    }
    if workers > 1:
        # Workers are fresh processes: they rebuild the app from the environment, so hand it the resolved
        # services and the signing key (one key for all, not one generated per worker).
        os.environ.update(
            PARTICULA_DATABASE_URL=database_url,
            PARTICULA_REDIS_URL=redis_url,
            PARTICULA_DATA_DIR=str(settings.data_dir),
            PARTICULA_SECRET_KEY=settings.resolved_secret_key(),
        )
        config = uvicorn.Config("particula.app:app_from_environment", factory=True, workers=workers, **options)  # type: ignore[arg-type]
    else:
        from particula.app import create_app

        app = create_app(settings, database_url=database_url, redis_url=redis_url)
        config = uvicorn.Config(app, **options)  # type: ignore[arg-type]
    bound_host, bound_port = sock.getsockname()[:2]
    shown_host = f"[{bound_host}]" if ":" in bound_host else bound_host
    print(f"Particula is running at http://{shown_host}:{bound_port}  (Ctrl-C to stop)", flush=True)
    # uvicorn re-raises the stop signal after its graceful shutdown: stopping is what was asked, not an error.
    with contextlib.suppress(KeyboardInterrupt):
        if workers > 1:
            Multiprocess(config, sockets=[sock]).run()
        else:
            uvicorn.Server(config).run(sockets=[sock])
    print("Particula stopped.", file=sys.stderr, flush=True)
