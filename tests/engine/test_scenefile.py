"""The scene file: exact, canonical round trips, and hostile bytes refused with one clear error, cheaply."""

from __future__ import annotations

import dataclasses
import struct
import tracemalloc
import zlib

import numpy as np
import numpy.typing as npt
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from particula.engine import World
from particula.engine.scenefile import HEADER_SIZE, SceneFileError, decode, encode, payload_size
from particula.engine.state import CELL_PLANES, Settings, WorldState

ELEMENT_COUNT = 12
COLDEST = float(np.float32(-273.15))  # -273.15 rounds up a hair as float32, which the decoder allows
MiB = 1024 * 1024


# ------------------------------------------------------------------------------------------------ helpers


def _plane_values(name: str, dtype: npt.DTypeLike) -> st.SearchStrategy[object]:
    if name in ("element", "ctype"):
        return st.integers(0, ELEMENT_COUNT - 1)
    if name == "temperature":
        return st.floats(COLDEST, 10_000.0, width=32)
    if name.startswith("velocity"):
        return st.floats(-300.0, 300.0, width=32)
    info = np.iinfo(np.dtype(dtype))
    return st.integers(int(info.min), int(info.max))


@st.composite
def world_states(draw: st.DrawFn) -> WorldState:
    width, height = draw(
        st.one_of(st.sampled_from([(1, 1), (17, 5), (16, 16), (33, 2)]), st.tuples(*[st.integers(1, 40)] * 2))
    )
    world = Settings(
        width=width,
        height=height,
        gravity_x=draw(st.floats(-100, 100)),
        gravity_y=draw(st.floats(-100, 100)),
        ambient_temp=draw(st.floats(-273.15, 10_000)),
        walls=draw(st.booleans()),
    )
    planes = {
        name: draw(hnp.arrays(np.dtype(dtype), (height, width), elements=_plane_values(name, dtype)))
        for name, dtype in CELL_PLANES
    }
    chunk_awake = draw(hnp.arrays(np.uint8, WorldState.chunk_shape(width, height)))
    tick, seed = draw(st.integers(0, 2**64 - 1)), draw(st.integers(0, 2**64 - 1))
    return WorldState(settings=world, seed=seed, tick=tick, planes=planes, chunk_awake=chunk_awake)


