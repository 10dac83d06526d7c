"""`particula bench api`, the moving parts: the server process, wrk runs and their output, storage round trips."""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from redis.asyncio import Redis

from particula.commands.bench_api_seed import Database, postmaster_fields
from particula.embedded import redis_socket_path

SECRET_KEY = "bench-api-secret-key-not-for-production-0123456789"  # noqa: S105 (a throwaway server)
_URL_LINE = re.compile(r"running at (http://\S+)")


class BenchError(RuntimeError):
    """The benchmark could not run (server did not start, wrk missing or failed)."""


@dataclass
class Server:
    """A real `particula serve` on a loopback port, in its own process group, logging to a file."""

    data_dir: Path
    workers: int
    process: subprocess.Popen[bytes] | None = None
    url: str = ""

    def pids(self) -> list[int]:
        """The serve process (its workers and Redis are its children) and the embedded PostgreSQL."""
        postmaster = int(postmaster_fields(self.data_dir)[0])
        return [self.process.pid, postmaster] if self.process is not None else [postmaster]

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / f"serve-{self.workers}.log"

    def start(self, timeout: float = 120.0) -> None:
        env = {
            **os.environ,
            "PARTICULA_DATA_DIR": str(self.data_dir),
            "PARTICULA_RATE_LIMITS": "off",
            "PARTICULA_ACCESS_LOG": "false",  # a proxy would keep these; here they only cost CPU
            "PARTICULA_SECRET_KEY": SECRET_KEY,
        }
        for name in ("PARTICULA_DATABASE_URL", "PARTICULA_REDIS_URL", "PARTICULA_S3_ENDPOINT", "PARTICULA_WORKERS"):
            env.pop(name, None)  # always the embedded services of the fresh data dir
        command = [sys.executable, "-m", "particula.cli", "serve", "--host", "127.0.0.1", "--port", "0"]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and CLI)
                [*command, "--workers", str(self.workers)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.url = self._wait_for_url(timeout)
        self._wait_ready(timeout)

    def _wait_for_url(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = _URL_LINE.search(self.log_path.read_text(errors="replace"))
            if found:
                return found.group(1)
            if self.process is not None and self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise BenchError(f"particula serve did not start; see {self.log_path}:\n{self._log_tail()}")

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise BenchError(f"{self.url}/readyz never answered 200:\n{self._log_tail()}")

    def _log_tail(self) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-20:])

    def stop(self) -> None:
        """SIGTERM and wait for the graceful stop (embedded PostgreSQL and Redis go with it); kill if it hangs."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@dataclass(frozen=True)
class LoadResult:
    scenario: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int
    target: str
    passed: bool
    server_cpu_ms: float  # CPU time of the app processes, PostgreSQL and Redis, per request
    wrk_cpu_ms: float  # the load generator's own CPU time, per request


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _latency_ms(output: str, percentile: str) -> float:
    found = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
    if not found:
        raise BenchError(f"no {percentile}% latency in wrk's output:\n{output}")
    return float(found.group(1)) * _UNITS_MS[found.group(2)]


def parse_wrk(output: str) -> tuple[float, float, float, int, int, int]:
    """requests/s, p50 ms, p99 ms, requests, non-2xx/3xx responses and socket errors from `wrk --latency`."""
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    if not rate or not total:
        raise BenchError(f"cannot read wrk's output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    socket_errors = sum(int(n) for n in errors.groups()) if errors else 0
    return (
        float(rate.group(1)),
        _latency_ms(output, "50"),
        _latency_ms(output, "99"),
        int(total.group(1)),
        int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors,
    )


def run_wrk(url: str, script: Path, args: list[str], *, seconds: int, connections: int = 64) -> str:
    """wrk's full output for one run (a separate process: the load never shares the server's interpreter)."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url, "--", *args]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)  # noqa: S603
    except FileNotFoundError:
        raise BenchError("wrk is not installed (Debian: apt-get install wrk)") from None
    if done.returncode != 0:
        raise BenchError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def _parents() -> dict[int, int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited while we looked
        parents[int(stat.parent.name)] = int(fields[1])
    return parents


def cpu_seconds(roots: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each process in the trees under `roots` (Linux /proc)."""
    parents = _parents()
    tree, grew = set(roots), True
    while grew:
        children = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= children
        grew = bool(children)
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in tree:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return used


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


@dataclass(frozen=True)
class RoundTrip:
    operation: str
    median_us: float
    per_s: float


async def _time_calls(operation: str, call: Callable[[], Awaitable[object]], count: int) -> RoundTrip:
    for _ in range(min(100, count)):
        await call()  # warm: connection, prepared statement, caches
    samples: list[float] = []
    started = time.perf_counter()
    for _ in range(count):
        before = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - before)
    elapsed = time.perf_counter() - started
    return RoundTrip(operation, statistics.median(samples) * 1e6, count / elapsed)


def _embedded_redis(data_dir: Path) -> Redis:
    """A client for the embedded Redis of a data dir (on its unix socket)."""
    return Redis(unix_socket_path=str(redis_socket_path(data_dir)))


async def storage_round_trips(database: Database, data_dir: Path, scene_ids: list[str], count: int) -> list[RoundTrip]:
    """Sequential round trips on one connection each: the floor under every HTTP request."""

    rng = random.Random(7)
    connection = await database.connect()
    try:
        lookup = "SELECT * FROM scenes WHERE id = $1"
        results = [
            await _time_calls("PostgreSQL SELECT 1", lambda: connection.fetchval("SELECT 1"), count),
            await _time_calls(
                "PostgreSQL scene by primary key",
                lambda: connection.fetchrow(lookup, uuid.UUID(rng.choice(scene_ids))),
                count,
            ),
        ]
    finally:
        await connection.close()
    redis = _embedded_redis(data_dir)
    try:
        await redis.set("bench:key", b"x" * 600)  # about one cached scene's JSON
        results.append(await _time_calls("Redis PING", redis.ping, count))
        results.append(await _time_calls("Redis GET (600 B)", lambda: redis.get("bench:key"), count))
        await redis.delete("bench:key")
    finally:
        await redis.aclose()
    return results


def forget_cached_scenes(data_dir: Path) -> None:
    """Empty the server's Redis (scene and gallery caches), so the next reads start cold."""

    async def flush() -> None:
        client = _embedded_redis(data_dir)
        try:
            await client.flushdb()
        finally:
            await client.aclose()

    asyncio.run(flush())
