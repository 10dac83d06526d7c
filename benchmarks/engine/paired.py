"""Two revisions of the engine timed in one process, in turns: the before/after figures of docs/PERFORMANCE.md.

The machine is shared, and the host's load moves single runs of the same code by 10% or more between minutes
(C has read 4.1 and 6.5 ms/tick on one day). Timing both versions in the same process, ten ticks of one and then
ten of the other, cancels most of it: each round builds the scene in both and compares the medians of the same 100
ticks. Each revision's `src/particula` is exported with `git archive` and renamed (`particula_x`, `particula_y`)
so that both import side by side; each compiles its kernels into a fresh cache (~25 s each). The same code under
the two names does not run at quite the same speed (the names move the compiled code around: ~3% on C in one
null run), so the comparison runs twice, the names swapped, and reports the geometric mean of the two.

    .venv/bin/python benchmarks/engine/paired.py BEFORE AFTER [--scene c] [--rounds 6] [--size 800x600] [--no-sleep]
                                                 [--from-tick N]

`--from-tick N` times one tick instead of a run: the tick after N, again and again from the same saved state (the
planes, the chunk map and the tick are put back before each). The bench's median of C is decided by its later
ticks, whose mix (settled sand, rising steam) differs from the first ones; and a fixed state leaves out the noise of a
run's changing work.

BEFORE and AFTER are git revisions (`WORKTREE` for the files as they are).
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from typing import Any

NAMES = ("particula_x", "particula_y")
REPO = pathlib.Path(__file__).resolve().parents[2]


def export(revision: str, name: str, root: pathlib.Path) -> None:
    """The engine package of `revision` as package `name` under root."""
    target = root / name
    if revision == "WORKTREE":
        shutil.copytree(REPO / "src" / "particula", target, ignore=shutil.ignore_patterns("__pycache__"))
    else:
        git = subprocess.run(["git", "-C", str(REPO), "archive", revision, "src/particula"], capture_output=True)
        if git.returncode != 0:
            raise SystemExit(f"paired.py: cannot export {revision!r}: {git.stderr.decode().strip()}")
        archive = git.stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(root / revision, filter="data")
        (root / revision / "src" / "particula").rename(target)
    for path in target.rglob("*.py"):
        path.write_text(re.sub(r"\bparticula\b", name, path.read_text()))


class Saved:
    """A world's state as it was, to put back before each timed tick (`--from-tick`). The stepper's stamps are not
    part of it: a stamp counts only in the pass that wrote it."""

    def __init__(self, state: Any, no_sleep: bool) -> None:
        self.planes = {name: plane.copy() for name, plane in state.planes.items()}
        self.awake, self.tick = state.chunk_awake.copy(), state.tick
        if no_sleep:
            self.awake[...] = 1

    def restore(self, state: Any) -> None:
        for name, plane in self.planes.items():
            state.planes[name][...] = plane
        state.chunk_awake[...] = self.awake
        state.tick = self.tick


def compare(
    names: list[str],
    scene: str,
    rounds: int,
    size: tuple[int, int],
    no_sleep: bool,
    from_tick: int | None,
    ticks: int = 100,
) -> None:
    """Time the engines `names` (before, after) on `scene` in turns; print the rounds and the median ratio, the
    last line being that ratio alone. `no_sleep` wakes every chunk before each tick (the bench's "B, no
    sleeping"); `from_tick`, when given, times the tick after that many again and again (Saved)."""
    builds = [getattr(importlib.import_module(f"{name}.commands.bench"), f"scene_{scene}") for name in names]
    ratios = []
    for number in range(1, rounds + 1):
        worlds = [build(*size) for build in builds]
        for world in worlds:
            world.step()  # compile or load the kernels outside the measurement
        saved = []
        if from_tick is not None:
            for world in worlds:
                world.step(from_tick - 1)
            saved = [Saved(world.state, no_sleep) for world in worlds]
        samples: list[list[float]] = [[], []]
        for block in range(ticks // 10):
            for k in (0, 1) if block % 2 == 0 else (1, 0):
                for _ in range(10):
                    if saved:
                        saved[k].restore(worlds[k].state)
                    elif no_sleep:
                        worlds[k].state.chunk_awake[...] = 1
                    start = time.perf_counter()
                    worlds[k].step()
                    samples[k].append(time.perf_counter() - start)
        before, after = (statistics.median(s) * 1000.0 for s in samples)
        ratios.append(after / before)
        print(f"round {number}: before {before:.3f} ms/tick, after {after:.3f} ms/tick, after/before {ratios[-1]:.4f}")
    print(f"after/before, median of {rounds} rounds: {statistics.median(ratios):.4f}")
    print(statistics.median(ratios))


def world_size(text: str) -> str:
    """--size: WIDTHxHEIGHT, both positive (kept as text, as the child process is given it again)."""
    width, _, height = text.partition("x")
    if not (width.isdigit() and height.isdigit() and int(width) > 0 and int(height) > 0):
        raise argparse.ArgumentTypeError(f"not WIDTHxHEIGHT: {text!r}")
    return text


def tick_number(text: str) -> int:
    """--from-tick: a number of ticks, 1 or more (the first tick also loads the kernels)."""
    if not (text.isdigit() and int(text) > 0):
        raise argparse.ArgumentTypeError(f"not a number of ticks, 1 or more: {text!r}")
    return int(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--scene", default="c", choices=("a", "b", "c", "e"))
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--size", default="800x600", type=world_size, help="the world's size, WIDTHxHEIGHT")
    parser.add_argument("--no-sleep", action="store_true", help="wake every chunk before each tick")
    parser.add_argument("--from-tick", type=tick_number, metavar="N", help="time the tick after N, again and again")
    # The child process: the directory to import from and the names of before and after.
    parser.add_argument("--compare-in", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.compare_in:
        sys.path.insert(0, args.compare_in[0])
        width, height = (int(n) for n in args.size.split("x"))
        compare(args.compare_in[1:], args.scene, args.rounds, (width, height), args.no_sleep, args.from_tick)
        return 0
    ratios = []
    for names in (NAMES, NAMES[::-1]):
        with tempfile.TemporaryDirectory() as tmp:
            root = pathlib.Path(tmp)
            for revision, name in zip((args.before, args.after), names, strict=True):
                export(revision, name, root)
            env = dict(os.environ, NUMBA_CACHE_DIR=str(root / "cache"))
            command = [sys.executable, __file__, args.before, args.after, "--scene", args.scene]
            command += ["--rounds", str(args.rounds), "--size", args.size, *(["--no-sleep"] if args.no_sleep else [])]
            command += [] if args.from_tick is None else ["--from-tick", str(args.from_tick)]
            command += ["--compare-in", str(root), *names]
            print(f"before as {names[0]}, after as {names[1]}:", flush=True)
            result = subprocess.run(command, env=env, check=False, capture_output=True, text=True)
            if result.returncode != 0:  # an export that does not build or import: show why
                print(result.stdout + result.stderr, file=sys.stderr)
                return result.returncode
            out = result.stdout.splitlines()
            print("\n".join(out[:-1]), flush=True)
            ratios.append(float(out[-1]))
    what = f"scene {args.scene.upper()}{', no sleeping' if args.no_sleep else ''}, {args.size}"
    what += "" if args.from_tick is None else f", the tick after {args.from_tick}"
    print(f"{what}, after/before, both namings: {(ratios[0] * ratios[1]) ** 0.5:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
