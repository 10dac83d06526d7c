"""make_avatar: what a user gets back for ordinary uploads, and that hostile bytes only ever raise AvatarError."""

from __future__ import annotations

import io
import random
import struct
import time
import tracemalloc
import warnings
import zlib
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from particula.users.avatars import AVATAR_MAX_BYTES, AvatarError, make_avatar

RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)

DAMAGED = "the image is damaged or truncated"
UNSUPPORTED = "only PNG, JPEG, WebP or GIF images are accepted"
TOO_LARGE = "at most 10000 pixels a side and 40 megapixels"


# --- building inputs -------------------------------------------------------------------------------------------


def encode(image: Image.Image, image_format: str, **params: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **params)
    return buffer.getvalue()


def bands(size: tuple[int, int], colours: list[tuple[int, int, int]], *, vertical: bool) -> Image.Image:
    """Equal stripes of colour, left to right (vertical stripes) or top to bottom."""
    image = Image.new("RGB", size)
    count = len(colours)
    for index, colour in enumerate(colours):
        if vertical:
            box = (size[0] * index // count, 0, size[0] * (index + 1) // count, size[1])
        else:
            box = (0, size[1] * index // count, size[0], size[1] * (index + 1) // count)
        image.paste(colour, box)
    return image


def noise(size: tuple[int, int]) -> Image.Image:
    """Incompressible pixels, so the pixel data (not the header) is most of the file."""
    return Image.frombytes("RGB", size, random.Random(7).randbytes(size[0] * size[1] * 3))


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_claiming(width: int, height: int, *, idat: bytes = b"") -> bytes:
    """A PNG with a well-formed IHDR (valid CRC) declaring the given size: 8-bit greyscale."""
    header = png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    body = png_chunk(b"IDAT", idat or zlib.compress(b"\x00" * 64))
    return b"\x89PNG\r\n\x1a\n" + header + body + png_chunk(b"IEND", b"")


@cache
def real_png_9000_square() -> bytes:
    """A genuine 9000x9000 greyscale PNG (81 megapixels, ~80 KB): Pillow alone would happily decode it."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + 9000)  # filter byte + one byte per pixel
    idat = b"".join(compressor.compress(row) for _ in range(9000)) + compressor.flush()
    return png_claiming(9000, 9000, idat=idat)


def gif_claiming(screen: tuple[int, int], frame: tuple[int, int]) -> bytes:
    """A hand-built GIF: logical screen and one frame of the given sizes, two-colour palette, tiny LZW data."""
    header = b"GIF89a" + struct.pack("<HHBBB", *screen, 0x80, 0, 0) + bytes([0, 0, 0, 255, 255, 255])
    descriptor = b"," + struct.pack("<HHHHB", 0, 0, *frame, 0)
    return header + descriptor + bytes([2, 2, 0x4C, 0x01, 0]) + b";"


# --- reading the result ----------------------------------------------------------------------------------------


def open_avatar(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data), formats=["WEBP"])
    assert image.format == "WEBP"
    assert image.size == (200, 200)
    image.load()
    return image


def assert_colour(image: Image.Image, xy: tuple[int, int], expected: tuple[int, ...], *, tolerance: int = 40) -> None:
    actual = image.getpixel(xy)
    assert isinstance(actual, tuple)
    assert all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=False)), (xy, actual, expected)


# --- ordinary uploads ------------------------------------------------------------------------------------------


def test_landscape_png_is_centre_cropped_to_a_200_square_webp() -> None:
    upload = encode(bands((1200, 400), [GREEN, RED, BLUE], vertical=True), "PNG")

    avatar = open_avatar(make_avatar(upload))

    for xy in [(100, 100), (12, 100), (188, 100), (100, 5), (100, 195)]:
        assert_colour(avatar, xy, RED)  # only the centre band survives, edge to edge


def test_portrait_jpeg_is_centre_cropped() -> None:
    upload = encode(bands((300, 900), [GREEN, RED, BLUE], vertical=False), "JPEG", quality=95)

    avatar = open_avatar(make_avatar(upload))

    for xy in [(100, 100), (100, 12), (100, 188), (5, 100), (195, 100)]:
        assert_colour(avatar, xy, RED)


def test_exif_rotated_jpeg_comes_out_upright() -> None:
    # Stored sideways: red left half, blue right half. Orientation 6 means "rotate 90 degrees clockwise to view",
    # so the viewer sees red on top and blue below.
    stored = bands((800, 400), [RED, BLUE], vertical=True)
    exif = Image.Exif()
    exif[0x0112] = 6
    upload = encode(stored, "JPEG", quality=95, exif=exif.tobytes())

    avatar = open_avatar(make_avatar(upload))

    assert_colour(avatar, (20, 40), RED)
    assert_colour(avatar, (180, 40), RED)  # still blue if the orientation had been ignored
    assert_colour(avatar, (20, 160), BLUE)
    assert_colour(avatar, (180, 160), BLUE)


def test_transparent_png_keeps_its_transparency() -> None:
    image = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    image.paste((255, 0, 0, 255), (100, 100, 300, 300))

    avatar = open_avatar(make_avatar(encode(image, "PNG")))

    assert avatar.mode == "RGBA"
    assert avatar.getchannel("A").getpixel((5, 5)) == 0
    assert_colour(avatar, (100, 100), (255, 0, 0, 255))


def test_opaque_rgba_png_is_stored_without_an_alpha_plane() -> None:
    avatar = open_avatar(make_avatar(encode(Image.new("RGBA", (50, 50), (0, 0, 255, 255)), "PNG")))

    assert avatar.mode == "RGB"
    assert_colour(avatar, (100, 100), BLUE)


def test_palette_gif() -> None:
    image = bands((300, 300), [GREEN, RED, BLUE], vertical=True).convert("P", palette=Image.Palette.ADAPTIVE)

    avatar = open_avatar(make_avatar(encode(image, "GIF")))

    assert_colour(avatar, (10, 100), GREEN)
    assert_colour(avatar, (100, 100), RED)
    assert_colour(avatar, (190, 100), BLUE)


def test_gif_with_a_transparent_palette_entry_keeps_transparency() -> None:
    image = Image.new("P", (100, 100), 0)
    image.putpalette([0, 0, 0, 255, 0, 0])
    image.paste(1, (25, 25, 75, 75))

    avatar = open_avatar(make_avatar(encode(image, "GIF", transparency=0)))

    assert avatar.getchannel("A").getpixel((5, 5)) == 0
    assert_colour(avatar, (100, 100), (255, 0, 0, 255))


@pytest.mark.parametrize("image_format", ["GIF", "WEBP"])
def test_animation_keeps_its_first_frame(image_format: str) -> None:
    frames = [Image.new("RGB", (120, 120), colour) for colour in (RED, GREEN, BLUE)]
    upload = encode(frames[0], image_format, save_all=True, append_images=frames[1:], duration=100, loop=0)

    avatar = open_avatar(make_avatar(upload))

    assert_colour(avatar, (100, 100), RED)


def test_cmyk_jpeg() -> None:
    upload = encode(Image.new("CMYK", (300, 300), (0, 255, 255, 0)), "JPEG", quality=95)

    avatar = open_avatar(make_avatar(upload))

    assert avatar.mode == "RGB"
    assert_colour(avatar, (100, 100), RED)


def test_16_bit_greyscale_png_keeps_its_grey() -> None:
    # Mid-grey in 16 bits; converting naively clips it to white.
    upload = encode(Image.new("I;16", (300, 300), 0x8000), "PNG")

    avatar = open_avatar(make_avatar(upload))

    assert_colour(avatar, (100, 100), (128, 128, 128), tolerance=4)


def test_one_pixel_image_is_upscaled() -> None:
    avatar = open_avatar(make_avatar(encode(Image.new("RGB", (1, 1), BLUE), "PNG")))

    assert_colour(avatar, (0, 0), BLUE)
    assert_colour(avatar, (199, 199), BLUE)


@pytest.mark.parametrize(
    ("mode", "image_format"),
    [("1", "PNG"), ("L", "PNG"), ("LA", "PNG"), ("P", "PNG"), ("RGB", "WEBP"), ("RGBA", "WEBP"), ("L", "JPEG")],
)
def test_every_colour_mode_becomes_a_200_square(mode: str, image_format: str) -> None:
    upload = encode(noise((64, 48)).convert(mode), image_format)

    avatar = open_avatar(make_avatar(upload))

    assert avatar.mode in ("RGB", "RGBA")


def test_uploaded_metadata_is_not_kept() -> None:
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"  # Make; GPS would be the real worry, any tag shows the point
    upload = encode(Image.new("RGB", (300, 300), RED), "JPEG", exif=exif.tobytes())

    avatar = open_avatar(make_avatar(upload))

    assert not avatar.getexif()
    assert "icc_profile" not in avatar.info


def test_photo_with_corrupt_exif_is_still_accepted_without_warnings() -> None:
    # One Make tag whose 100 bytes of text point far past the end of the EXIF block, as some broken editors write.
    entry = struct.pack(">HHII", 0x010F, 2, 100, 0xFFFF)
    exif = b"Exif\x00\x00" + b"MM\x00*" + struct.pack(">I", 8) + struct.pack(">H", 1) + entry + struct.pack(">I", 0)
    upload = encode(Image.new("RGB", (300, 300), RED), "JPEG", exif=exif)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        avatar = open_avatar(make_avatar(upload))

    assert_colour(avatar, (100, 100), RED)
    assert caught == []


def test_same_upload_gives_the_same_bytes_even_across_threads() -> None:
    upload = encode(noise((640, 480)), "JPEG", quality=90)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = set(pool.map(make_avatar, [upload] * 8))

    assert len(results) == 1


def test_a_file_of_exactly_5_mib_is_accepted() -> None:
    png = encode(Image.new("RGB", (10, 10), RED), "PNG")
    upload = png + b"\x00" * (AVATAR_MAX_BYTES - len(png))  # Pillow stops reading at IEND

    assert_colour(open_avatar(make_avatar(upload)), (100, 100), RED)


# --- hostile uploads -------------------------------------------------------------------------------------------


def test_one_byte_over_5_mib_is_refused_before_decoding() -> None:
    png = encode(Image.new("RGB", (10, 10), RED), "PNG")
    upload = png + b"\x00" * (AVATAR_MAX_BYTES + 1 - len(png))  # decodes fine, so only the size can refuse it

    with pytest.raises(AvatarError, match=r"^the image is larger than 5 MiB$"):
        make_avatar(upload)


def test_empty_upload() -> None:
    with pytest.raises(AvatarError, match="empty"):
        make_avatar(b"")


@pytest.mark.parametrize(
    "upload",
    [
        pytest.param(encode(Image.new("RGB", (20, 20)), "BMP"), id="bmp"),
        pytest.param(encode(Image.new("RGB", (20, 20)), "TIFF"), id="tiff"),
        pytest.param(encode(Image.new("RGB", (32, 32)), "ICO"), id="ico"),
        pytest.param(encode(Image.new("RGB", (20, 20)), "PDF"), id="pdf"),
        pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>', id="svg"),
        pytest.param(b"\x89PN", id="png-signature-cut-short"),
    ],
)
def test_other_formats_are_refused_as_unsupported(upload: bytes) -> None:
    with pytest.raises(AvatarError, match=f"^{UNSUPPORTED}$"):
        make_avatar(upload)


@pytest.mark.parametrize("image_format", ["PNG", "JPEG", "GIF", "WEBP"])
@pytest.mark.parametrize("keep", [0.02, 0.1, 0.5, 0.9])
def test_truncated_images_are_refused_as_damaged(image_format: str, keep: float) -> None:
    image = noise((96, 96)) if image_format != "GIF" else noise((96, 96)).convert("P")
    complete = encode(image, image_format)
    upload = complete[: max(12, int(len(complete) * keep))]

    with pytest.raises(AvatarError, match=f"^{DAMAGED}$"):
        make_avatar(upload)


def test_png_header_claiming_100000_square_is_refused_fast_and_small() -> None:
    upload = png_claiming(100_000, 100_000)

    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(AvatarError, match=TOO_LARGE):
            make_avatar(upload)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert elapsed < 1.0
    assert peak < 20 * 1024 * 1024


def test_over_limit_image_is_refused_from_its_header_not_after_decoding() -> None:
    # 81 megapixels: under Pillow's own bomb limit, so without our header check it would be decoded in full.
    upload = real_png_9000_square()

    started = time.perf_counter()
    with pytest.raises(AvatarError, match="^the image is 9000x9000 pixels; " + TOO_LARGE):
        make_avatar(upload)
    assert time.perf_counter() - started < 0.2


@pytest.mark.parametrize(("width", "height"), [(10_001, 10), (10, 10_001), (8000, 5001)])
def test_each_dimension_limit(width: int, height: int) -> None:
    with pytest.raises(AvatarError, match=f"^the image is {width}x{height} pixels; {TOO_LARGE}$"):
        make_avatar(png_claiming(width, height))


def test_largest_allowed_dimensions_pass_the_size_check() -> None:
    # 10000x4000 = 40 megapixels exactly: allowed, so it fails only later, on its (fake) pixel data.
    with pytest.raises(AvatarError, match=f"^{DAMAGED}$"):
        make_avatar(png_claiming(10_000, 4000))


def test_gif_with_a_huge_logical_screen_is_refused() -> None:
    with pytest.raises(AvatarError, match=TOO_LARGE):
        make_avatar(gif_claiming((65535, 65535), (1, 1)))


@pytest.mark.parametrize(
    "upload",
    [
        pytest.param(png_claiming(9500, 9500), id="png-between-pillow-limits"),
        pytest.param(gif_claiming((1, 1), (10_000, 10_000)), id="gif-frame-larger-than-screen"),
    ],
)
def test_pillow_bomb_warnings_never_escape_as_warnings(upload: bytes) -> None:
    # Production runs with default warning filters; Pillow warns (does not raise) for these sizes.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(AvatarError, match=TOO_LARGE):
            make_avatar(upload)

    assert caught == []


@pytest.mark.parametrize(
    "upload",
    [
        pytest.param(b"\x89PNG\r\n\x1a\n<html><body>" + b"x" * 2000 + b"</body></html>", id="png-then-html"),
        pytest.param(gif_claiming((16, 16), (16, 16))[:19] + b"<script>alert(1)</script>" * 40, id="gif-then-script"),
        pytest.param(b"\xff\xd8\xff\xe0" + b"PK\x03\x04" + random.Random(2).randbytes(2000), id="jpeg-then-zip"),
    ],
)
def test_polyglot_is_refused_as_damaged(upload: bytes) -> None:
    with pytest.raises(AvatarError, match=f"^{DAMAGED}$"):
        make_avatar(upload)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4096))
def test_random_bytes_only_ever_raise_avatar_error(upload: bytes) -> None:
    with pytest.raises(AvatarError):
        make_avatar(upload)


@cache
def seed_uploads() -> list[bytes]:
    image = noise((24, 16))
    return [
        encode(image, "PNG"),
        encode(image.convert("P"), "PNG", transparency=3),
        encode(image, "JPEG", exif=Image.Exif().tobytes()),
        encode(image.convert("P"), "GIF", save_all=True, append_images=[image.convert("P")]),
        encode(image.convert("RGBA"), "WEBP", lossless=True),
    ]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 4),
    edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=8),
    cut=st.none() | st.integers(1, 10_000),
)
def test_corrupted_real_images_give_an_avatar_or_avatar_error(
    seed: int, edits: list[tuple[int, int]], cut: int | None
) -> None:
    # Random bytes rarely get past the signature check; flipping bytes inside real files reaches the decoders.
    upload = bytearray(seed_uploads()[seed])
    for position, value in edits:
        upload[position % len(upload)] = value
    try:
        avatar = make_avatar(bytes(upload[:cut]))
    except AvatarError:
        return
    open_avatar(avatar)
