"""`particula render SCENE.bin -o OUT.webp`: a thumbnail on disk, or one clear line saying why not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from particula.commands.render import render_scene_file
from particula.engine import elements
from particula.engine.scenefile import DEFAULT_MAX_BYTES, SceneFileError, encode
from particula.engine.state import Settings, WorldState


def sand_scene(path: Path, *, width: int = 80, height: int = 60) -> Path:
    state = WorldState.empty(Settings(width=width, height=height), seed=5)
    state.planes["element"][height // 2 :] = elements.id_of("sand")
    path.write_bytes(encode(state))
    return path


def test_render_writes_a_400x300_webp_and_nothing_else(tmp_path: Path) -> None:
    out = tmp_path / "thumb.webp"
    render_scene_file(sand_scene(tmp_path / "data.bin"), out)
    with Image.open(out) as picture:
        assert (picture.format, picture.size) == ("WEBP", (400, 300))
        image = np.asarray(picture.convert("RGB")).astype(int)
    base_rgb, variation, _ = elements.colour_arrays()
    sand = elements.id_of("sand")
    # 80x60 scales by 5 to fill the frame: the lower half is sand-coloured, the upper half empty space.
    assert np.abs(image[150:] - base_rgb[sand].astype(int)).max() <= int(variation[sand]) + 1
    assert (image[:150] == base_rgb[0]).all()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.bin", "thumb.webp"]  # no temp file left


def test_render_replaces_an_existing_thumbnail(tmp_path: Path) -> None:
    out = tmp_path / "thumb.webp"
    out.write_bytes(b"old")
    render_scene_file(sand_scene(tmp_path / "data.bin"), out)
    assert out.read_bytes()[:4] == b"RIFF"


def test_a_broken_scene_names_the_file_and_leaves_the_old_thumbnail(tmp_path: Path) -> None:
    scene, out = tmp_path / "broken.bin", tmp_path / "thumb.webp"
    scene.write_bytes(b"GIF89a, not a scene")
    out.write_bytes(b"old")
    with pytest.raises(SceneFileError, match=r"broken\.bin: not a Particula scene file \(bad magic\)"):
        render_scene_file(scene, out)
    assert out.read_bytes() == b"old"


def test_an_oversize_file_is_refused(tmp_path: Path) -> None:
    scene = tmp_path / "huge.bin"
    with scene.open("wb") as file:
        file.truncate(DEFAULT_MAX_BYTES + 1)  # sparse: cheap to make
    with pytest.raises(SceneFileError, match=r"huge\.bin: file is larger than the 8388608-byte limit"):
        render_scene_file(scene, tmp_path / "thumb.webp")
    assert not (tmp_path / "thumb.webp").exists()


def test_a_missing_scene_or_output_folder_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        render_scene_file(tmp_path / "missing.bin", tmp_path / "thumb.webp")
    with pytest.raises(FileNotFoundError):
        render_scene_file(sand_scene(tmp_path / "data.bin"), tmp_path / "no" / "such" / "thumb.webp")


def test_the_command_line_reports_a_bad_file_in_one_line(tmp_path: Path) -> None:
    scene = tmp_path / "broken.bin"
    scene.write_bytes(b"PRTC\x09\x00" + bytes(80))
    particula = Path(sys.executable).with_name("particula")  # the installed console script
    result = subprocess.run(
        [str(particula), "render", str(scene), "-o", str(tmp_path / "t.webp")],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"particula: {scene}: unsupported format version 9 (this build reads version 1)"
    ]
