"""Which tensors a hook saves: collections, then include and exclude regexes on saved names;
and which modules' outputs are the activations.

By default (`collections=None`) a hook saves what its rules need: the union of their
`Rule.collections`, plus the losses; every collection where a rule asks for none (it looks at
whatever is saved) or where there are no rules. No import of torch at run time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from studio.debugger.record import COLLECTIONS, collection_of

if TYPE_CHECKING:
    from torch import nn

    from studio.debugger.rules.base import Rule

__all__ = ["Selection", "activation_modules", "collections_for"]


def collections_for(rules: Sequence[Rule]) -> frozenset[str]:
    """The collections that `rules` need (see the module)."""
    if not rules or any(not rule.collections for rule in rules):
        return frozenset(COLLECTIONS)
    return frozenset(c for rule in rules for c in rule.collections) | {"losses"}


def _patterns(patterns: str | Iterable[str] | None) -> list[re.Pattern[str]]:
    if patterns is None:
        return []
    if isinstance(patterns, str):
        patterns = [patterns]
    return [re.compile(p) for p in patterns]


class Selection:
    """The collections to save, and the regexes that saved names must match (`include`: any of
    them, where given) and must not match (`exclude`: none of them). Regexes are searched, not
    anchored: "fc1" keeps "weights/fc1.weight" and "gradients/fc1.weight"."""

    def __init__(
        self,
        collections: Iterable[str],
        include: str | Iterable[str] | None = None,
        exclude: str | Iterable[str] | None = None,
    ) -> None:
        self.collections = frozenset(collections)
        unknown = sorted(self.collections - set(COLLECTIONS))
        if unknown:
            raise ValueError(f"Unknown collections {unknown}: choose among {COLLECTIONS}.")
        self._include = _patterns(include)
        self._exclude = _patterns(exclude)
        self._kept: dict[str, bool] = {}

    def keeps(self, name: str) -> bool:
        """Whether the saved tensor `name` is kept (its collection chosen, the regexes met)."""
        kept = self._kept.get(name)
        if kept is None:
            kept = (
                collection_of(name) in self.collections
                and (not self._include or any(p.search(name) for p in self._include))
                and not any(p.search(name) for p in self._exclude)
            )
            self._kept[name] = kept
        return kept


def activation_modules(
    model: nn.Module, modules: Sequence[str | nn.Module] | None = None
) -> list[tuple[str, nn.Module]]:
    """The modules whose outputs are saved as activations, with their names: `modules` (names
    or modules of `model`), or every leaf module (the model itself where it has no children,
    named by its class)."""
    named = list(model.named_modules())
    if modules is None:
        leaves = [(name, m) for name, m in named if not any(m.children())]
        return [(name or type(m).__name__, m) for name, m in leaves]
    names = {id(m): name for name, m in named}
    by_name = dict(named)
    chosen = []
    for module in modules:
        if isinstance(module, str):
            if module not in by_name:
                raise ValueError(f"The model has no module named {module!r}.")
            chosen.append((module, by_name[module]))
        elif id(module) in names:
            chosen.append((names[id(module)] or type(module).__name__, module))
        else:
            raise ValueError(f"{type(module).__name__} is not a module of the model.")
    return chosen
