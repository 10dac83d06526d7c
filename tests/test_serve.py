"""The real `particula serve` process, over a socket: start, readiness, restart with the same data, bad input."""

from __future__ import annotations

import asyncio
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

pytestmark = pytest.mark.slow

URL_LINE = re.compile(r"running at (http://\S+)")


class Server:
    def __init__(self, process: subprocess.Popen[str], url: str) -> None:
        self.process = process
        self.url = url

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        code = self.process.wait(timeout=30)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return code


def particula(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "particula.cli", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_url(process: subprocess.Popen[str], timeout: float = 90) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.5)
        if ready:
            line = process.stdout.readline()
            seen.append(line)
            if match := URL_LINE.search(line):
                return match.group(1)
        if process.poll() is not None:
            break
    process.kill()
    raise AssertionError("particula serve did not start:\n" + "".join(seen))


@pytest.fixture
def start(tmp_path: Path) -> Iterator[object]:
    started: list[Server] = []

    def _start(data_dir: Path, **env: str) -> Server:
        process = particula("serve", "--port", "0", env={"PARTICULA_DATA_DIR": str(data_dir), **env})
        server = Server(process, wait_for_url(process))
        started.append(server)
        return server

    yield _start
    for server in started:
        if server.process.poll() is None:
            server.stop()


def run_to_end(*args: str, env: dict[str, str], timeout: float = 60) -> tuple[int, str]:
    process = particula(*args, env=env)
    output, _ = process.communicate(timeout=timeout)
    return process.returncode, output


def embedded_sql(data_dir: Path, query: str) -> object:
    """Run one statement on the embedded PostgreSQL of a running server, through its unix socket."""

    host = str(data_dir.resolve() / "postgres")

    async def run() -> object:
        connection = await asyncpg.connect(host=host, user="postgres", database="particula")
        try:
            return await connection.fetchval(query)
        finally:
            await connection.close()

    return asyncio.run(run())


def test_serve_is_ready_then_stops_cleanly_and_keeps_its_data(start, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data_dir = tmp_path / "data"
    server = start(data_dir)
    response = httpx.get(f"{server.url}/readyz", timeout=10)
    assert response.status_code == 200
    assert set(response.json()["components"].values()) == {"ok"}

    # Write something through the embedded PostgreSQL, stop with SIGTERM, start again, find it there.
    embedded_sql(data_dir, "INSERT INTO users (email, username) VALUES ('ada@example.com', 'ada')")
    assert server.stop() == 0
    leftovers = subprocess.run(["pgrep", "-f", str(data_dir.resolve())], capture_output=True, text=True).stdout
    assert leftovers == ""  # embedded PostgreSQL and Redis stopped with it

    again = start(data_dir)
    assert httpx.get(f"{again.url}/readyz", timeout=10).status_code == 200
    assert embedded_sql(data_dir, "SELECT username FROM users") == "ada"
    assert again.stop(signal.SIGINT) == 0


def test_second_serve_on_a_data_dir_in_use_is_refused(start, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data_dir = tmp_path / "data"
    first = start(data_dir)
    code, output = run_to_end("serve", "--port", "0", env={"PARTICULA_DATA_DIR": str(data_dir)})
    assert code == 1
    assert "is in use" in output
    assert "Traceback" not in output
    assert httpx.get(f"{first.url}/readyz", timeout=10).status_code == 200  # the first one is unharmed


def test_port_in_use_is_a_clear_message(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, output = run_to_end("serve", "--port", str(port), env={"PARTICULA_DATA_DIR": str(tmp_path / "d")})
    assert code == 1
    assert f"port {port} on 127.0.0.1 is already in use" in output
    assert "Traceback" not in output


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PARTICULA_DATABASE_URL": "mysql://nope"}, "PARTICULA_DATABASE_URL"),
        ({"PARTICULA_REDIS_URL": "http://localhost"}, "PARTICULA_REDIS_URL"),
        ({"PARTICULA_PORT": "not-a-port"}, "PARTICULA_PORT"),
        ({"PARTICULA_RATE_LIMITS": "auth.login=lots"}, "PARTICULA_RATE_LIMITS"),
    ],
)
def test_malformed_configuration_is_one_clear_line(tmp_path: Path, env: dict[str, str], message: str) -> None:
    code, output = run_to_end("serve", env={"PARTICULA_DATA_DIR": str(tmp_path / "d"), **env})
    assert code == 1
    assert message in output
    assert "Traceback" not in output


def test_unreachable_external_services_are_named(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]  # closed again: nothing listens there
    env = {
        "PARTICULA_DATA_DIR": str(tmp_path / "d"),
        "PARTICULA_DATABASE_URL": f"postgresql://u:p@127.0.0.1:{dead_port}/db",
        "PARTICULA_REDIS_URL": f"redis://127.0.0.1:{dead_port}/0",
    }
    code, output = run_to_end("serve", "--port", "0", env=env)
    assert code == 1
    assert "PARTICULA_DATABASE_URL: cannot reach database at 127.0.0.1" in output
    assert "Traceback" not in output


def test_unwritable_data_dir_is_a_clear_message(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    code, output = run_to_end("serve", env={"PARTICULA_DATA_DIR": str(blocker / "data")})
    assert code == 1
    assert "is not writable" in output
    assert "Traceback" not in output


def test_db_upgrade_migrates_the_configured_database(services, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, output = run_to_end("db", "upgrade", env={"PARTICULA_DATABASE_URL": services.template_url})
    assert code == 0, output
    assert "newest schema" in output


def test_external_services_are_used_and_nothing_embedded_starts(start, services, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data_dir = tmp_path / "data"
    httpx.post(f"{services.s3_endpoint}/moto-api/reset", timeout=10).raise_for_status()
    server = start(
        data_dir,
        PARTICULA_DATABASE_URL=services.template_url,
        PARTICULA_REDIS_URL=services.redis_url,
        PARTICULA_S3_ENDPOINT=services.s3_endpoint,
        PARTICULA_S3_ACCESS_KEY="testing",
        PARTICULA_S3_SECRET_KEY="testing",
        PARTICULA_SECRET_KEY="an-operator-secret-" + "k" * 32,
    )
    assert httpx.get(f"{server.url}/readyz", timeout=10).json()["components"] == {
        "database": "ok",
        "redis": "ok",
        "storage": "ok",
    }
    assert not (data_dir / "postgres").exists()
    assert not (data_dir / "redis").exists()
    listing = httpx.get(services.s3_endpoint, timeout=10).text  # ListBuckets
    assert "<Name>scenes</Name>" in listing
    assert "<Name>avatars</Name>" in listing


def test_several_workers_share_the_port_and_stop_together(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    process = particula("serve", "--port", "0", "--workers", "2", env={"PARTICULA_DATA_DIR": str(data_dir)})
    server = Server(process, wait_for_url(process))
    try:
        deadline = time.monotonic() + 60
        while httpx.get(f"{server.url}/readyz", timeout=10).status_code != 200:  # workers may still be starting
            assert time.monotonic() < deadline
            time.sleep(0.2)
        statuses = {httpx.get(f"{server.url}/api/v1/elements", timeout=10).status_code for _ in range(20)}
        assert statuses == {200}
    finally:
        assert server.stop() == 0
    leftovers = subprocess.run(["pgrep", "-f", str(data_dir.resolve())], capture_output=True, text=True).stdout
    assert leftovers == ""
