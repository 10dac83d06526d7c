"""Same seed, same inputs, same ticks: the same state, in one process or another, saved or not."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from particula.engine import World
from particula.engine.stepper import Stepper

_SCRIPT = """
from particula.engine import World
w = World(48, 36, seed=99)
w.fill_rect(0, 20, 48, 36, "sand"); w.fill_rect(5, 0, 40, 8, "water"); w.paint(24, 18, 3, "fire")
w.fill_rect(30, 10, 40, 14, "oil"); w.fill_rect(0, 14, 10, 18, "gunpowder")
w.step(40); w.paint(10, 5, 2, "lava"); w.step(60)
print(w.state_hash())
"""


def _busy_world(seed: int = 99) -> World:
    world = World(48, 36, seed=seed)
    world.fill_rect(0, 20, 48, 36, "sand")
    world.fill_rect(5, 0, 40, 8, "water")
    world.paint(24, 18, 3, "fire")
    world.fill_rect(30, 10, 40, 14, "oil")
    world.fill_rect(0, 14, 10, 18, "gunpowder")
    return world


def _run(world: World) -> str:
    world.step(40)
    world.paint(10, 5, 2, "lava")
    world.step(60)
    return world.state_hash()


def test_same_seed_same_hash_and_another_seed_differs() -> None:
    assert _run(_busy_world()) == _run(_busy_world())
    assert _run(_busy_world()) != _run(_busy_world(seed=100))


def test_another_process_computes_the_same_hash() -> None:
    out = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == _run(_busy_world())


def test_saving_mid_run_and_continuing_equals_never_stopping() -> None:
    straight = _busy_world()
    straight.step(40)
    straight.paint(10, 5, 2, "lava")
    straight.step(60)
    saved = _busy_world()
    saved.step(40)
    resumed = World.from_bytes(saved.to_bytes())
    resumed.paint(10, 5, 2, "lava")
    resumed.step(60)
    assert resumed.state_hash() == straight.state_hash()
    assert resumed.tick == 100


def test_sleeping_chunks_do_not_change_the_outcome_of_a_settled_world() -> None:
    world = World(48, 48, seed=3)
    world.fill_rect(0, 30, 48, 48, "sand")
    world.step(5)
    before = world.state_hash()
    world.step(20)  # everything asleep: only the tick moves on
    assert np.array_equal(world.state.chunk_awake, np.zeros_like(world.state.chunk_awake))
    assert world.state_hash() != before
    assert world.tick == 25


def test_a_world_asleep_resumes_as_if_every_tick_had_run_its_passes() -> None:
    """A world with every chunk asleep only moves its tick on (stepper.Stepper.step skips the passes); woken by a
    brush stroke, it must go on exactly as a world that ran the passes over its sleeping chunks all along."""
    settled = World(64, 48, seed=8)
    settled.fill_rect(0, 30, 64, 48, "sand")
    settled.fill_rect(0, 24, 64, 30, "water")
    settled.step(200)
    assert not settled.state.chunk_awake.any()
    skipping, running = World.from_bytes(settled.to_bytes()), World.from_bytes(settled.to_bytes())
    skipping.step(30)
    stepper = Stepper(running.state)
    for _ in range(30):  # the three passes themselves, over a chunk map with nothing awake
        stepper.run_passes()
        running.state.tick += 1
    assert skipping.state_hash() == running.state_hash()
    for world in (skipping, running):
        world.paint(32, 10, 4, "lava")
        world.step(60)
    assert skipping.state_hash() == running.state_hash()
    assert skipping.count("lava") + skipping.count("stone") + skipping.count("steam") > 0
