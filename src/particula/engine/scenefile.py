"""The scene file (data.bin): a canonical, versioned encoding of a WorldState that survives hostile input.

Layout (all little-endian; docs/SCENE_FILE.md has the byte-by-byte table):
a 68-byte header (magic, version, flags, size, settings, tick, seed, payload length and CRC-32s), then one zstd
frame holding every cell plane in CELL_PLANES order (multi-byte planes byte-shuffled) and the chunk map.
Decoding checks everything it can before it allocates, and never lets any error but SceneFileError escape.
"""

from __future__ import annotations

import math
import struct
import zlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import zstandard

from particula.engine.state import CELL_PLANES, Settings, WorldState

MAGIC = b"PRTC"
FORMAT_VERSION = 1
FLAG_WALLS = 0x0001
KNOWN_FLAGS = FLAG_WALLS

# magic, version, flags, width, height, gravity x/y, ambient temp, tick, seed, payload length, payload CRC-32.
_HEADER = struct.Struct("<4sHHIIdddQQII")
HEADER_SIZE = _HEADER.size + 4  # + the header's own CRC-32

# Fixed so that the same state always gives the same bytes (with the same libzstd): never change these
# within a format version without a test that old files still decode.
COMPRESSION_LEVEL = 3
# Decoder window cap (our level uses 2 MiB). Defence in depth: libzstd sizes its buffer by the smaller of the
# window and the frame's content size, and the content size must equal the size the dimensions need.
MAX_WINDOW_SIZE = 1 << 23
# A frame from our encoder has blocks of up to 128 KiB; a frame made of many tiny blocks is not ours, and
# bounding the count bounds the time spent walking it.
MIN_AVERAGE_BLOCK = 512

MIN_TEMPERATURE = -273.15  # absolute zero, in degrees Celsius
MAX_TEMPERATURE = 10_000.0
MAX_SPEED = 65_536.0  # cells per tick; far beyond anything the kernels produce, short of overflow
MAX_GRAVITY = 10_000.0  # m/s^2 per axis

DEFAULT_MAX_WIDTH = 1600
DEFAULT_MAX_HEIGHT = 1200
DEFAULT_MAX_BYTES = 8 * 1024 * 1024
_U64 = 1 << 64


class SceneFileError(ValueError):
    """The one error a scene file raises: the bytes are not a scene this build can load, and why."""


@dataclass(frozen=True, slots=True)
class _Header:
    version: int
    flags: int
    width: int
    height: int
    gravity_x: float
    gravity_y: float
    ambient_temp: float
    tick: int
    seed: int
    payload_size: int
    payload_crc: int


def payload_size(width: int, height: int) -> int:
    """The exact decompressed size of a width x height world's planes and chunk map, in bytes."""
    per_cell = sum(np.dtype(dtype).itemsize for _, dtype in CELL_PLANES)
    chunk_rows, chunk_cols = WorldState.chunk_shape(width, height)
    return width * height * per_cell + chunk_rows * chunk_cols


# ---------------------------------------------------------------------------------------------------------
# Encoding


def encode(state: WorldState) -> bytes:
    """The canonical scene file for `state`: the same state always gives the same bytes."""
    settings = state.settings
    _check_encodable(state)
    chunk_shape = WorldState.chunk_shape(settings.width, settings.height)
    pieces = [_shuffle(_plane(state, name, dtype)) for name, dtype in CELL_PLANES]
    pieces.append(_exact(state.chunk_awake, np.uint8, "chunk_awake", chunk_shape).tobytes())
    compressor = zstandard.ZstdCompressor(
        level=COMPRESSION_LEVEL, write_content_size=True, write_checksum=True, write_dict_id=False, threads=0
    )
    payload = compressor.compress(b"".join(pieces))
    flags = FLAG_WALLS if settings.walls else 0
    header = _HEADER.pack(
        MAGIC,
        FORMAT_VERSION,
        flags,
        settings.width,
        settings.height,
        float(settings.gravity_x),
        float(settings.gravity_y),
        float(settings.ambient_temp),
        state.tick,
        state.seed,
        len(payload),
        zlib.crc32(payload),
    )
    return header + struct.pack("<I", zlib.crc32(header)) + payload


