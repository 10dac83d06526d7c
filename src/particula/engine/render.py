"""Pixels from a world: element colours with per-particle variation and visible heat, and WebP thumbnails."""

from __future__ import annotations

import functools
import io

import numpy as np
import numpy.typing as npt
from PIL import Image

from particula.engine.state import WorldState

# (base_rgb (N, 3) uint8, variation (N,) uint8, glows (N,) bool), indexed by element id.
Colours = tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8], npt.NDArray[np.bool_]]
RGB = npt.NDArray[np.uint8]

EMPTY = 0  # element id of empty space: hot air does not glow
GLOW_START = 400.0  # °C: below this nothing shows its heat (iron starts to glow dull red around here)
GLOW_FULL = 1600.0  # °C: by here a hot particle adds the whole ramp colour to its own
# Elements that give off light (fire, lava...) always look lit: at least this much glow, at least this hot.
EMISSIVE_GLOW = 0.5
EMISSIVE_TEMPERATURE = 1400.0
# A black-body-ish ramp: dull red, orange, yellow, white.
_RAMP_TEMPERATURE = np.array([400.0, 700.0, 1000.0, 1400.0, 2000.0, 3500.0, 6000.0])
_RAMP_RGB = np.array(
    [(90, 10, 0), (170, 30, 0), (230, 80, 0), (255, 150, 20), (255, 215, 110), (255, 245, 210), (255, 255, 255)],
    dtype=np.float64,
)

THUMBNAIL_SIZE = (400, 300)
LETTERBOX_RGB = (18, 18, 24)  # the bars around a world whose aspect ratio is not 4:3


def _default_colours() -> Colours:
    # Imported here: the element table is the physics engineer's module, and callers that pass their own
    # colours (tests, tools) should not depend on it.
    from particula.engine import elements

    colours: Colours = elements.colour_arrays()
    return colours


def render(state: WorldState, *, colours: Colours | None = None) -> RGB:
    """The world as an (H, W, 3) uint8 image: row 0 is the top, as on screen."""
    base_rgb, variation, glows = colours if colours is not None else _default_colours()
    # One lookup table of every (element, shade) colour makes the common, cold case a single gather.
    table = _shaded_table(base_rgb, variation) if colours is not None else _default_table()
    element = np.asarray(state.planes["element"], dtype=np.uint8)
    if int(element.max()) >= len(base_rgb):
        element = np.minimum(element, len(base_rgb) - 1)  # an unknown id draws as the last element
    # np.take is several times faster than fancy indexing here.
    index = (element.astype(np.uint16) << 8) | np.asarray(state.planes["shade"], dtype=np.uint8)
    image: RGB = np.take(table, index, axis=0)
    temperature = np.asarray(state.planes["temperature"], dtype=np.float32)
    _add_heat(image, element, temperature, np.asarray(glows, dtype=bool))
    return image


@functools.cache
def _default_table() -> RGB:
    """The element table's colour lookup table, built once (read-only)."""
    base_rgb, variation, _ = _default_colours()
    table = _shaded_table(base_rgb, variation)
    table.flags.writeable = False
    return table


def _shaded_table(base_rgb: npt.NDArray[np.uint8], variation: npt.NDArray[np.uint8]) -> RGB:
    """(N * 256, 3): element e with shade s at row e * 256 + s; shade 128 is the base colour."""
    offset = (np.arange(256, dtype=np.int32) - 128)[None, :] * variation.astype(np.int32)[:, None] // 128
    shaded = base_rgb.astype(np.int32)[:, None, :] + offset[:, :, None]
    table: RGB = np.clip(shaded, 0, 255).astype(np.uint8).reshape(-1, 3)
    return table


def _add_heat(
    image: RGB,
    element: npt.NDArray[np.uint8],
    temperature: npt.NDArray[np.float32],
    glows: npt.NDArray[np.bool_],
) -> None:
    """Add light to hot particles (and every emissive one): the ramp colour of their temperature, in place.

    Added, not blended: a glow is emitted light, so heating anything only ever makes it brighter and redder,
    never darker (blending pale sand toward dull red would darken it).
    """
    emissive = np.take(glows, element)
    lit = ((temperature > GLOW_START) & (element != EMPTY)) | emissive
    if not lit.any():
        return
    heat = temperature[lit].astype(np.float64)
    weight = np.clip((heat - GLOW_START) / (GLOW_FULL - GLOW_START), 0.0, 1.0)
    emissive_lit = emissive[lit]
    weight[emissive_lit] = np.maximum(weight[emissive_lit], EMISSIVE_GLOW)
    heat[emissive_lit] = np.maximum(heat[emissive_lit], EMISSIVE_TEMPERATURE)
    ramp = np.stack([np.interp(heat, _RAMP_TEMPERATURE, _RAMP_RGB[:, c]) for c in range(3)], axis=1)
    glowing = image[lit] + np.rint(ramp * weight[:, None])
    image[lit] = np.minimum(glowing, 255).astype(np.uint8)


def thumbnail(state: WorldState, *, size: tuple[int, int] = THUMBNAIL_SIZE, colours: Colours | None = None) -> bytes:
    """Lossless WebP of exactly `size` (width, height), the whole world letterboxed in its aspect ratio."""
    picture = Image.fromarray(render(state, colours=colours))
    width, height = picture.size
    scale = min(size[0] / width, size[1] / height)
    fitted = (max(1, min(size[0], round(width * scale))), max(1, min(size[1], round(height * scale))))
    # Nearest when enlarging keeps each particle a crisp square; a box average when shrinking lets a lone
    # hot grain still tint its pixel instead of vanishing between samples.
    resample = Image.Resampling.NEAREST if scale >= 1 else Image.Resampling.BOX
    canvas = Image.new("RGB", size, LETTERBOX_RGB)
    canvas.paste(picture.resize(fitted, resample), ((size[0] - fitted[0]) // 2, (size[1] - fitted[1]) // 2))
    out = io.BytesIO()
    # Lossless: particle art has hard edges and exact colours that lossy WebP smears; fixed settings make
    # the bytes a function of the state.
    canvas.save(out, format="WEBP", lossless=True, quality=50, method=4, exact=True)
    return out.getvalue()
