"""Every Numba flag of the engine in one place, so no kernel can drift from the determinism rules."""

from __future__ import annotations

import hashlib
import os
import pathlib
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
from llvmlite import binding as llvm
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

_Fn = TypeVar("_Fn", bound=Callable[..., Any])
_ENGINE = pathlib.Path(__file__).resolve().parent


def source_digest(root: pathlib.Path = _ENGINE) -> str:
    """A digest of every Python file of the engine (names and contents)."""
    digest = hashlib.blake2b(digest_size=8)
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def cache_dir() -> str:
    """Where compiled kernels are cached: a directory per engine source digest.

    Numba's own cache is checked against the timestamp of the file a function is defined in, and not against the
    files whose functions it pasted in (`inline`): an edited motion.py would otherwise leave update_pass's stale
    machine code in use, silently running old rules, and two servers could disagree on a state hash. Keying the
    directory by the digest of all engine sources makes any edit start from an empty cache. NUMBA_CACHE_DIR, when
    set, is the parent instead of the engine's __pycache__ (or ~/.cache/particula when that is not writable). The
    setting is Numba's, so it applies to any other Numba code in the process too.
    """
    digest = source_digest()
    first = os.path.join(os.environ.get("NUMBA_CACHE_DIR") or str(_ENGINE / "__pycache__" / "numba"), digest)
    if _writable(first):
        return first
    try:  # a container user may have no home directory at all
        home = os.path.join(pathlib.Path.home(), ".cache", "particula", "numba", digest)
    except RuntimeError:
        return first
    return home if _writable(home) else first  # Numba falls back to its own locations if it cannot write here


def _writable(path: str) -> bool:
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK)


# Read by Numba when each kernel below is decorated, so it must be set before any of them is.
numba.config.CACHE_DIR = cache_dir()  # type: ignore[attr-defined]  # set from the environment at import

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


_PERMUTE_FEATURES = ("avx512f", "avx512bw", "avx512vbmi")


def _targets_permutes() -> bool:
    """Whether Numba compiles for a CPU with the AVX-512 permutes (F, BW and VBMI): the host, unless NUMBA_CPU_NAME
    or NUMBA_CPU_FEATURES name another (then only when the features say so)."""
    features = numba.config.CPU_FEATURES  # type: ignore[attr-defined]
    if features:
        return all(f"+{name}" in features.split(",") for name in _PERMUTE_FEATURES)
    if numba.config.CPU_NAME not in (None, "host"):  # type: ignore[attr-defined]
        return False
    host = llvm.get_host_cpu_features()
    return all(host.get(name, False) for name in _PERMUTE_FEATURES)


# Whether the intrinsics' table lookups (lookup_vector) use AVX-512 permutes; read when a kernel that uses them is
# compiled. Numba's cache keeps machine code per CPU, so code compiled with permutes never runs on a CPU without them.
VECTOR_PERMUTES = _targets_permutes()


# Building blocks for an intrinsic's code (llvmlite IR), here and in the kernels' own intrinsics (intent.py).


def int_vector(bits: int, lanes: int) -> Any:
    """The vector type of `lanes` integers of `bits` bits."""
    return ir.VectorType(ir.IntType(bits), lanes)


def every_lane(kind: Any, value: int) -> Any:
    """The constant vector of type `kind` with `value` in every lane."""
    return kind([value] * kind.count)


def lanes_of(builder: Any, value: Any, part: int, lanes: int) -> Any:
    """Lanes part * lanes .. (part + 1) * lanes - 1 of a vector, as a vector of `lanes` lanes."""
    chosen = ir.Constant(int_vector(32, lanes), list(range(part * lanes, (part + 1) * lanes)))
    return builder.shuffle_vector(value, ir.Constant(value.type, None), chosen)


def joined(builder: Any, parts: list[Any]) -> Any:
    """One vector of the parts' lanes, in order (a power of two of vectors of one type)."""
    while len(parts) > 1:
        both = ir.Constant(int_vector(32, 2 * parts[0].type.count), list(range(2 * parts[0].type.count)))
        parts = [builder.shuffle_vector(a, b, both) for a, b in zip(parts[::2], parts[1::2], strict=True)]
    return parts[0]