def _check_encodable(state: WorldState) -> None:
    settings = state.settings
    if not (1 <= settings.width < 1 << 32 and 1 <= settings.height < 1 << 32):
        raise SceneFileError(f"cannot encode dimensions {settings.width}x{settings.height}")
    for what, value in (("tick", state.tick), ("seed", state.seed)):
        if not 0 <= value < _U64:
            raise SceneFileError(f"cannot encode {what} {value}: it must fit in 64 unsigned bits")


def _plane(state: WorldState, name: str, dtype: npt.DTypeLike) -> npt.NDArray[np.generic]:
    plane = state.planes.get(name)
    if plane is None:
        raise SceneFileError(f"cannot encode: plane {name!r} is missing")
    return _exact(plane, dtype, name, (state.settings.height, state.settings.width))


def _exact(
    array: npt.NDArray[np.generic], dtype: npt.DTypeLike, name: str, shape: tuple[int, int]
) -> npt.NDArray[np.generic]:
    # Refuse rather than cast: a silently narrowed plane would not round-trip, and would hide a kernel bug.
    if array.shape != shape or array.dtype != np.dtype(dtype):
        raise SceneFileError(
            f"cannot encode: plane {name!r} is {array.dtype}{list(array.shape)}, "
            f"expected {np.dtype(dtype)}{list(shape)}"
        )
    return np.ascontiguousarray(array, dtype=np.dtype(dtype).newbyteorder("<"))


def _shuffle(plane: npt.NDArray[np.generic]) -> bytes:
    """Bytes of `plane` grouped by significance (all low bytes, then the next...): zstd finds far more runs."""
    size = plane.dtype.itemsize
    if size == 1:
        return plane.tobytes()
    return plane.reshape(-1).view(np.uint8).reshape(-1, size).T.tobytes()


def _unshuffle(raw: npt.NDArray[np.uint8], dtype: npt.DTypeLike, shape: tuple[int, int]) -> npt.NDArray[np.generic]:
    little = np.dtype(dtype).newbyteorder("<")
    grouped = raw.reshape(little.itemsize, -1).T.copy()  # copy: (cells, itemsize), C order, then reinterpret
    return grouped.view(little).reshape(shape).astype(np.dtype(dtype), copy=False)


# ---------------------------------------------------------------------------------------------------------
# Decoding


def decode(
    data: bytes,
    *,
    max_width: int = DEFAULT_MAX_WIDTH,
    max_height: int = DEFAULT_MAX_HEIGHT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    element_count: int | None = None,
) -> WorldState:
    """The WorldState in `data`, or SceneFileError saying what is wrong. Safe on any input.

    Peak memory is bounded by the limits: about twice payload_size(max_width, max_height) plus `data`.
    """
    if len(data) > max_bytes:
        raise SceneFileError(f"file is {len(data)} bytes; the limit is {max_bytes} bytes")
    header = _read_header(data)
    _check_header(header, max_width=max_width, max_height=max_height)
    payload = memoryview(data)[HEADER_SIZE:]
    _check_payload_bytes(payload, header)
    raw = _decompress(payload, payload_size(header.width, header.height), header)
    planes, chunk_awake = _split(raw, header.width, header.height)
    check_values(planes, element_count)
    settings = Settings(
        width=header.width,
        height=header.height,
        gravity_x=header.gravity_x,
        gravity_y=header.gravity_y,
        ambient_temp=header.ambient_temp,
        walls=bool(header.flags & FLAG_WALLS),
    )
    return WorldState(settings=settings, seed=header.seed, tick=header.tick, planes=planes, chunk_awake=chunk_awake)


