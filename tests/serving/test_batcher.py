"""The adaptive batcher: one predict for many callers, each given exactly its own rows."""

from __future__ import annotations

import asyncio

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PowerTransformer

from studio.serving.batcher import Batcher
from tests.databases import sqlite_only

pytestmark = sqlite_only  # no store: once is enough

COLUMNS = ["a", "b", "c"]


def _frames(count: int, seed: int = 0) -> list[pd.DataFrame]:
    generator = np.random.default_rng(seed)
    return [
        pd.DataFrame(generator.uniform(0.5, 5, size=(1 + i % 5, 3)), columns=COLUMNS)
        for i in range(count)
    ]


@pytest.fixture(scope="module")
def regression() -> LinearRegression:
    generator = np.random.default_rng(1)
    X = pd.DataFrame(generator.normal(size=(50, 3)), columns=COLUMNS)
    return LinearRegression().fit(X, X @ np.array([1.0, -2.0, 3.0]) + 0.5)


async def _gather(batcher: Batcher, frames: list[pd.DataFrame]) -> list[object]:
    return await asyncio.gather(
        *(batcher.predict(frame) for frame in frames), return_exceptions=True
    )


def test_concurrent_callers_get_their_own_rows_from_fewer_predicts(
    regression: LinearRegression,
) -> None:
    frames = _frames(200)
    sizes: list[int] = []

    def predict(frame: pd.DataFrame) -> np.ndarray:
        sizes.append(len(frame))
        return np.asarray(regression.predict(frame))

    batcher = Batcher(predict)
    answers = asyncio.run(_gather(batcher, frames))
    for frame, answer in zip(frames, answers, strict=True):
        assert isinstance(answer, np.ndarray)
        np.testing.assert_allclose(answer, regression.predict(frame))
    assert batcher.requests == 200
    assert batcher.batches == len(sizes) < 200
    assert max(sizes) <= 64
    assert sum(sizes) == sum(len(frame) for frame in frames)


def test_a_lone_request_is_predicted_alone_at_once(regression: LinearRegression) -> None:
    batcher = Batcher(regression.predict)

    async def one_after_another() -> None:
        for frame in _frames(3):
            np.testing.assert_allclose(await batcher.predict(frame), regression.predict(frame))

    asyncio.run(one_after_another())
    assert batcher.batches == 3


def test_a_request_the_model_refuses_fails_alone() -> None:
    # Box-Cox is defined for positive values only: scikit-learn raises on anything else.
    generator = np.random.default_rng(2)
    X = pd.DataFrame(generator.uniform(0.5, 5, size=(60, 3)), columns=COLUMNS)
    model = make_pipeline(PowerTransformer(method="box-cox"), LogisticRegression())
    model.fit(X, (X["a"] > 2.5).astype(int))
    frames = _frames(30, seed=3)
    frames[7] = frames[7].assign(a=-1.0)
    batcher = Batcher(model.predict)
    answers = asyncio.run(_gather(batcher, frames))
    assert isinstance(answers[7], ValueError)
    assert "strictly positive" in str(answers[7])
    for index, (frame, answer) in enumerate(zip(frames, answers, strict=True)):
        if index != 7:
            assert isinstance(answer, np.ndarray)
            np.testing.assert_array_equal(answer, model.predict(frame))


def test_a_timer_batcher_gathers_requests_that_arrive_apart(
    regression: LinearRegression,
) -> None:
    batcher = Batcher(regression.predict, max_rows=512, max_wait=0.05)
    frames = _frames(10)

    async def trickle() -> list[object]:
        calls = []
        for frame in frames:
            calls.append(asyncio.ensure_future(batcher.predict(frame)))
            await asyncio.sleep(0.002)
        return list(await asyncio.gather(*calls))

    answers = asyncio.run(trickle())
    for frame, answer in zip(frames, answers, strict=True):
        np.testing.assert_allclose(np.asarray(answer), regression.predict(frame))
    assert batcher.batches == 1


def test_a_model_answering_the_wrong_number_of_rows_is_an_error() -> None:
    batcher = Batcher(lambda frame: np.zeros(len(frame) + 1))
    answers = asyncio.run(_gather(batcher, _frames(1)))
    assert isinstance(answers[0], RuntimeError)
    assert "predictions for" in str(answers[0])
