"""`particula render SCENE.bin -o OUT.webp`: a scene file's 400x300 WebP thumbnail, written atomically."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from particula.engine import elements, render, scenefile
from particula.engine.scenefile import SceneFileError


def render_scene_file(scene: Path, out: Path) -> None:
    """Decode `scene` and write its thumbnail to `out`; SceneFileError or OSError say what went wrong."""
    data = _read_limited(scene, scenefile.DEFAULT_MAX_BYTES)
    try:
        state = scenefile.decode(data, element_count=elements.count())
    except SceneFileError as error:
        raise SceneFileError(f"{scene}: {error}") from None
    _write_atomically(out, render.thumbnail(state))


def _read_limited(path: Path, limit: int) -> bytes:
    with path.open("rb") as file:
        too_big = SceneFileError(f"{path}: file is larger than the {limit}-byte limit for scene files")
        if os.fstat(file.fileno()).st_size > limit:
            raise too_big
        # Still read at most limit + 1 bytes: the file may grow meanwhile, or be a pipe with no size.
        data = file.read(limit + 1)
    if len(data) > limit:
        raise too_big
    return data


def _write_atomically(out: Path, content: bytes) -> None:
    """Readers of `out` see the old file or the whole new one, never a half-written thumbnail."""
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            os.fchmod(file.fileno(), 0o644)  # mkstemp makes 0600; a thumbnail is meant to be shared
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, out)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
