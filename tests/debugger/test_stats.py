"""The debugger's statistics against a numpy brute force written from the definitions.

The brute force (`expected`) is written straight from `studio.debugger.stats`' docstring, one
tensor at a time in float64, so that both backends (`numpy_stats`, `torch_stats`) are checked
against the definitions rather than against each other.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from studio.debugger.stats import (
    INF,
    MAX,
    MEAN,
    MIN,
    NAN,
    STATS,
    STD,
    ZEROS,
    Bins,
    numpy_histograms,
    numpy_stats,
)

torch = pytest.importorskip("torch")

from studio.debugger.torch_stats import (  # noqa: E402
    TensorStats,
    torch_histograms,
    torch_stats,
)


def expected(array: npt.NDArray[np.generic]) -> list[float]:
    x = np.asarray(array, dtype=np.float64).reshape(-1)
    finite = x[np.isfinite(x)]
    has = finite.size > 0
    return [
        float(x.size),
        float(finite.mean()) if has else np.nan,
        float(finite.std()) if has else np.nan,
        float(finite.min()) if has else np.nan,
        float(finite.max()) if has else np.nan,
        float(np.abs(finite).sum()),
        float(np.sqrt((finite * finite).sum())),
        float((x == 0).sum() / x.size) if x.size else np.nan,
        float(np.isnan(x).sum()),
        float(np.isinf(x).sum()),
    ]


def check(got: npt.NDArray[np.float64], arrays: list[npt.NDArray[np.generic]], rtol: float) -> None:
    assert got.shape == (len(arrays), len(STATS))
    assert got.dtype == np.float64
    for row, array in zip(got, arrays, strict=True):
        want = np.array(expected(array))
        scale = float(np.max(np.abs(array[np.isfinite(array)]), initial=0.0)) if array.size else 0
        # std's error is relative to the values' magnitude, not to std itself.
        atol = np.full(len(STATS), 0.0)
        atol[[MEAN, STD]] = rtol * scale
        close = np.isclose(row, want, rtol=rtol, atol=atol, equal_nan=True)
        assert close.all(), f"{[STATS[i] for i in np.flatnonzero(~close)]}: {row} != {want}"


nan, inf = float("nan"), float("inf")

CASES: dict[str, list[npt.NDArray[np.generic]]] = {
    "mixed": [
        np.random.default_rng(0).normal(size=(50, 30)).astype(np.float32),
        np.array([1.0, nan, inf, 0.0, -inf, -2.5], dtype=np.float32),
        np.zeros(0, dtype=np.float32),
        np.full(7, nan, dtype=np.float32),
        np.array([inf, -inf], dtype=np.float32),
        np.zeros((3, 4), dtype=np.float32),
        np.full(1000, 0.1, dtype=np.float32),
        np.array([-3.0], dtype=np.float32),
    ],
    "integers": [np.arange(-5, 17, dtype=np.int64), np.array([0, 0, 7], dtype=np.int32)],
    "booleans": [np.array([True, False, False, True, True])],
    "float64": [np.random.default_rng(1).normal(3, 1e-3, size=999), np.array([1e150, -1e150])],
    "empty_only": [np.zeros(0, dtype=np.float32)],
    "one_number_each": [
        np.array([2.5]),
        np.array([nan]),
        np.array([-inf], dtype=np.float32),
        np.array([0.0]),
        np.array([-3]),
        np.array([[True]]),
    ],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_numpy_backend_follows_the_definitions(case: str) -> None:
    check(numpy_stats(CASES[case]), CASES[case], rtol=1e-10)


@pytest.mark.parametrize("case", sorted(CASES))
def test_torch_backend_follows_the_definitions(case: str) -> None:
    arrays = CASES[case]
    got = torch_stats([torch.from_numpy(a) for a in arrays])
    float64 = all(a.dtype != np.float32 for a in arrays)
    check(got, arrays, rtol=1e-10 if float64 else 1e-5)


def test_a_nan_or_an_infinity_leaves_the_finite_statistics_usable() -> None:
    got = torch_stats([torch.tensor([2.0, nan, 4.0, inf, -inf, 0.0])])[0]
    assert got[MEAN] == pytest.approx(2.0)
    assert (got[MIN], got[MAX]) == (0.0, 4.0)
    assert (got[NAN], got[INF]) == (1.0, 2.0)
    assert got[ZEROS] == pytest.approx(1 / 6)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_is_computed_in_float32(dtype: str) -> None:
    values = torch.randn(4096, generator=torch.Generator().manual_seed(2)) * 50
    values[::97] = 0.0
    values[5], values[6] = nan, inf
    half = values.to(getattr(torch, dtype))
    got = torch_stats([half, half.reshape(64, 64).T])
    reference = half.float().numpy()
    check(got, [reference, reference], rtol=1e-5)


def test_a_constant_tensor_has_a_tiny_std() -> None:
    got = torch_stats([torch.full((100_000,), 0.1), torch.full((10,), 7, dtype=torch.int64)])
    assert got[0, STD] < 1e-4 * 0.1
    assert got[1, STD] == 0.0


def test_many_tensors_of_mixed_dtypes_keep_their_order() -> None:
    generator = torch.Generator().manual_seed(3)
    tensors = []
    for i in range(60):
        shape = (int(torch.randint(0, 40, (1,), generator=generator)), 3)
        dtype = [torch.float32, torch.float64, torch.float16, torch.int64][i % 4]
        tensors.append((torch.randn(shape, generator=generator) * 10).to(dtype))
    got = torch_stats(tensors)
    check(
        got, [t.float().numpy() if t.dtype == torch.float16 else t.numpy() for t in tensors], 1e-5
    )


def test_a_reused_computer_answers_each_list_alone() -> None:
    computer = TensorStats()
    big = [torch.randn(1000), torch.randn(50)]
    small = [torch.ones(3)]
    first = torch_stats(big, computer)
    second = torch_stats(small, computer)
    third = torch_stats(big, computer)
    np.testing.assert_array_equal(first, third)
    assert second[0, MIN] == second[0, MAX] == 1.0


def test_the_tensors_are_not_changed() -> None:
    tensor = torch.tensor([1.0, nan, -inf, 3.0])
    before = tensor.clone()
    torch_stats([tensor, tensor[1:]])
    torch.testing.assert_close(tensor, before, equal_nan=True)


# Magnitudes from 1e-6 (2**-20): float32 squares of smaller ones underflow, in any float32 backend.
finite_or_not = st.one_of(
    st.builds(
        lambda magnitude, sign: magnitude * sign,
        st.floats(2.0**-20, 2.0**20, width=32),
        st.sampled_from([-1.0, 1.0]),
    ),
    st.sampled_from([0.0, nan, inf, -inf]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(hnp.arrays(np.float32, st.integers(0, 40), elements=finite_or_not), max_size=6))
def test_both_backends_match_the_brute_force_on_any_float32_lists(
    arrays: list[npt.NDArray[np.float32]],
) -> None:
    check(numpy_stats(arrays), arrays, rtol=1e-6)
    check(torch_stats([torch.from_numpy(a) for a in arrays]), arrays, rtol=1e-5)


def brute_histogram(array: npt.NDArray[np.generic], bins: Bins) -> npt.NDArray[np.float64]:
    x = np.asarray(array, dtype=np.float64).reshape(-1)
    x = np.clip(x[np.isfinite(x)], bins.low, bins.high)
    counts, _ = np.histogram(x, bins=bins.edges)
    return counts.astype(np.float64)


def test_histograms_count_each_finite_value_in_a_fixed_bin() -> None:
    bins = Bins(-2.0, 2.0, 16)
    arrays = [
        np.random.default_rng(4).normal(size=3000).astype(np.float32),
        np.array([nan, inf, -inf, 5.0, -5.0, 0.0], dtype=np.float32),
        np.zeros(0, dtype=np.float32),
        np.arange(-3, 4, dtype=np.int64),
    ]
    want = np.stack([brute_histogram(a, bins) for a in arrays])
    np.testing.assert_array_equal(numpy_histograms(arrays, bins), want)
    np.testing.assert_array_equal(
        torch_histograms([torch.from_numpy(a) for a in arrays], bins), want
    )


def test_bins_refuse_an_empty_range() -> None:
    with pytest.raises(ValueError, match="low < high"):
        Bins(1.0, 1.0)
    with pytest.raises(ValueError, match="at least one bin"):
        Bins(count=0)


def test_the_statistics_import_without_the_server_stack() -> None:
    code = (
        "import sys, studio.debugger.stats, studio.debugger.torch_stats\n"
        "heavy = ('sqlalchemy', 'tornado', 'jupyter_server', 'jupyter_client', 'pydantic',"
        " 'alembic', 'pandas', 'sklearn')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_tensors_across_several_blocks_with_non_finite_values_far_from_zero() -> None:
    # Sizes around the workspace's block size (256): every element and every pad must count
    # where it belongs; values far from 0 make a non-finite element taken for 0 visible in
    # the extremes, and a deviation taken from 0 visible in the std.
    rng = np.random.default_rng(5)
    arrays = [(100 + rng.normal(size=size)).astype(np.float32) for size in (255, 256, 257, 1000)]
    arrays.append(np.array([-7.5], dtype=np.float32))
    arrays[0][254], arrays[1][0], arrays[2][256], arrays[3][[0, 511, 999]] = nan, inf, -inf, nan
    arrays[3][300] = inf
    tensors = [torch.from_numpy(a) for a in arrays]
    check(torch_stats(tensors), arrays, rtol=1e-5)
    bins = Bins(98.0, 102.0, 8)
    want = np.stack([brute_histogram(a, bins) for a in arrays])
    np.testing.assert_array_equal(torch_histograms(tensors, bins), want)
