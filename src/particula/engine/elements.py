"""The public element catalogue: look elements up by name or id, list them, and get their colours."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from particula.engine.element_data import ELEMENTS
from particula.engine.element_types import PHASE_NAMES, Element

__all__ = ["Element", "catalogue", "colour_arrays", "count", "get", "id_of", "name_of", "names"]

_BY_NAME: dict[str, int] = {element.name: index for index, element in enumerate(ELEMENTS)}


def names() -> list[str]:
    """Every element's name in id order, "empty" first."""
    return [element.name for element in ELEMENTS]


def count() -> int:
    return len(ELEMENTS)


def id_of(name: str) -> int:
    """The element id of `name`; KeyError names the unknown element."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown element {name!r}") from None


def name_of(element_id: int) -> str:
    return ELEMENTS[element_id].name


def get(name: str) -> Element:
    """The properties of the element called `name`."""
    return ELEMENTS[id_of(name)]


def _hex_rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


@cache
def _colours() -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8], npt.NDArray[np.bool_]]:
    base = np.array([_hex_rgb(e.colour) for e in ELEMENTS], np.uint8)
    variation = np.array([e.colour_var for e in ELEMENTS], np.uint8)
    glows = np.array([e.glows for e in ELEMENTS], np.bool_)
    for array in (base, variation, glows):
        array.setflags(write=False)
    return base, variation, glows


def colour_arrays() -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8], npt.NDArray[np.bool_]]:
    """(N, 3) base colours, (N,) shade amplitude and (N,) "glows" flags, indexed by element id (read-only)."""
    return _colours()


def _describe(element_id: int, element: Element) -> dict[str, Any]:
    return {
        "id": element_id,
        "name": element.name,
        "category": element.category,
        "colour": element.colour,
        "density": element.density,
        "phase": PHASE_NAMES[element.phase],
        "pack": element.pack,
        "premium": element.pack is not None,
        "description": element.description,
        "conductivity": element.conductivity,
        "flammability": element.flammability,
        "high_temp": element.high_temp,
        "high_to": element.high_to,
        "low_temp": element.low_temp,
        "low_to": element.low_to,
        "ignites_at": element.ignites_at,
    }


def catalogue() -> list[dict[str, Any]]:
    """A JSON-able description of every paintable element (not "empty"), as served by GET /api/v1/elements."""
    return [_describe(index, element) for index, element in enumerate(ELEMENTS) if index != 0]