def _read_header(data: bytes) -> _Header:
    if not data:
        raise SceneFileError("empty: not a Particula scene file")
    if data[:4] != MAGIC[: len(data)]:
        raise SceneFileError("not a Particula scene file (bad magic)")
    if len(data) >= 6:
        (version,) = struct.unpack_from("<H", data, 4)
        if version != FORMAT_VERSION:
            raise SceneFileError(f"unsupported format version {version} (this build reads version {FORMAT_VERSION})")
    if len(data) < HEADER_SIZE:
        raise SceneFileError(f"truncated: the header needs {HEADER_SIZE} bytes, the file has {len(data)}")
    (stored_crc,) = struct.unpack_from("<I", data, _HEADER.size)
    if zlib.crc32(data[: _HEADER.size]) != stored_crc:
        raise SceneFileError("corrupted: the header checksum does not match")
    return _Header(*_HEADER.unpack_from(data)[1:])


def _check_header(header: _Header, *, max_width: int, max_height: int) -> None:
    if header.flags & ~KNOWN_FLAGS:
        raise SceneFileError(f"unknown flags 0x{header.flags & ~KNOWN_FLAGS:04x} in the header")
    if header.width < 1 or header.height < 1:
        raise SceneFileError(f"dimensions {header.width}x{header.height} are empty")
    if header.width > max_width or header.height > max_height:
        raise SceneFileError(f"dimensions {header.width}x{header.height} exceed the limit {max_width}x{max_height}")
    for name, value in (("gravity x", header.gravity_x), ("gravity y", header.gravity_y)):
        if not (math.isfinite(value) and abs(value) <= MAX_GRAVITY):
            raise SceneFileError(f"{name} {value} is not a finite value within ±{MAX_GRAVITY:g} m/s^2")
    if not (math.isfinite(header.ambient_temp) and MIN_TEMPERATURE <= header.ambient_temp <= MAX_TEMPERATURE):
        raise SceneFileError(
            f"ambient temperature {header.ambient_temp} is outside {MIN_TEMPERATURE}..{MAX_TEMPERATURE:g} °C"
        )


def _check_payload_bytes(payload: memoryview, header: _Header) -> None:
    if len(payload) < header.payload_size:
        raise SceneFileError(
            f"truncated: the compressed planes need {header.payload_size} bytes, the file has {len(payload)}"
        )
    if len(payload) > header.payload_size:
        raise SceneFileError(f"{len(payload) - header.payload_size} bytes of trailing data after the planes")
    if zlib.crc32(payload) != header.payload_crc:
        raise SceneFileError("corrupted: the compressed planes' checksum does not match")


def _decompress(payload: memoryview, expected: int, header: _Header) -> npt.NDArray[np.uint8]:
    """Exactly `expected` bytes from the single zstd frame in `payload`; output is capped, never trusted."""
    try:
        _check_frame(payload, expected, header)
        raw = np.empty(expected, np.uint8)  # the one big allocation, sized by the checked dimensions
        view = raw.data
        reader = zstandard.ZstdDecompressor(max_window_size=MAX_WINDOW_SIZE).stream_reader(
            payload, read_across_frames=False
        )
        filled = 0
        while filled < expected:
            got = reader.readinto(view[filled:])
            if got == 0:
                raise SceneFileError(_short_message(filled, header))
            filled += got
        if reader.read(1):
            raise SceneFileError(f"decompressed size exceeds the {expected} bytes that the planes need")
    except zstandard.ZstdError as error:
        raise SceneFileError(f"corrupted: the compressed planes do not decompress ({error})") from None
    return raw


