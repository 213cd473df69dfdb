"""The chunk codec: every 64-bit pattern comes back, and regular series compress."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from studio.tracking.series.codec import (
    CodecError,
    decode_columns,
    decode_points,
    decode_points_many,
    encode_columns,
    encode_points,
    encode_points_many,
)

# No example database: nothing is written into the checkout.
INT64 = hnp.arrays(np.int64, st.integers(0, 300), elements=st.integers(-(2**63), 2**63 - 1))


def _bits(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).view(np.uint64)


@settings(max_examples=150, deadline=None, database=None)
@given(data=st.data(), size=st.integers(0, 300))
def test_any_points_round_trip_bit_for_bit(data: st.DataObject, size: int) -> None:
    steps = data.draw(hnp.arrays(np.int64, size, elements=st.integers(-(2**63), 2**63 - 1)))
    stamps = data.draw(hnp.arrays(np.int64, size, elements=st.integers(-(2**63), 2**63 - 1)))
    # Raw 64-bit patterns: every NaN payload, both infinities, -0.0 and subnormals.
    bits = data.draw(hnp.arrays(np.uint64, size, elements=st.integers(0, 2**64 - 1)))
    values = bits.view(np.float64)
    got_steps, got_stamps, got_values = decode_points(encode_points(steps, stamps, values))
    assert got_steps.dtype == np.int64
    assert got_steps.tolist() == steps.tolist()
    assert got_stamps.tolist() == stamps.tolist()
    assert _bits(got_values).tolist() == bits.tolist()


@settings(max_examples=50, deadline=None, database=None)
@given(ints=st.lists(INT64, min_size=1, max_size=4), extra=st.integers(0, 3))
def test_any_columns_round_trip(ints: list[np.ndarray], extra: int) -> None:
    rows = len(ints[0])
    ints = [np.resize(column, rows) for column in ints]
    floats = [np.linspace(-1, 1, rows) * (k + 1) for k in range(extra)]
    got_ints, got_floats = decode_columns(encode_columns(ints, floats))
    assert got_ints.shape == (len(ints), rows)
    assert got_floats.shape == (extra, rows)
    assert all(got.tolist() == want.tolist() for got, want in zip(got_ints, ints, strict=True))
    assert all(
        _bits(got).tolist() == _bits(want).tolist()
        for got, want in zip(got_floats, floats, strict=True)
    )


def test_nan_and_infinities_keep_their_bits() -> None:
    quiet, signalling, negative = (
        np.array([bits], dtype=np.uint64).view(np.float64)[0]
        for bits in (0x7FF8000000000001, 0x7FF0000000000002, 0xFFF8000000000000)
    )
    values = np.array([1.5, quiet, np.inf, -np.inf, signalling, -0.0, negative, 0.0])
    steps = np.arange(len(values), dtype=np.int64)
    _, _, got = decode_points(encode_points(steps, steps, values))
    assert _bits(got).tolist() == _bits(values).tolist()


def test_a_regular_chunk_takes_a_few_bytes_a_point() -> None:
    """Steps one apart and an even clock cost almost nothing: the float64 values dominate,
    and a smooth curve's values shrink too (their leading bytes repeat)."""
    n = 4_096
    steps = np.arange(n, dtype=np.int64)
    stamps = 1_700_000_000_000 + steps * 250
    smooth = np.exp(-steps / 1_000.0)
    payload = encode_points(steps, stamps, smooth)
    assert len(payload) < 7 * n
    noisy = smooth + np.random.default_rng(0).normal(0, 0.01, n)
    encoded = len(encode_points(steps, stamps, noisy))
    assert encoded < 8.5 * n
    # The delta and shuffle steps matter: zlib alone (at its default level) leaves half again.
    raw = np.concatenate([steps, stamps]).tobytes() + noisy.tobytes()
    assert len(zlib.compress(raw)) > 1.4 * encoded


@pytest.mark.parametrize(
    "payload",
    [b"", b"\x01", b"\x09" + bytes(20), encode_points(*(np.arange(3),) * 3)[:-4] + b"junk"],
    ids=["empty", "short", "unknown-version", "damaged"],
)
def test_a_foreign_payload_is_refused(payload: bytes) -> None:
    with pytest.raises(CodecError):
        decode_points(payload)


def test_a_block_payload_is_not_a_chunk() -> None:
    with pytest.raises(CodecError, match="not a chunk"):
        decode_points(encode_columns([np.arange(3)], [np.zeros(3)]))


def test_many_payloads_decode_as_each_alone() -> None:
    """Payloads of one length are decoded together: each still reads back exactly."""
    rng = np.random.default_rng(3)
    columns = []
    for rows in (10, 10, 1, 10, 37, 1, 10, 300):
        steps = np.sort(rng.integers(-(2**40), 2**40, rows))
        values = rng.normal(size=rows)
        values[rows // 2] = np.nan
        columns.append((steps, steps * 3 + 1, values))
    payloads = [encode_points(*points) for points in columns]
    for points, decoded in zip(columns, decode_points_many(payloads), strict=True):
        for expected, found in zip(points, decoded, strict=True):
            np.testing.assert_array_equal(found, expected)
            assert found.dtype == expected.dtype
    assert decode_points_many([]) == []
    with pytest.raises(CodecError):
        decode_points_many([payloads[0], payloads[1][:-3]])


def test_many_points_encode_to_the_same_bytes() -> None:
    rng = np.random.default_rng(5)
    columns = []
    for rows in (10, 10, 1, 0, 10, 37, 300, 37):
        steps = np.sort(rng.integers(-(2**62), 2**62, rows))
        values = rng.normal(size=rows)
        if rows > 2:
            values[[0, 2]] = [np.nan, -np.inf]
        columns.append((steps, rng.integers(0, 2**40, rows), values))
    assert encode_points_many(columns) == [encode_points(*points) for points in columns]