def element_pointer(context: Any, builder: Any, kind: Any, array: Any, index: Any) -> Any:
    """The address of array[index] (a flat array, an unsigned index, no bounds check)."""
    data = context.make_array(kind)(context, builder, array)
    return cgutils.get_item_pointer(context, builder, kind, data, [index], wraparound=False)  # type: ignore[no-untyped-call]


def load_vector(context: Any, builder: Any, kind: Any, array: Any, index: Any, vector: Any) -> Any:
    """The vector of `vector`'s lanes from array[index] on (unaligned; the lanes may be wider or narrower than the
    array's entries)."""
    pointer = element_pointer(context, builder, kind, array, index)
    return builder.load(builder.bitcast(pointer, vector.as_pointer()), align=1)


def store_vector(context: Any, builder: Any, kind: Any, array: Any, index: Any, value: Any) -> None:
    """Store the vector `value` at array[index] on (unaligned)."""
    pointer = element_pointer(context, builder, kind, array, index)
    builder.store(value, builder.bitcast(pointer, value.type.as_pointer()), align=1)


def x86(builder: Any, name: str, result: Any, operands: list[Any]) -> Any:
    """Call the LLVM x86 intrinsic `name` (only when VECTOR_PERMUTES says the CPU has it)."""
    signature = ir.FunctionType(result, [operand.type for operand in operands])
    function = cgutils.get_or_insert_function(builder.module, signature, name)  # type: ignore[no-untyped-call]
    return builder.call(function, operands)