def _check_frame(payload: memoryview, expected: int, header: _Header) -> None:
    """Walk the zstd frame's block headers: one frame, exactly filling the payload, of the declared size."""
    params = zstandard.get_frame_parameters(payload)
    if params.content_size != expected:
        declared = "no size" if params.content_size == zstandard.CONTENTSIZE_UNKNOWN else params.content_size
        raise SceneFileError(
            f"decompressed size {declared} declared by the compressed planes does not match the {expected} "
            f"bytes that a {header.width}x{header.height} scene needs"
        )
    if params.dict_id:
        raise SceneFileError("the compressed planes need a zstd dictionary; scene files never use one")
    position = zstandard.frame_header_size(payload)
    for _ in range(expected // MIN_AVERAGE_BLOCK + 16):
        if position + 3 > len(payload):
            raise SceneFileError("truncated: the compressed planes end inside a block header")
        block = int.from_bytes(payload[position : position + 3], "little")
        kind, size = (block >> 1) & 3, block >> 3
        if kind == 3:
            raise SceneFileError("corrupted: the compressed planes contain a reserved block type")
        position += 3 + (1 if kind == 1 else size)  # an RLE block stores its one byte
        if block & 1:  # the frame's last block
            break
    else:
        raise SceneFileError("the compressed planes are split into implausibly many blocks")
    position += 4 if params.has_checksum else 0
    if position != len(payload):
        problem = "are truncated" if position > len(payload) else "are followed by extra data"
        raise SceneFileError(f"the compressed planes {problem} (frame ends at byte {position} of {len(payload)})")


def _short_message(filled: int, header: _Header) -> str:
    cells = header.width * header.height
    offset = 0
    for name, dtype in CELL_PLANES:
        size = cells * np.dtype(dtype).itemsize
        if filled < offset + size:
            return f"truncated: plane {name!r} has {filled - offset} of its {size} bytes"
        offset += size
    chunk_bytes = payload_size(header.width, header.height) - offset
    return f"truncated: the chunk map has {filled - offset} of its {chunk_bytes} bytes"


def _split(
    raw: npt.NDArray[np.uint8], width: int, height: int
) -> tuple[dict[str, npt.NDArray[np.generic]], npt.NDArray[np.uint8]]:
    planes: dict[str, npt.NDArray[np.generic]] = {}
    offset = 0
    for name, dtype in CELL_PLANES:
        size = width * height * np.dtype(dtype).itemsize
        planes[name] = _unshuffle(raw[offset : offset + size], dtype, (height, width))
        offset += size
    chunk_awake = raw[offset:].reshape(WorldState.chunk_shape(width, height)).copy()
    return planes, chunk_awake


def check_values(planes: dict[str, npt.NDArray[np.generic]], element_count: int | None) -> None:
    """SceneFileError unless every element id and ctype is below `element_count` (when given) and every temperature
    and velocity is a finite number inside its limits: what the kernels index tables and move particles by."""
    if element_count is not None:
        for name in ("element", "ctype"):
            highest = int(planes[name].max())
            if highest >= element_count:
                raise SceneFileError(
                    f"element id {highest} in plane {name!r} is not a known element ({element_count} elements)"
                )
    _check_range(planes["temperature"], "temperature", MIN_TEMPERATURE, MAX_TEMPERATURE)
    for name in ("velocity_x", "velocity_y"):
        _check_range(planes[name], name, -MAX_SPEED, MAX_SPEED)


def _check_range(values: npt.NDArray[np.generic], name: str, low: float, high: float) -> None:
    plane = np.asarray(values, dtype=np.float32)
    # Compare in the plane's own precision: float32(-273.15) is a hair above -273.15 as a double.
    bad = ~((plane >= np.float32(low)) & (plane <= np.float32(high)))  # NaN fails both comparisons
    if bad.any():
        y, x = np.unravel_index(int(np.argmax(bad)), plane.shape)
        value = float(plane[y, x])
        what = "NaN" if math.isnan(value) else "infinite" if math.isinf(value) else f"{value:g}"
        raise SceneFileError(f"plane {name!r} holds {what} at ({x}, {y}); allowed {low:g}..{high:g}")
