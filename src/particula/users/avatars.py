"""Turn an uploaded image into the stored avatar: a 200x200 WebP, safe against hostile input.

`make_avatar` is pure, synchronous CPU work (tens of milliseconds for a camera photo). Callers in async code
must run it off the event loop, e.g. ``await asyncio.to_thread(make_avatar, data)`` or in a process pool.
"""

from __future__ import annotations

import io
import re
import struct
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

AVATAR_MAX_BYTES = 5 * 1024 * 1024
AVATAR_SIZE = 200
MAX_SIDE = 10_000
MAX_PIXELS = 40_000_000

# Pillow format names; the content decides, so a renamed BMP is still a BMP.
ACCEPTED_FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
# Only used to word the error: a file that starts like an accepted format but does not open is damaged,
# anything else is simply not a format we take.
_ACCEPTED_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")

WEBP_QUALITY = 85
# Fixed so the same upload always gives the same bytes (and the same ETag downstream).
WEBP_METHOD = 4

# Decode JPEGs at a reduced DCT scale, but keep at least twice the target so the final filter has detail.
_DRAFT_SIZE = (2 * AVATAR_SIZE, 2 * AVATAR_SIZE)

_SIZE_LIMITS = f"at most {MAX_SIDE} pixels a side and {MAX_PIXELS // 1_000_000} megapixels"

# Everything Pillow's parsers and decoders are known to raise on malformed input. UnidentifiedImageError is an
# OSError; EOFError and struct.error come from short reads in plugin headers.
_PILLOW_FAILURES: tuple[type[Exception], ...] = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
)


# The two rules of `_apply_pillow_warning_policy`, in the documented 5-tuple form of `warnings.filters`,
# newest first.
_PILLOW_MODULES = r"PIL\."
_PILLOW_WARNING_RULES = [
    ("error", None, Image.DecompressionBombWarning, None, 0),
    ("ignore", None, UserWarning, re.compile(_PILLOW_MODULES), 0),
]


class AvatarError(ValueError):
    """The upload cannot become an avatar; the message is safe to show to the user."""


def make_avatar(data: bytes) -> bytes:
    """Return the stored avatar (200x200 WebP) for the uploaded image bytes, or raise `AvatarError`.

    CPU-bound: run it in a thread or process pool, never on the event loop.
    """
    if len(data) > AVATAR_MAX_BYTES:
        raise AvatarError("the image is larger than 5 MiB")
    if not data:
        raise AvatarError("the file is empty")
    _apply_pillow_warning_policy()
    try:
        return _encode(_square(_decode(data)))
    except AvatarError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow refused first (its limits are above ours), so we never learnt the exact size.
        raise AvatarError(f"the image is too large; {_SIZE_LIMITS}") from exc
    except UnidentifiedImageError as exc:
        if data.startswith(_ACCEPTED_SIGNATURES) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
            raise AvatarError("the image is damaged or truncated") from exc
        raise AvatarError("only PNG, JPEG, WebP or GIF images are accepted") from exc
    except _PILLOW_FAILURES as exc:
        raise AvatarError("the image is damaged or truncated") from exc


def _apply_pillow_warning_policy() -> None:
    """Make Pillow's warnings about an upload behave the same under any warnings configuration.

    - DecompressionBombWarning becomes an exception. Pillow warns (rather than raises) between its two limits,
      sometimes inside a plugin while the header is still being read (a GIF frame larger than its screen), so
      our own size check cannot always run first.
    - Pillow's UserWarnings about malformed metadata ("Corrupt EXIF data", "Invalid APNG", ...) are ignored:
      the pixels are fine, a phone's broken EXIF must not cost the user their upload, and an attacker must not
      be able to fill the logs. Under warnings-as-errors they would otherwise escape as exceptions.

    These are process-wide rules on purpose: `warnings.catch_warnings` swaps the global filter list and is not
    thread-safe, and this runs in worker threads. They are re-checked per call because test runners and other
    code replace the filter list, but only re-inserted when missing: every insertion resets the "show once"
    memory of every warning in the process.
    """
    if warnings.filters[:2] == _PILLOW_WARNING_RULES:
        return
    warnings.filterwarnings("ignore", category=UserWarning, module=_PILLOW_MODULES)
    warnings.filterwarnings("error", category=Image.DecompressionBombWarning)


def _decode(data: bytes) -> Image.Image:
    """Open by content, refuse oversized dimensions from the header, then decode only the first frame."""
    with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as image:
        width, height = image.size
        # Image.open has read only the header here: this is the bomb check, before any pixel is decoded.
        if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
            raise AvatarError(f"the image is {width}x{height} pixels; {_SIZE_LIMITS}")
        if image.format in ("JPEG", "MPO"):
            image.draft(None, _DRAFT_SIZE)
        # Animated GIF/WebP open positioned on frame 0; loading without seeking keeps just that frame.
        image.load()
        return _upright(image)


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation; a broken EXIF block is ignored rather than costing the user their upload."""
    try:
        return ImageOps.exif_transpose(image)
    except _PILLOW_FAILURES:
        return image.copy()


def _square(image: Image.Image) -> Image.Image:
    """Centre-crop to a square and resize to AVATAR_SIZE, in a colour mode WebP can hold."""
    image = _to_rgb_or_rgba(image)
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    return image.resize(
        (AVATAR_SIZE, AVATAR_SIZE),
        Image.Resampling.LANCZOS,
        box=(left, top, left + side, top + side),
        # Halve with a cheap box filter first on big inputs; LANCZOS then works on at most 3x the target.
        reducing_gap=3.0,
    )


def _to_rgb_or_rgba(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16-bit greyscale PNG. Pillow's direct conversion clips every value above 255 to white, so scale
        # 0..65535 down to 0..255 first. (A tRNS colour on such an image is rare and dropped.)
        return image.convert("I").point(lambda value: value / 256).convert("L").convert("RGB")
    if image.has_transparency_data:
        return image if image.mode == "RGBA" else image.convert("RGBA")
    return image if image.mode == "RGB" else image.convert("RGB")


def _encode(image: Image.Image) -> bytes:
    if image.mode == "RGBA" and image.getchannel("A").getextrema() == (255, 255):
        # Opaque after all (e.g. an RGBA PNG with no transparent pixel): an alpha plane would only add bytes.
        image = image.convert("RGB")
    buffer = io.BytesIO()
    # No exif/icc passed: the stored avatar carries no metadata from the upload (GPS position, camera, ...).
    image.save(buffer, format="WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    return buffer.getvalue()
