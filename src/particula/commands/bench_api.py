"""`particula bench api`: seed a real server with 10k users, 100k scenes and 1M likes, then load it with wrk."""

from __future__ import annotations

import asyncio
import logging
import resource
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote_plus

import httpx

from particula.auth.tokens import issue_access_token
from particula.commands import bench_api_report as report_
from particula.commands.bench_api_load import (
    SECRET_KEY,
    BenchError,
    LoadResult,
    RoundTrip,
    Server,
    cpu_seconds,
    cpu_used,
    forget_cached_scenes,
    parse_wrk,
    run_wrk,
    storage_round_trips,
)
from particula.commands.bench_api_seed import (
    CounterCheck,
    Database,
    DataSize,
    SeedResult,
    check_counters,
    sample_ids,
    seed,
)

SCRIPTS = Path(__file__).resolve().parents[3] / "benchmarks" / "api"
SEARCHES = ("volcano", "frozen castle", "lava", "glowing reactor", "acid", "hourglass", "golden", "ice")


@dataclass(frozen=True)
class Plan:
    size: DataSize
    seconds: int  # per wrk run
    warmup_seconds: int
    workers: tuple[int, ...]
    round_trips: int
    likers: int  # distinct users whose tokens the like run uses
    cursor_pages: int


FULL = Plan(DataSize(10_000, 100_000, 1_000_000), 20, 60, (2, 1), 5000, 2000, 50)
QUICK = Plan(DataSize(100, 1_000, 10_000), 2, 1, (2,), 300, 50, 5)


@dataclass
class Outcome:
    seeded: SeedResult | None = None
    round_trips: list[RoundTrip] = field(default_factory=list)
    results: dict[int, list[LoadResult]] = field(default_factory=dict)  # by number of workers
    checks: list[CounterCheck] = field(default_factory=list)

    @property
    def counters_exact(self) -> bool:
        return bool(self.checks) and all(check.exact for check in self.checks)

    @property
    def failed_requests(self) -> int:
        return sum(r.non_2xx + r.socket_errors for rows in self.results.values() for r in rows)


@dataclass(frozen=True)
class Inputs:
    """The files wrk's scripts read: scene ids, gallery request paths, and (per like run) access tokens."""

    folder: Path
    likers: list[uuid.UUID]

    @property
    def ids(self) -> Path:
        return self.folder / "scene-ids.txt"

    @property
    def tokens(self) -> Path:
        return self.folder / "tokens.txt"

    def gallery(self, name: str) -> Path:
        return self.folder / f"gallery-{name}.txt"

    def mint_tokens(self) -> None:
        # Fresh for each like run: access tokens live 15 minutes.
        self.tokens.write_text("".join(issue_access_token(SECRET_KEY, user) + "\n" for user in self.likers))


def _gallery_paths(url: str, inputs: Inputs, pages: int) -> dict[str, Path]:
    """Write the request paths of each gallery row: the top page, pages 2.. by cursor, searches."""
    top = "/api/v1/scenes?sort=top&limit=24"
    cursors: list[str] = []
    with httpx.Client(base_url=url, timeout=30.0) as client:
        next_cursor = client.get(top).raise_for_status().json()["next_cursor"]
        while next_cursor and len(cursors) < pages:
            cursors.append(f"{top}&cursor={next_cursor}")
            next_cursor = client.get(cursors[-1]).raise_for_status().json()["next_cursor"]
    rows = {
        "top": [top],
        "cursor": cursors or [top],
        "search": [f"/api/v1/scenes?q={quote_plus(q)}&limit=24" for q in SEARCHES],
    }
    written = {}
    for name, paths in rows.items():
        written[name] = inputs.gallery(name)
        written[name].write_text("\n".join(paths) + "\n")
    return written


def _load(
    server: Server, script: str, args: list[Path], *, scenario: str, seconds: int, target: report_.Target
) -> LoadResult:
    before, wrk_before = cpu_seconds(server.pids()), _children_cpu()
    output = run_wrk(server.url, SCRIPTS / script, [str(arg) for arg in args] + ["42"], seconds=seconds)
    server_cpu, wrk_cpu = cpu_used(before, cpu_seconds(server.pids())), _children_cpu() - wrk_before
    rate, p50, p99, requests, non_2xx, socket_errors = parse_wrk(output)
    passed = target.met(rate, p99) and non_2xx == 0 and socket_errors == 0
    per_request = 1000.0 / max(requests, 1)
    return LoadResult(
        scenario, rate, p50, p99, requests, non_2xx, socket_errors, target.text, passed,
        server_cpu_ms=server_cpu * per_request, wrk_cpu_ms=wrk_cpu * per_request,
    )  # fmt: skip


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk, once subprocess.run has reaped it
    return usage.ru_utime + usage.ru_stime


