"""`particula bench api`, the report: targets, the Markdown tables, and the API block of docs/PERFORMANCE.md."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from particula.commands.bench import machine, replace_block
from particula.commands.bench_api_load import LoadResult, RoundTrip
from particula.commands.bench_api_seed import CounterCheck, SeedResult

START, END = "<!-- api-bench:start -->", "<!-- api-bench:end -->"


@dataclass(frozen=True)
class Target:
    text: str
    min_rate: float = 0.0
    max_p99_ms: float | None = None

    def met(self, rate: float, p99_ms: float) -> bool:
        return rate >= self.min_rate and (self.max_p99_ms is None or p99_ms < self.max_p99_ms)


SCENE = Target(">= 2,000 req/s, p99 < 50 ms", 2000.0, 50.0)
GALLERY = Target(">= 1,000 req/s", 1000.0)
LIKE = Target(">= 500 req/s, counters exact", 500.0)
INFO = Target("(no target)")


def load_table(results: dict[int, list[LoadResult]]) -> str:
    lines = [
        "| scenario | workers | req/s | p50 ms | p99 ms | non-2xx | socket errors | server CPU ms/req | target "
        "| result |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for workers, rows in results.items():
        for r in rows:
            lines.append(
                f"| {r.scenario} | {workers} | {r.requests_per_s:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | "
                f"{r.non_2xx} | {r.socket_errors} | {r.server_cpu_ms:.2f} | {r.target} | "
                f"{'pass' if r.passed else 'FAIL'} |"
            )
    return "\n".join(lines)


def round_trip_table(trips: list[RoundTrip]) -> str:
    lines = ["| operation | median µs | per second |", "|---|---|---|"]
    lines += [f"| {t.operation} | {t.median_us:.0f} | {t.per_s:,.0f} |" for t in trips]
    return "\n".join(lines)


def _notes(results: dict[int, list[LoadResult]], trips: list[RoundTrip], checks: list[CounterCheck]) -> list[str]:
    notes = [
        "The server's workers, PostgreSQL, Redis and wrk share the same 2 cores, so every figure includes "
        "the load generator's own CPU; a separate load machine would show more.",
        "Scene reads are spread uniformly over every public scene (ids in random order), signed out. "
        "The cold row starts with Redis emptied, so most reads are the first of their scene (a PostgreSQL "
        "read, then cached); one unrecorded sequential pass over every public scene then fills "
        "`cache:scene:{id}:meta` (5 min), as repeated reads do in real use, and the warm row is measured.",
        "Socket errors are requests wrk did not complete (its connect/read/write errors and 2 s timeouts). "
        "Non-2xx and socket errors both count as failed requests.",
        "Server CPU ms/req is the CPU time of the app processes, PostgreSQL and Redis during the run divided by "
        "the requests served; it depends less than req/s on other work on the machine.",
    ]
    floor = {t.operation: t.median_us for t in trips}
    for workers, rows in results.items():
        for r in rows:
            if r.scenario.startswith("GET /scenes") and "warm" in r.scenario and "Redis GET (600 B)" in floor:
                notes.append(
                    f"{workers} worker(s): a warm scene read used {r.server_cpu_ms:.2f} ms of server CPU (app, "
                    f"PostgreSQL, Redis) and wrk {r.wrk_cpu_ms:.2f} ms; its storage floor is one Redis round "
                    f"trip (a script: meta GET + view counting), about {floor['Redis GET (600 B)']:.0f} µs."
                )
    failed = [f"{r.scenario} ({w} worker(s))" for w, rows in results.items() for r in rows if not r.passed]
    notes.append("Missed: " + "; ".join(failed) + "." if failed else "Every row met its target.")
    exact = all(check.exact for check in checks) and bool(checks)
    detail = ", ".join(f"{c.scenes_off} scenes / {c.users_off} users off, {c.likes:,} likes" for c in checks)
    notes.append(f"Counters exact after the like runs: {'yes' if exact else 'no'} ({detail}).")
    return notes


def render(
    seeded: SeedResult,
    results: dict[int, list[LoadResult]],
    trips: list[RoundTrip],
    checks: list[CounterCheck],
    *,
    seconds: int,
) -> str:
    workers = ", ".join(str(w) for w in results)
    notes = "\n".join(f"- {note}" for note in _notes(results, trips, checks))
    return (
        f"Measured {datetime.date.today().isoformat()} with `particula bench api` on {machine()}; "
        f"`particula serve --workers N` (N = {workers}) on the embedded PostgreSQL 16, Redis and file store; "
        f"load from `wrk -t1 -c64 -d{seconds}s --latency` in its own process, one run per row.\n\n"
        f"Data: {seeded.users:,} users, {seeded.scenes:,} scenes ({seeded.public_scenes:,} public), "
        f"{seeded.likes:,} likes; seeded in {seeded.seconds:.1f} s (set-based SQL, counters set from the rows, "
        f"then VACUUM ANALYZE).\n\n"
        f"{load_table(results)}\n\n"
        "Storage floor, measured in the same run: one connection, sequential, over the same unix sockets "
        "the server uses.\n\n"
        f"{round_trip_table(trips)}\n\n{notes}"
    )


def write(report: Path, body: str) -> None:
    """Replace the API block of the report (between the api-bench markers); append it if missing."""
    replace_block(report, markers=(START, END), heading="API", body=body)
