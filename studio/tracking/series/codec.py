"""The payload of a chunk (and of a pyramid block): columns of integers and floats, packed.

Integers (steps, timestamps) are stored as zigzag deltas of deltas: a step that grows by one
and a clock that ticks evenly become runs of zeros. Floats are stored as the XOR of each
value's bits with the previous value's (Gorilla's idea, without its bit packing): neighbours
on a smooth curve share sign, exponent and leading mantissa bits, which become zero bytes.
Every column is then byte-shuffled (all first bytes, then all second bytes, ...) so that
those zero bytes form long runs, and the whole is compressed with zlib.

Everything is plain numpy over whole arrays (no per-point Python), and every transformation
is a bijection on 64-bit patterns (integer arithmetic wraps): NaN payloads, ±Inf and -0.0
come back bit for bit.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

import numpy as np

# Format version first, so a later codec can still read these payloads.
_HEADER = struct.Struct("<BIHH")  # version, rows, integer columns, float columns
_VERSION = 1
# zlib's run-length strategy: the shuffled zero runs are what compresses, and it skips the
# search for longer matches in the noisy mantissa bytes, where zlib spends its time. On a
# 4,096-point chunk of a noisy curve it is as small as the default strategy, and faster
# (0.67 ms against 0.87 ms on a loaded two-core machine).
_LEVEL = 1
_WINDOW_BITS = 15
_MEMORY_LEVEL = 9
# Payloads of at most this many rows are decoded together by `decode_points_many`.
_SMALL_ROWS = 256


class CodecError(ValueError):
    """A payload that this codec did not write, or that was damaged."""


def encode_columns(ints: list[np.ndarray], floats: list[np.ndarray]) -> bytes:
    """Pack equal-length int64 and float64 columns into one compressed payload."""
    rows = len(ints[0]) if ints else len(floats[0]) if floats else 0
    words = np.empty((len(ints) + len(floats), rows), dtype=np.uint64)
    for i, column in enumerate(ints):
        words[i] = _zigzag(_delta2(np.asarray(column, dtype=np.int64)))
    for j, column in enumerate(floats):
        words[len(ints) + j] = _xor_previous(np.asarray(column, dtype=np.float64).view(np.uint64))
    header = _HEADER.pack(_VERSION, rows, len(ints), len(floats))
    compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, _WINDOW_BITS, _MEMORY_LEVEL, zlib.Z_RLE)
    return header + compressor.compress(_shuffle(words)) + compressor.flush()


def decode_columns(payload: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The columns `encode_columns` packed: an int64 array (columns, rows) and a float64
    array (columns, rows)."""
    if len(payload) < _HEADER.size:
        raise CodecError("series payload too short")
    version, rows, n_ints, n_floats = _HEADER.unpack_from(payload)
    if version != _VERSION:
        raise CodecError(f"unknown series payload version {version}")
    try:
        raw = zlib.decompress(payload[_HEADER.size :])
    except zlib.error as exc:
        raise CodecError(f"damaged series payload: {exc}") from exc
    width = n_ints + n_floats
    if len(raw) != width * rows * 8:
        raise CodecError("series payload of the wrong length")
    words = _unshuffle(raw, width, rows)
    ints = np.cumsum(np.cumsum(_unzigzag(words[:n_ints]), axis=1), axis=1)
    floats = np.bitwise_xor.accumulate(words[n_ints:], axis=1).view(np.float64)
    return ints, floats


def encode_points(steps: np.ndarray, timestamps: np.ndarray, values: np.ndarray) -> bytes:
    """A chunk's payload: its steps, timestamps and values."""
    return encode_columns([steps, timestamps], [values])


