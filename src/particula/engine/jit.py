"""Every Numba flag of the engine in one place, so no kernel can drift from the determinism rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba

_Fn = TypeVar("_Fn", bound=Callable[..., Any])

# cache=True: a new process loads compiled kernels from disk instead of compiling (cold start).
# nogil=True: the service may step several worlds in threads.
# fastmath=False: reassociation or FMA contraction would change float results between builds.
# error_model="numpy": no Python-style ZeroDivisionError checks in hot loops (every divisor is guarded).
# No parallel=True: a parallel reduction order is not deterministic.
_FLAGS: dict[str, Any] = {"cache": True, "nogil": True, "fastmath": False, "error_model": "numpy", "_nrt": False}


def kernel(fn: _Fn) -> _Fn:
    """Compile `fn` with the engine's Numba flags, keeping its Python signature for type checking."""
    return cast(_Fn, numba.njit(**_FLAGS)(fn))


def inline(fn: _Fn) -> _Fn:
    """Like `kernel`, but inlined into its callers by Numba itself.

    A call between compiled functions passes every array by value and counts references on each; for the
    small per-cell helpers that costs more than their work, so they are pasted into the hot loop instead.
    """
    return cast(_Fn, numba.njit(inline="always", **_FLAGS)(fn))
