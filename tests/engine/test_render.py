"""Rendering: what a player sees, from element colours and per-particle shade to glowing heat and thumbnails."""

from __future__ import annotations

import io

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from particula.engine.render import LETTERBOX_RGB, Colours, render, thumbnail
from particula.engine.state import Settings, WorldState

EMPTY, SAND, WATER, FIRE = 0, 1, 2, 3
COLOURS: Colours = (
    np.array([(0, 0, 0), (200, 170, 100), (40, 90, 220), (255, 100, 20)], dtype=np.uint8),
    np.array([0, 20, 0, 10], dtype=np.uint8),
    np.array([False, False, False, True]),
)
SAND_RGB, WATER_RGB = (200, 170, 100), (40, 90, 220)


def world(width: int, height: int, element: int = EMPTY) -> WorldState:
    state = WorldState.empty(Settings(width=width, height=height), seed=1)
    state.planes["element"][...] = element
    state.planes["shade"][...] = 128  # shade 128 is the element's base colour
    return state


def pixel(image: npt.NDArray[np.uint8], x: int, y: int) -> tuple[int, ...]:
    return tuple(int(c) for c in image[y, x])


def decoded(webp: bytes) -> npt.NDArray[np.uint8]:
    with Image.open(io.BytesIO(webp)) as picture:
        assert picture.format == "WEBP"
        return np.asarray(picture.convert("RGB"))


# ------------------------------------------------------------------------------------------------ render


def test_a_grain_shows_its_element_colour_where_it_is() -> None:
    state = world(5, 4)
    state.planes["element"][0, 3] = SAND  # x=3, y=0: the top row
    image = render(state, colours=COLOURS)
    assert image.shape == (4, 5, 3)
    assert image.dtype == np.uint8
    assert pixel(image, 3, 0) == SAND_RGB
    assert pixel(image, 0, 3) == (0, 0, 0)  # empty space


def test_shade_varies_a_grain_within_its_element_variation() -> None:
    state = world(3, 1, SAND)
    state.planes["shade"][0] = [0, 128, 255]
    image = render(state, colours=COLOURS).astype(int)
    assert len({pixel(image, x, 0) for x in range(3)}) == 3
    assert np.abs(image[0] - np.array(SAND_RGB)).max() <= 20


def test_an_element_without_variation_is_one_flat_colour() -> None:
    state = world(3, 1, WATER)
    state.planes["shade"][0] = [0, 128, 255]
    assert {pixel(render(state, colours=COLOURS), x, 0) for x in range(3)} == {WATER_RGB}


@pytest.mark.parametrize("hot", [600.0, 1200.0])
def test_hot_sand_is_brighter_and_redder_than_cold_sand(hot: float) -> None:
    state = world(2, 1, SAND)
    state.planes["temperature"][0] = [20.0, hot]
    image = render(state, colours=COLOURS).astype(int)
    cold, glowing = image[0, 0], image[0, 1]
    assert tuple(cold) == SAND_RGB
    assert glowing.sum() > cold.sum()
    assert glowing[0] - glowing[2] > cold[0] - cold[2]  # redder: more red than blue


def test_very_hot_sand_is_white_hot() -> None:
    state = world(1, 1, SAND)
    state.planes["temperature"][0, 0] = 2500.0
    assert min(pixel(render(state, colours=COLOURS), 0, 0)) >= 240


def test_hotter_glows_brighter() -> None:
    state = world(4, 1, SAND)
    state.planes["temperature"][0] = [500.0, 900.0, 1500.0, 3000.0]
    brightness = render(state, colours=COLOURS).astype(int)[0].sum(axis=1)
    assert list(brightness) == sorted(brightness)
    assert brightness[0] < brightness[-1]


def test_warm_but_not_hot_things_and_hot_air_do_not_glow() -> None:
    state = world(2, 1)
    state.planes["element"][0, 0] = SAND
    state.planes["temperature"][0] = [350.0, 2000.0]  # warm sand; very hot empty air
    image = render(state, colours=COLOURS)
    assert pixel(image, 0, 0) == SAND_RGB
    assert pixel(image, 1, 0) == (0, 0, 0)