def small_world(width: int = 6, height: int = 4) -> WorldState:
    state = WorldState.empty(Settings(width=width, height=height, gravity_x=1.5, ambient_temp=21.0), seed=42)
    state.tick = 1234
    state.planes["element"][height // 2 :, :] = 3  # a floor of some powder
    state.planes["shade"][...] = np.arange(width * height, dtype=np.uint8).reshape(height, width)
    state.planes["temperature"][0, 0] = 480.5
    state.planes["velocity_y"][1, 1] = 2.25
    state.planes["life"][0, 1] = 300
    state.chunk_awake[...] = 1
    return state


def half_sand_half_water(width: int = 800, height: int = 600) -> WorldState:
    state = WorldState.empty(Settings(width=width, height=height), seed=1)
    state.planes["element"][: height // 2] = 2
    state.planes["element"][height // 2 :] = 1
    state.planes["shade"][...] = np.random.default_rng(7).integers(0, 256, (height, width), dtype=np.uint8)
    return state


def forge(payload: bytes, *, width: int = 6, height: int = 4, version: int = 1, flags: int = 1) -> bytes:
    """A file with a well-formed, correctly checksummed header: what an attacker who read the docs sends."""
    header = struct.pack(
        "<4sHHIIdddQQII",
        b"PRTC",
        version,
        flags,
        width,
        height,
        0.0,
        9.8,
        20.0,
        0,
        0,
        len(payload),
        zlib.crc32(payload),
    )
    return header + struct.pack("<I", zlib.crc32(header)) + payload


def rle_frame(output_bytes: int, *, declared: int | None) -> bytes:
    """A zstd frame of RLE blocks: 4 bytes of input per 128 KiB of zeros out, declaring `declared` bytes."""
    block = 128 * 1024
    window = 7 << 3  # a 128 KiB window
    if declared is None:
        header = struct.pack("<IBB", 0xFD2FB528, 0x00, window)  # no content size
    else:
        header = struct.pack("<IBBQ", 0xFD2FB528, 0xC0, window, declared)  # 8-byte content size
    blocks = []
    remaining = output_bytes
    while remaining > 0:
        size = min(block, remaining)
        remaining -= size
        last = 1 if remaining == 0 else 0
        blocks.append(((size << 3) | (1 << 1) | last).to_bytes(3, "little") + b"\0")
    return header + b"".join(blocks)


def assert_same_state(a: WorldState, b: WorldState) -> None:
    assert a.settings == b.settings
    assert (a.seed, a.tick) == (b.seed, b.tick)
    for name, dtype in CELL_PLANES:
        assert b.planes[name].dtype == np.dtype(dtype)
        assert b.planes[name].tobytes() == a.planes[name].tobytes(), name  # bit-exact, -0.0 included
    assert b.chunk_awake.tobytes() == a.chunk_awake.tobytes()


# ------------------------------------------------------------------------------------------------ round trips


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(world_states())
def test_a_saved_scene_loads_back_exactly(state: WorldState) -> None:
    loaded = decode(encode(state), element_count=ELEMENT_COUNT)
    assert_same_state(state, loaded)
    assert all(plane.flags.writeable for plane in loaded.planes.values())  # the kernels write into them


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(world_states())
def test_the_same_state_always_gives_the_same_bytes(state: WorldState) -> None:
    data = encode(state)
    assert encode(state) == data
    assert encode(decode(data)) == data
    # Memory layout is not state: a Fortran-ordered copy of every plane encodes identically.
    fortran = dataclasses.replace(state, planes={k: np.asfortranarray(v) for k, v in state.planes.items()})
    assert encode(fortran) == data


def test_the_header_holds_the_settings_at_the_documented_offsets() -> None:
    data = encode(small_world())
    magic, version, flags, width, height = struct.unpack_from("<4sHHII", data, 0)
    gravity_x, gravity_y, ambient, tick, seed, length = struct.unpack_from("<dddQQI", data, 16)
    assert (magic, version, flags, width, height) == (b"PRTC", 1, 1, 6, 4)
    assert (gravity_x, gravity_y, ambient, tick, seed) == (1.5, 9.8, 21.0, 1234, 42)
    assert HEADER_SIZE == 68
    assert length == len(data) - HEADER_SIZE


def test_a_half_sand_half_water_800x600_scene_is_small() -> None:
    data = encode(half_sand_half_water())
    # The random per-particle shade is the only incompressible plane: about one byte per cell.
    assert len(data) < 600 * 1024
    assert_same_state(half_sand_half_water(), decode(data))


def test_tier_limits_refuse_a_premium_sized_scene_for_a_free_user() -> None:
    data = encode(WorldState.empty(Settings(width=1000, height=700), seed=1))
    assert decode(data).settings.width == 1000
    with pytest.raises(SceneFileError, match=r"dimensions 1000x700 exceed the limit 800x600"):
        decode(data, max_width=800, max_height=600)


def test_encoding_refuses_a_plane_of_the_wrong_type_instead_of_rounding_it() -> None:
    state = small_world()
    state.planes["temperature"] = state.planes["temperature"].astype(np.float64)
    with pytest.raises(SceneFileError, match=r"plane 'temperature' is float64\[4, 6\], expected float32\[4, 6\]"):
        encode(state)


# ------------------------------------------------------------------------------------------------ damaged files


def test_every_truncation_is_refused() -> None:
    data = encode(small_world())
    for length in range(len(data)):
        with pytest.raises(SceneFileError):
            decode(data[:length])


def test_truncated_messages_say_what_is_missing() -> None:
    data = encode(small_world())
    with pytest.raises(SceneFileError, match=r"truncated: the header needs 68 bytes, the file has 20"):
        decode(data[:20])
    with pytest.raises(SceneFileError, match=r"truncated: the compressed planes need \d+ bytes, the file has 10"):
        decode(data[: HEADER_SIZE + 10])


def test_every_single_bit_flip_is_refused() -> None:
    data = encode(small_world())
    for index in range(len(data)):
        for bit in range(8):
            damaged = bytearray(data)
            damaged[index] ^= 1 << bit
            with pytest.raises(SceneFileError):
                decode(bytes(damaged))


@given(st.binary(max_size=4096))
def test_random_bytes_are_refused(data: bytes) -> None:
    with pytest.raises(SceneFileError):
        decode(data)


@given(st.binary(max_size=2048))
def test_random_bytes_behind_a_valid_header_are_refused(payload: bytes) -> None:
    with pytest.raises(SceneFileError):
        decode(forge(payload))


@given(st.binary(min_size=1, max_size=64))
def test_trailing_garbage_is_refused(tail: bytes) -> None:
    with pytest.raises(SceneFileError, match="trailing data"):
        decode(encode(small_world()) + tail)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty: not a Particula scene file"),
        (b"GIF89a" + bytes(100), r"not a Particula scene file \(bad magic\)"),
        (b"PRTC\x09\x00" + bytes(100), r"unsupported format version 9 \(this build reads version 1\)"),
    ],
)
def test_files_that_are_not_scenes_say_so(data: bytes, message: str) -> None:
    with pytest.raises(SceneFileError, match=message):
        decode(data)


def test_a_file_over_the_size_limit_is_refused_before_parsing() -> None:
    data = encode(small_world())
    with pytest.raises(SceneFileError, match=rf"file is {len(data)} bytes; the limit is 100 bytes"):
        decode(data, max_bytes=100)


# ------------------------------------------------------------------------------------------------ hostile files


def test_huge_dimensions_are_refused_before_allocating() -> None:
    hostile = forge(b"\x28\xb5\x2f\xfd" + bytes(64), width=100_000, height=5)
    tracemalloc.start()
    try:
        with pytest.raises(SceneFileError, match=r"dimensions 100000x5 exceed the limit 1600x1200"):
            decode(hostile)
        with pytest.raises(SceneFileError, match=r"dimensions 4294967295x4294967295 exceed"):
            decode(forge(b"", width=2**32 - 1, height=2**32 - 1))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 * MiB


def test_a_frame_without_a_declared_size_is_refused_before_decompressing() -> None:
    bomb = forge(rle_frame(4 * 1024**3, declared=None), width=1600, height=1200)  # 4 GiB of zeros in 128 KiB
    with pytest.raises(SceneFileError, match=r"decompressed size no size declared .* does not match"):
        decode(bomb)


def test_a_frame_declaring_gigabytes_is_refused_before_decompressing() -> None:
    bomb = forge(rle_frame(4 * 1024**3, declared=4 * 1024**3), width=1600, height=1200)
    with pytest.raises(SceneFileError, match=r"decompressed size 4294967296 declared .* 32\d+ bytes"):
        decode(bomb)


def test_a_frame_lying_about_its_size_is_cut_off_at_the_expected_size() -> None:
    expected = payload_size(1600, 1200)
    bomb = forge(rle_frame(4 * 1024**3, declared=expected), width=1600, height=1200)
    tracemalloc.start()
    try:
        with pytest.raises(SceneFileError, match=r"exceeds|corrupted"):
            decode(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < expected + 4 * MiB  # the planes' own buffer, never the gigabytes the frame expands to


def test_a_frame_that_expands_a_little_too_far_is_refused() -> None:
    expected = payload_size(6, 4)
    frame = zstandard.ZstdCompressor(write_content_size=False).compress(bytes(expected + 1))
    with pytest.raises(SceneFileError):
        decode(forge(frame))


def test_a_second_frame_after_the_planes_is_refused() -> None:
    data = encode(small_world())
    for extra in (zstandard.ZstdCompressor().compress(b""), b"\x50\x2a\x4d\x18\x04\x00\x00\x00skip"):
        payload = data[HEADER_SIZE:] + extra
        with pytest.raises(SceneFileError, match="followed by extra data"):
            decode(forge(payload))


# ------------------------------------------------------------------------------------------------ bad values


def _with(plane: str, value: float, *, at: tuple[int, int] = (2, 1)) -> bytes:
    state = small_world()
    state.planes[plane][at[1], at[0]] = value
    return encode(state)  # encode does not judge values: a hostile client's encoder would not either


@pytest.mark.parametrize(
    ("plane", "value", "message"),
    [
        ("temperature", float("nan"), r"plane 'temperature' holds NaN at \(2, 1\)"),
        ("temperature", float("inf"), r"plane 'temperature' holds infinite at \(2, 1\)"),
        ("temperature", 20_000.0, r"plane 'temperature' holds 20000 at \(2, 1\); allowed -273.15..10000"),
        ("temperature", -300.0, r"holds -300 at"),
        ("velocity_x", float("nan"), r"plane 'velocity_x' holds NaN"),
        ("velocity_y", 1e9, r"plane 'velocity_y' holds 1e\+09"),
    ],
)
def test_impossible_physical_values_are_refused(plane: str, value: float, message: str) -> None:
    with pytest.raises(SceneFileError, match=message):
        decode(_with(plane, value))


def test_absolute_zero_and_the_hottest_allowed_temperature_load() -> None:
    state = small_world()
    state.planes["temperature"][0, :2] = [-273.15, 10_000.0]
    assert decode(encode(state)).planes["temperature"][0, 1] == 10_000.0


@pytest.mark.parametrize("plane", ["element", "ctype"])
def test_unknown_element_ids_are_refused_when_the_table_is_known(plane: str) -> None:
    data = _with(plane, 250)
    assert decode(data).planes[plane][1, 2] == 250  # without a table, ids are not judged
    with pytest.raises(SceneFileError, match=rf"element id 250 in plane '{plane}' is not a known element"):
        decode(data, element_count=ELEMENT_COUNT)


def test_impossible_settings_are_refused() -> None:
    state = small_world()
    state.settings.gravity_y = float("nan")
    with pytest.raises(SceneFileError, match="gravity y nan is not a finite value"):
        decode(encode(state))
    state.settings.gravity_y = 9.8
    state.settings.ambient_temp = -500.0
    with pytest.raises(SceneFileError, match=r"ambient temperature -500.0 is outside"):
        decode(encode(state))


def test_unknown_flags_and_empty_dimensions_are_refused() -> None:
    payload = encode(small_world())[HEADER_SIZE:]
    with pytest.raises(SceneFileError, match="unknown flags 0x0004"):
        decode(forge(payload, flags=0x5))
    with pytest.raises(SceneFileError, match="dimensions 0x4 are empty"):
        decode(forge(payload, width=0))


@settings(deadline=None)
@given(st.data())
def test_damaged_planes_behind_recomputed_checksums_never_crash(data: st.DataObject) -> None:
    # Past the CRCs, into zstd and the value checks: a decode either yields a well-formed state or says why not.
    payload = bytearray(encode(small_world())[HEADER_SIZE:])
    for _ in range(data.draw(st.integers(1, 4))):
        payload[data.draw(st.integers(0, len(payload) - 1))] = data.draw(st.integers(0, 255))
    try:
        state = decode(forge(bytes(payload)), element_count=ELEMENT_COUNT)
    except SceneFileError:
        return
    assert state.planes["element"].shape == (4, 6)


@pytest.mark.parametrize(
    ("plane", "value", "message"),
    [("element", 250, "not a known element"), ("ctype", 99, "not a known element"), ("velocity_x", np.nan, "NaN")],
)
def test_a_state_no_world_can_hold_is_refused_before_a_kernel_runs(plane: str, value: float, message: str) -> None:
    """The kernels index tables by element and ctype and move particles by their speed without checking again."""
    world = World(16, 16, seed=1)
    world.fill_rect(0, 8, 16, 16, "sand")
    world.state.planes[plane][10, 3] = value
    with pytest.raises(SceneFileError, match=message):
        World.from_state(world.state)
