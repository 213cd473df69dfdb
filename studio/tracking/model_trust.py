"""Which types in a skops model file may be loaded without anyone approving them.

skops refuses every type it does not know to be safe. Studio trusts scikit-learn's own types
(a forest's `sklearn.tree._tree.Tree`) and `numpy.dtype` (every `SimpleImputer` holds one);
anything else is approved once, on the registered version, by a person. Tracking knows no
feature package, so the policy lives here and the registry and endpoints import it.
"""

from __future__ import annotations

from collections.abc import Iterable

AUTO_TRUSTED_PREFIXES = ("sklearn.",)
AUTO_TRUSTED = frozenset({"numpy.dtype"})
_NOT_SERVABLE_MARKS = ("<lambda>", "<locals>")


def is_auto_trusted(type_name: str) -> bool:
    return type_name in AUTO_TRUSTED or type_name.startswith(AUTO_TRUSTED_PREFIXES)


def needs_approval(types: Iterable[str]) -> list[str]:
    """The types a person must approve before the file is loaded (sorted, unique)."""
    return sorted({name for name in types if not is_auto_trusted(name)})


def not_servable(types: Iterable[str]) -> list[str]:
    """Types no other process can import: defined in a notebook or script (`__main__`), or
    inside a function (a lambda, a local class). `studio serve` could never load them."""
    return sorted(
        {
            name
            for name in types
            if name.startswith("__main__.") or any(mark in name for mark in _NOT_SERVABLE_MARKS)
        }
    )


def trusted_for_loading(untrusted_in_file: Iterable[str], approved: Iterable[str]) -> list[str]:
    """What to pass to skops as `trusted`: the file's auto-trusted types plus the approved
    ones. Never the file's raw list: a file swapped after approval must not vouch for itself."""
    in_file = set(untrusted_in_file)
    return sorted({name for name in in_file if is_auto_trusted(name)} | set(approved))


def untrusted_reasons(types: Iterable[str]) -> dict[str, str]:
    """skops's explanation of why a type is not trusted, for the types it explains (skops
    0.16 explains scikit-learn's tree types; older versions explain none)."""
    # skops imports the whole of scikit-learn: only when a reason is asked for.
    from skops.io import exceptions

    reasons: dict[str, str] = getattr(exceptions, "UNTRUSTED_TYPE_REASONS", {})
    return {name: reasons[name] for name in types if name in reasons}
