"""Shadow copies: never awaited by the answer, bounded, their errors counted (the recorder's
side is in test_asgi.py, with the real recorder)."""

from __future__ import annotations

import asyncio
import json

import pandas as pd
from sklearn.linear_model import LinearRegression

from studio.serving.batcher import LoadedModel
from studio.serving.entities import ServedVariant, VariantRole
from studio.serving.router import RoutedVariant
from studio.serving.shadow import ShadowCopy, ShadowSender
from tests.databases import sqlite_only

pytestmark = sqlite_only  # no store: once is enough

SIGNATURE = {
    "inputs": [{"name": "a", "dtype": "double"}, {"name": "b", "dtype": "double"}],
    "outputs": {"dtype": "double"},
}


def _shadow() -> RoutedVariant:
    X = pd.DataFrame({"a": [0.0, 1.0, 2.0], "b": [1.0, 0.0, 1.0]})
    model = LinearRegression().fit(X, [1.0, 2.0, 3.0])
    served = ServedVariant(
        name="S",
        role=VariantRole.SHADOW,
        weight=0.0,
        sampling=1.0,
        model_uri="models:/m/1",
        model_version_id=1,
        model_name="m",
        model_version=1,
        storage_path="models/1/1",
        format="skops",
        sha256="0" * 64,
        trusted_types=(),
        signature=SIGNATURE,
        input_example=None,
    )
    return RoutedVariant(served, LoadedModel(("models/1/1", "0" * 64), model))


def _copy(data: list[list[object]], request_id: str) -> ShadowCopy:
    body = json.dumps({"dataframe_split": {"columns": ["a", "b"], "data": data}}).encode()
    return ShadowCopy(request_id, body, "application/json", max_rows=100)


def test_copies_beyond_the_bound_are_dropped_and_counted() -> None:
    shadow = _shadow()
    sender = ShadowSender(recorder=None, max_pending=3)

    async def scenario() -> None:
        for index in range(10):  # no await between: none of them has started yet
            sender.send(shadow, _copy([[1.0, 2.0]], f"r{index}"))
        assert sender.pending == 3
        await sender.drain(5.0)

    asyncio.run(scenario())
    assert (sender.sent, sender.failed, sender.dropped, sender.pending) == (3, 0, 7, 0)
    assert shadow.loaded.shadows.batches == 1  # the timer gathered the three


def test_a_copy_that_does_not_fit_the_shadow_is_counted_not_raised() -> None:
    shadow = _shadow()
    sender = ShadowSender(recorder=None)

    async def scenario() -> None:
        sender.send(shadow, _copy([[1.0]], "ragged"))  # one value for two columns
        sender.send(shadow, _copy([["x", 1.0]], "text"))
        sender.send(shadow, _copy([[1.0, 1.0]], "fine"))
        await sender.drain(5.0)

    asyncio.run(scenario())
    assert (sender.sent, sender.failed) == (3, 2)
