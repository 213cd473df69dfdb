"""The router: weighted draws among primaries, variants by name, shadows by sampling share."""

from __future__ import annotations

import collections

import numpy as np
import pytest
from scipy.stats import chisquare
from sklearn.dummy import DummyClassifier

from studio.serving.batcher import LoadedModel
from studio.serving.entities import EndpointConfig, ServedVariant, VariantRole
from studio.serving.router import Router
from studio.serving.scoring import ScoringError
from tests.databases import sqlite_only

pytestmark = sqlite_only  # no store: once is enough


def _variant(
    name: str, weight: float, role: VariantRole = VariantRole.PRIMARY, sampling: float = 1.0
) -> ServedVariant:
    return ServedVariant(
        name=name,
        role=role,
        weight=weight,
        sampling=sampling,
        model_uri=f"models:/m/{name}",
        model_version_id=1,
        model_name="m",
        model_version=1,
        storage_path=f"models/1/{name}",
        format="skops",
        sha256=name * 8,
        trusted_types=(),
        signature=None,
        input_example=None,
    )


def _router(*variants: ServedVariant) -> Router:
    model = DummyClassifier().fit(np.zeros((2, 1)), [0, 1])
    config = EndpointConfig(
        endpoint_id=1,
        name="e",
        config_version=1,
        capture=0.0,
        task=None,
        token_hash=None,
        variants=variants,
    )
    models = {v.name: LoadedModel((v.storage_path, v.sha256), model) for v in variants}
    return Router(config, (1, 0), models)


def test_the_split_follows_the_weights() -> None:
    router = _router(_variant("A", 3.0), _variant("B", 1.0), _variant("C", 0.0))
    draws = collections.Counter(router.choose().name for _ in range(8000))
    assert set(draws) == {"A", "B"}  # weight 0: only by name
    result = chisquare([draws["A"], draws["B"]], [6000, 2000])
    assert result.pvalue > 0.001


def test_a_target_variant_is_chosen_by_name_and_an_unknown_one_named_back() -> None:
    router = _router(_variant("A", 1.0), _variant("Z", 0.0), _variant("S", 0.0, VariantRole.SHADOW))
    assert {router.choose("Z").name for _ in range(20)} == {"Z"}
    assert router.choose("S").shadow
    with pytest.raises(ScoringError) as caught:
        router.choose("nope")
    assert caught.value.status == 400
    assert "'nope'" in caught.value.message
    assert "A, S, Z" in caught.value.message


def test_shadows_get_their_sampling_share_of_primary_traffic_only() -> None:
    router = _router(
        _variant("A", 1.0),
        _variant("S1", 0.0, VariantRole.SHADOW, sampling=1.0),
        _variant("S2", 0.0, VariantRole.SHADOW, sampling=0.25),
    )
    primary = router.choose()
    copies = collections.Counter(s.name for _ in range(4000) for s in router.shadows_for(primary))
    assert copies["S1"] == 4000
    assert chisquare([copies["S2"], 4000 - copies["S2"]], [1000, 3000]).pvalue > 0.001
    assert router.shadows_for(router.choose("S1")) == []


def test_no_primary_with_weight_is_a_503_not_a_crash() -> None:
    router = _router(_variant("A", 0.0))
    with pytest.raises(ScoringError) as caught:
        router.choose()
    assert caught.value.status == 503