def decode_points(payload: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(steps, timestamps, values) of a chunk payload."""
    ints, floats = decode_columns(payload)
    if ints.shape[0] != 2 or floats.shape[0] != 1:
        raise CodecError("not a chunk payload")
    return ints[0], ints[1], floats[0]


def encode_points_many(
    points: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> list[bytes]:
    """`encode_points` of each (steps, timestamps, values), the same bytes. Small ones of one
    length (what an append of a step or a few to a thousand series holds) are transformed
    together, as the rows of one array; only their compression is one by one."""
    encoded: list[bytes | None] = [None] * len(points)
    groups: dict[int, list[int]] = {}
    for n, (steps, _, _) in enumerate(points):
        rows = len(steps)
        if 1 < rows <= _SMALL_ROWS:
            groups.setdefault(rows, []).append(n)
        else:
            encoded[n] = encode_points(*points[n])
    for rows, members in groups.items():
        ints = np.empty((len(members), 2, rows), dtype=np.int64)
        floats = np.empty((len(members), rows), dtype=np.float64)
        for m, n in enumerate(members):
            steps, stamps, values = points[n]
            ints[m, 0], ints[m, 1], floats[m] = steps, stamps, values
        words = np.empty((len(members), 3, rows), dtype=np.uint64)
        first = ints.copy()
        first[:, :, 1:] -= ints[:, :, :-1]
        second = first.copy()
        second[:, :, 1:] -= first[:, :, :-1]
        words[:, :2] = _zigzag(second)
        bits = floats.view(np.uint64)
        words[:, 2] = bits
        words[:, 2, 1:] ^= bits[:, :-1]
        planes = np.ascontiguousarray(words.reshape(len(members), -1).view(np.uint8)
                                      .reshape(len(members), -1, 8).transpose(0, 2, 1))  # fmt: skip
        header = _HEADER.pack(_VERSION, rows, 2, 1)
        for m, n in enumerate(members):
            compressor = zlib.compressobj(
                _LEVEL, zlib.DEFLATED, _WINDOW_BITS, _MEMORY_LEVEL, zlib.Z_RLE
            )
            encoded[n] = header + compressor.compress(planes[m].tobytes()) + compressor.flush()
    return [payload for payload in encoded if payload is not None]


def decode_points_many(
    payloads: Sequence[bytes],
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """`decode_points` of each payload. Small payloads of one length (the tail rows a
    regular writer leaves, one per append) are decoded together, as the rows of one array:
    thousands of them cost little more than their decompression."""
    decoded: list[tuple[np.ndarray, np.ndarray, np.ndarray] | None] = [None] * len(payloads)
    groups: dict[int, list[tuple[int, bytes]]] = {}
    for n, payload in enumerate(payloads):
        if len(payload) < _HEADER.size:
            raise CodecError("series payload too short")
        version, rows, n_ints, n_floats = _HEADER.unpack_from(payload)
        if version != _VERSION or (n_ints, n_floats) != (2, 1) or rows > _SMALL_ROWS:
            # A chunk's payload is large enough on its own (together, they would only cost
            # the copies); a bad one is refused there, saying what is wrong with it.
            decoded[n] = decode_points(payload)
            continue
        try:
            raw = zlib.decompress(payload[_HEADER.size :])
        except zlib.error as exc:
            raise CodecError(f"damaged series payload: {exc}") from exc
        if len(raw) != 3 * rows * 8:
            raise CodecError("series payload of the wrong length")
        groups.setdefault(rows, []).append((n, raw))
    for rows, members in groups.items():
        planes = np.frombuffer(b"".join(raw for _, raw in members), dtype=np.uint8)
        # Each payload's 8 byte planes of its 3 x rows words, back to words: (payloads, 3, rows).
        planar = np.ascontiguousarray(planes.reshape(len(members), 8, 3 * rows).transpose(0, 2, 1))
        words = planar.view(np.uint64).reshape(len(members), 3, rows)
        ints = np.cumsum(np.cumsum(_unzigzag(words[:, :2]), axis=2), axis=2)
        floats = np.bitwise_xor.accumulate(words[:, 2], axis=1).view(np.float64)
        for m, (n, _) in enumerate(members):
            decoded[n] = (ints[m, 0], ints[m, 1], floats[m])
    return [points for points in decoded if points is not None]


def _delta2(column: np.ndarray) -> np.ndarray:
    # [x0, x1 - x0, ...] twice; cumsum twice undoes it (wrapping arithmetic both ways). In
    # place on one copy: np.diff's overhead is most of the time on a block's short columns.
    first = column.copy()
    first[1:] -= column[:-1]
    second = first.copy()
    second[1:] -= first[:-1]
    return second


def _zigzag(column: np.ndarray) -> np.ndarray:
    # Small negative deltas become small unsigned numbers (-1 -> 1, 1 -> 2).
    return ((column << 1) ^ (column >> 63)).view(np.uint64)


def _unzigzag(words: np.ndarray) -> np.ndarray:
    return ((words >> np.uint64(1)) ^ (np.uint64(0) - (words & np.uint64(1)))).view(np.int64)


def _xor_previous(bits: np.ndarray) -> np.ndarray:
    out = bits.copy()
    out[1:] ^= bits[:-1]
    return out


def _shuffle(words: np.ndarray) -> bytes:
    # (columns, rows) words -> byte planes: byte k of every word of every column together.
    return np.ascontiguousarray(words.view(np.uint8).reshape(-1, 8).T).tobytes()


def _unshuffle(raw: bytes, width: int, rows: int) -> np.ndarray:
    planes = np.frombuffer(raw, dtype=np.uint8).reshape(8, width * rows)
    return np.ascontiguousarray(planes.T).view(np.uint64).reshape(width, rows)