def lookup_vector(context: Any, builder: Any, kind: Any, table: Any, offset: int, ids: Any) -> Any:
    """Lane k is table[offset + ids[k]]: a 64-entry stretch of a table of 8-, 16- or 32-bit entries, read by a vector
    of ids as wide as the entries (64, 32 or 16 lanes), every id below 64.

    With VECTOR_PERMUTES the stretch is held in one, two or four registers and read by permutes: one byte permute
    (vpermb) for 64 lanes, one two-register word permute for 32, two two-register permutes and a select for 16.
    On other CPUs, one load per lane."""
    bits = ids.type.element.width
    vector = ir.VectorType(ir.IntType(bits), ids.type.count)
    if not VECTOR_PERMUTES:
        first = element_pointer(context, builder, kind, table, ir.IntType(64)(offset))
        return _loads_by_index(builder, builder.bitcast(first, ir.IntType(bits).as_pointer()), ids, vector)
    count = vector.count
    entries = [
        load_vector(context, builder, kind, table, ir.IntType(64)(offset + count * k), vector)
        for k in range(64 // count)
    ]
    if bits == 8:
        return x86(builder, "llvm.x86.avx512.permvar.qi.512", vector, [entries[0], ids])
    if bits == 16:
        return x86(builder, "llvm.x86.avx512.vpermi2var.hi.512", vector, [entries[0], ids, entries[1]])
    # A two-register permute picks from 32 entries by the id's low 5 bits; bit 5 says which half.
    permute = "llvm.x86.avx512.vpermi2var.d.512"
    low = x86(builder, permute, vector, [entries[0], ids, entries[1]])
    high = x86(builder, permute, vector, [entries[2], ids, entries[3]])
    upper = builder.icmp_unsigned("!=", builder.and_(ids, vector([32] * count)), vector([0] * count))
    return builder.select(upper, high, low)


def _loads_by_index(builder: Any, first: Any, ids: Any, vector: Any) -> Any:
    """Lane k of `vector` is first[ids[k]], one load each (lookup_vector on a CPU without the permutes)."""
    values = ir.Constant(vector, None)
    for k in range(vector.count):
        entry = builder.load(builder.gep(first, [builder.extract_element(ids, ir.IntType(32)(k))]))
        values = builder.insert_element(values, entry, ir.IntType(32)(k))
    return values


@intrinsic
def _prefetch(typingctx: Any, array: Any, index: Any) -> Any:
    signature = types.void(array, index)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        pointer = element_pointer(context, builder, sig.args[0], args[0], args[1])
        byte_pointer = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        hint = ir.FunctionType(ir.VoidType(), [byte_pointer, i32, i32, i32])
        # The unsuffixed name: LLVM renames it to the overload its pointer type needs, whatever its version.
        function = cgutils.get_or_insert_function(builder.module, hint, "llvm.prefetch")  # type: ignore[no-untyped-call]
        # read, keep in every cache level, data
        builder.call(function, [builder.bitcast(pointer, byte_pointer), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return signature, codegen


# prefetch(array, index) in a kernel: ask the CPU to start loading the cache line holding array[index] (a flat array,
# an unsigned index) without waiting for it. A hint: it changes no result.
prefetch = cast(Callable[[Any, Any], None], _prefetch)


@intrinsic
def _byte_mask(typingctx: Any, array: Any, start: Any, bits: Any, above: Any) -> Any:
    signature = types.uint64(array, start, bits, above)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        byte, lanes = ir.IntType(8), 64
        vector = ir.VectorType(byte, lanes)
        cells = load_vector(context, builder, sig.args[0], args[0], args[1], vector)
        every = ir.Constant(ir.VectorType(ir.IntType(32), lanes), [0] * lanes)

        def splat(value: Any) -> Any:
            one = builder.insert_element(ir.Constant(vector, None), builder.trunc(value, byte), ir.IntType(32)(0))
            return builder.shuffle_vector(one, ir.Constant(vector, None), every)

        chosen = builder.and_(cells, splat(args[2]))
        flags = builder.icmp_unsigned(">", chosen, splat(args[3]))
        return builder.bitcast(flags, ir.IntType(64))

    return signature, codegen


# byte_mask(array, start, bits, above) in a kernel: bit k set where (array[start + k] & bits) > above, for the 64
# bytes from start (an unsigned index; all 64 must lie in the array), unsigned: a few vector instructions for 64 cells.
byte_mask = cast(Callable[[Any, Any, Any, Any], Any], _byte_mask)


@intrinsic
def _signed_lookup16(typingctx: Any, table: Any, el: Any, start: Any, out: Any, out_start: Any) -> Any:
    signature = types.uint64(table, el, start, out, out_start)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        ints, floats = ir.VectorType(ir.IntType(32), 16), ir.VectorType(ir.FloatType(), 16)
        ids = builder.zext(
            load_vector(context, builder, sig.args[1], args[1], args[2], ir.VectorType(ir.IntType(8), 16)), ints
        )
        bits = lookup_vector(context, builder, sig.args[0], args[0], 0, ids)
        signs = builder.bitcast(builder.icmp_signed("<", bits, ints([0] * 16)), ir.IntType(16))
        magnitudes = builder.bitcast(builder.and_(bits, ints([0x7FFFFFFF] * 16)), floats)
        store_vector(context, builder, sig.args[3], args[3], args[4], magnitudes)
        return builder.zext(signs, ir.IntType(64))

    return signature, codegen


# signed_lookup16(table, el, start, out, out_start) in a kernel: out[out_start + k] = |table[el[start + k]]| for the 16
# k < 16, and a bit k set where that entry has its sign bit set. `table` is float32 with 64 entries and every id
# below 64; indices are unsigned and all 16 must lie in their arrays. With AVX-512, two permutes per 16 cells
# instead of 16 loads (heat.thermal_row; the heat pass of C took 0.88 of its time inside a tick).
signed_lookup16 = cast(Callable[[Any, Any, Any, Any, Any], Any], _signed_lookup16)


def _bit_scan(name: str) -> Callable[[Any], Any]:
    @intrinsic
    def scan(typingctx: Any, word: Any) -> Any:
        def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
            count = getattr(builder, name)(args[0], ir.IntType(1)(1))  # a zero word has no answer (never asked)
            return count if name == "cttz" else builder.sub(ir.IntType(64)(63), count)

        return types.uint64(types.uint64), codegen

    return cast(Callable[[Any], Any], scan)


# lowest_bit(word) / highest_bit(word): the position of a nonzero uint64's lowest / highest set bit.
lowest_bit = _bit_scan("cttz")
highest_bit = _bit_scan("ctlz")