def _scenarios(server: Server, inputs: Inputs, plan: Plan, outcome: Outcome) -> list[LoadResult]:
    """Every row for one server: reads first (the meta cache warms), then likes, then the counter check."""
    gallery = _gallery_paths(server.url, inputs, plan.cursor_pages)
    forget_cached_scenes(server.data_dir)
    # Cold: most reads are the first of their scene (a database read); then one pass over every public scene
    # fills the cache, as repeated reads of the same scenes do in real use, and the target row is measured.
    cold = _load(server, "scene.lua", [inputs.ids], scenario="GET /scenes/{id}, first reads (cache cold)",
                 seconds=plan.seconds, target=report_.INFO)  # fmt: skip
    run_wrk(server.url, SCRIPTS / "scene_each.lua", [str(inputs.ids)], seconds=plan.warmup_seconds)  # not recorded
    reads = (
        ("GET /scenes/{id}, cache warm", "scene.lua", [inputs.ids], report_.SCENE),
        ("gallery sort=top, first page", "gallery.lua", [gallery["top"]], report_.GALLERY),
        ("gallery sort=top, cursor pages 2+", "gallery.lua", [gallery["cursor"]], report_.INFO),
        ("gallery q= (full-text)", "gallery.lua", [gallery["search"]], report_.INFO),
    )
    rows = [cold] + [
        _load(server, script, args, scenario=name, seconds=plan.seconds, target=target)
        for name, script, args, target in reads
    ]
    inputs.mint_tokens()
    like_args = [inputs.ids, inputs.tokens]
    rows.append(
        _load(server, "like.lua", like_args, scenario="like / unlike", seconds=plan.seconds, target=report_.LIKE)
    )
    outcome.checks.append(asyncio.run(check_counters(Database.of_data_dir(server.data_dir))))
    return rows


def _prepare_data(server: Server, plan: Plan, folder: Path, outcome: Outcome) -> Inputs:
    database = Database.of_data_dir(server.data_dir)
    print(f"seeding {plan.size.users:,} users, {plan.size.scenes:,} scenes, {plan.size.likes:,} likes ...", flush=True)
    outcome.seeded = asyncio.run(seed(database, plan.size))
    print(f"seeded in {outcome.seeded.seconds:.1f} s", flush=True)
    scene_ids, likers = asyncio.run(sample_ids(database, public_scenes=plan.size.scenes, users=plan.likers))
    inputs = Inputs(folder, likers)
    inputs.ids.write_text("\n".join(scene_ids) + "\n")
    outcome.round_trips = asyncio.run(storage_round_trips(database, server.data_dir, scene_ids, plan.round_trips))
    return inputs


def _run(plan: Plan, root: Path) -> Outcome:
    outcome = Outcome()
    server = Server(root / "data", workers=plan.workers[0])
    try:
        server.start()
        inputs = _prepare_data(server, plan, root, outcome)
        for number, workers in enumerate(plan.workers):
            if number:
                server.stop()
                server = Server(root / "data", workers=workers)
                server.start()
            print(f"loading {server.url} with {workers} worker(s) ...", flush=True)
            outcome.results[workers] = _scenarios(server, inputs, plan, outcome)
    finally:
        server.stop()
    return outcome


def run_api_bench(*, quick: bool, report: Path | None) -> int:
    """Seed, load, print the table; with `report`, rewrite the API block of PERFORMANCE.md.

    Returns 0, or 1 when a request failed (non-2xx or socket error) or the like counters drifted.
    Targets missed are reported in the table, not in the exit code: they are findings, not breakage.
    """
    if shutil.which("wrk") is None:
        print("particula bench api: wrk is not installed (Debian: apt-get install wrk)")
        return 2
    plan = QUICK if quick else FULL
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per set-up request
    root = Path(tempfile.mkdtemp(prefix="particula-bench-"))
    try:
        outcome = _run(plan, root)
    except BenchError as error:
        print(f"particula bench api: {error}")
        return 2
    finally:
        shutil.rmtree(root, ignore_errors=True)
    assert outcome.seeded is not None
    text = report_.render(outcome.seeded, outcome.results, outcome.round_trips, outcome.checks, seconds=plan.seconds)
    print(text)
    print(f"counters exact: {'yes' if outcome.counters_exact else 'no'}")
    if report is not None:
        report_.write(report, text)
    return 0 if outcome.counters_exact and outcome.failed_requests == 0 else 1