def test_fire_glows_even_at_room_temperature() -> None:
    state = world(1, 1, FIRE)
    colour = np.array(pixel(render(state, colours=COLOURS), 0, 0))
    assert colour.sum() > sum((255, 100, 20))
    assert colour[0] >= colour[1] >= colour[2]  # still fire-coloured: orange-yellow, not white or blue


def test_rendering_does_not_change_the_world() -> None:
    state = world(4, 3, SAND)
    state.planes["temperature"][...] = 1500.0
    before = {name: plane.copy() for name, plane in state.planes.items()}
    render(state, colours=COLOURS)
    assert all(np.array_equal(before[name], plane) for name, plane in state.planes.items())


def test_an_id_beyond_the_colour_table_still_renders() -> None:
    state = world(2, 1)
    state.planes["element"][0, 1] = 200
    assert render(state, colours=COLOURS).shape == (1, 2, 3)


def test_without_a_colour_table_the_element_table_colours_the_world() -> None:
    elements = pytest.importorskip("particula.engine.elements")
    base_rgb, _, _ = elements.colour_arrays()
    state = world(2, 1)
    state.planes["element"][0, 1] = elements.id_of("sand")
    image = render(state)
    assert pixel(image, 0, 0) == tuple(int(c) for c in base_rgb[0])
    assert np.abs(image[0, 1].astype(int) - base_rgb[elements.id_of("sand")].astype(int)).max() <= 128


# ------------------------------------------------------------------------------------------------ thumbnail


def test_thumbnail_is_a_400x300_webp_with_exact_colours() -> None:
    image = decoded(thumbnail(world(800, 600, WATER), colours=COLOURS))
    assert image.shape == (300, 400, 3)
    assert {tuple(int(c) for c in rgb) for rgb in image.reshape(-1, 3)} == {WATER_RGB}  # lossless


def test_a_wide_world_is_letterboxed_not_stretched() -> None:
    image = decoded(thumbnail(world(800, 200, WATER), colours=COLOURS))
    # 800x200 shrinks to 400x100, centred: rows 100..199 are the world, the rest is the dark background.
    assert (image[100:200] == WATER_RGB).all()
    assert (image[:100] == LETTERBOX_RGB).all()
    assert (image[200:] == LETTERBOX_RGB).all()


def test_a_tall_world_is_pillarboxed() -> None:
    image = decoded(thumbnail(world(100, 300, SAND), colours=COLOURS))
    assert (image[:, 150:250] == SAND_RGB).all()
    assert (image[:, :150] == LETTERBOX_RGB).all()
    assert (image[:, 250:] == LETTERBOX_RGB).all()


def test_a_small_world_is_enlarged_with_crisp_square_particles() -> None:
    state = world(40, 30)
    state.planes["element"][0, 0] = SAND
    image = decoded(thumbnail(state, colours=COLOURS))
    assert (image[:10, :10] == SAND_RGB).all()  # one grain, one 10x10 block, no blur around it
    assert (image[10:, :] == 0).all()
    assert (image[:, 10:] == 0).all()


def test_a_lone_hot_grain_still_shows_in_a_shrunken_thumbnail() -> None:
    state = world(1600, 1200)
    state.planes["element"][601, 801] = FIRE
    image = decoded(thumbnail(state, colours=COLOURS))
    assert image.astype(int).sum(axis=2).max() > 0


def test_the_same_world_always_gives_the_same_thumbnail_bytes() -> None:
    state = world(123, 77, SAND)
    state.planes["shade"][...] = np.random.default_rng(3).integers(0, 256, (77, 123), dtype=np.uint8)
    state.planes["temperature"][:10] = 1300.0
    first = thumbnail(state, colours=COLOURS)
    copy = WorldState(
        settings=state.settings,
        seed=state.seed,
        tick=state.tick,
        planes={name: plane.copy() for name, plane in state.planes.items()},
        chunk_awake=state.chunk_awake.copy(),
    )
    assert thumbnail(copy, colours=COLOURS) == first
    assert thumbnail(state, colours=COLOURS) == first
