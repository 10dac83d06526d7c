"""Compiled kernels are cached per version of the engine's sources, so an edit never runs stale machine code."""

from __future__ import annotations

import pathlib
import shutil

import numba
import pytest

from particula.engine import jit
from particula.engine.kernels.update import update_pass


def test_the_cache_directory_follows_every_engine_source_file(tmp_path: pathlib.Path) -> None:
    copy = tmp_path / "engine"
    shutil.copytree(jit._ENGINE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert jit.source_digest(copy) == jit.source_digest()
    # motion.py is pasted into the particle pass (update.py): Numba's own check would not see it change.
    motion = copy / "kernels" / "motion.py"
    motion.write_text(motion.read_text() + "\n# a rule changed\n")
    assert jit.source_digest(copy) != jit.source_digest()


def test_kernels_are_cached_under_the_current_digest() -> None:
    digest = jit.source_digest()
    assert pathlib.Path(numba.config.CACHE_DIR).name == digest
    assert pathlib.Path(update_pass._cache.cache_path).is_relative_to(numba.config.CACHE_DIR)


def test_the_engine_needs_no_home_directory(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A container started with an arbitrary user id has neither $HOME nor a passwd entry: Path.home() raises.
    def no_home() -> pathlib.Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(pathlib.Path, "home", no_home)
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    assert jit.cache_dir() == str(tmp_path / jit.source_digest())
    unwritable = tmp_path / "a-file"
    unwritable.write_text("")
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(unwritable))
    # Nowhere to write: Numba is left to its own fallbacks rather than the import failing.
    assert jit.cache_dir() == str(unwritable / jit.source_digest())
