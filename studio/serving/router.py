"""Which variant answers a request, and which shadows get a copy of it.

A `Router` is one configuration version made immutable: a worker builds a new one when the
configuration changes and swaps it in with one assignment. Each request reads the worker's
router once and keeps that snapshot to the end, so a change never splits a request between
two configurations, and requests in flight finish on the models they started with.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.serving.entities import EndpointConfig, ServedVariant, VariantRole
from studio.serving.scoring import ScoringError

if TYPE_CHECKING:
    from studio.serving.batcher import LoadedModel

__all__ = ["RoutedVariant", "Router"]


@dataclass(frozen=True)
class RoutedVariant:
    served: ServedVariant
    loaded: LoadedModel

    @property
    def name(self) -> str:
        return self.served.name

    @property
    def shadow(self) -> bool:
        return self.served.role is VariantRole.SHADOW


class Router:
    def __init__(
        self,
        config: EndpointConfig,
        stamp: tuple[int, int],
        models: Mapping[str, LoadedModel],
    ) -> None:
        """`models`: each variant's loaded model, by variant name."""
        self.config = config
        self.stamp = stamp
        self.variants: dict[str, RoutedVariant] = {
            served.name: RoutedVariant(served, models[served.name]) for served in config.variants
        }
        # Weight 0: reachable only by its name in X-Target-Variant.
        taking_traffic = [
            variant
            for variant in self.variants.values()
            if not variant.shadow and variant.served.weight > 0
        ]
        self._weighted = tuple(taking_traffic)
        self._cumulative = tuple(
            itertools.accumulate(variant.served.weight for variant in taking_traffic)
        )
        self.shadows = tuple(variant for variant in self.variants.values() if variant.shadow)

    def choose(self, target: str | None = None) -> RoutedVariant:
        """The variant named by `target` (any of the endpoint's), or a primary drawn by
        weight."""
        if target is not None:
            chosen = self.variants.get(target)
            if chosen is None:
                known = ", ".join(sorted(self.variants))
                raise ScoringError(
                    400,
                    "UNKNOWN_VARIANT",
                    f"X-Target-Variant names {target[:64]!r}, which endpoint "
                    f"{self.config.name!r} does not have; its variants: {known}.",
                )
            return chosen
        if not self._weighted:
            raise ScoringError(
                503,
                "NO_TRAFFIC_VARIANT",
                f"Endpoint {self.config.name!r} has no primary variant with a weight above 0; "
                "name one in X-Target-Variant.",
            )
        return random.choices(self._weighted, cum_weights=self._cumulative)[0]

    def shadows_for(self, chosen: RoutedVariant) -> list[RoutedVariant]:
        """The shadows that get a copy of a request answered by `chosen`, each drawn by its
        sampling share. A request sent to a shadow by name is not copied again."""
        if chosen.shadow:
            return []
        return [shadow for shadow in self.shadows if random.random() < shadow.served.sampling]

    def model_keys(self) -> set[tuple[str, str]]:
        return {variant.loaded.key for variant in self.variants.values()}
