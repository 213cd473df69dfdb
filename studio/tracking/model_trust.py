"""Which types in a skops model file may be loaded without anyone approving them.

skops refuses every type it does not know to be safe. Studio trusts scikit-learn's own types
(a forest's `sklearn.tree._tree.Tree`) and `numpy.dtype` (every `SimpleImputer` holds one);
anything else is approved once, on the registered version, by a person. Tracking knows no
feature package, so the policy lives here and the registry and endpoints import it.

"scikit-learn's own" is checked, not read off the name. A skops file names each type as a
module and an attribute, and whoever writes the file chooses both: scikit-learn's modules
also hold what they import (`sklearn.utils._testing.check_output` is `subprocess`'s), and some
of its own functions fetch URLs, write files or run scripts (datasets, testing helpers). So a
`sklearn.` name is trusted only when the object it names was defined in that very module, and
that module is not one of those.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterable

AUTO_TRUSTED_PREFIXES = ("sklearn.",)
AUTO_TRUSTED = frozenset({"numpy.dtype"})
_NOT_SERVABLE_MARKS = ("<lambda>", "<locals>")
# Parts of scikit-learn no model needs, whose functions reach the network, the file system,
# subprocesses or vendored third-party code.
_NOT_AUTO_TRUSTED_MODULES = (
    "sklearn.__check_build",
    "sklearn._build_utils",
    "sklearn.conftest",
    "sklearn.datasets",
    "sklearn.externals",
    "sklearn.utils._mocking",
    "sklearn.utils._testing",
    "sklearn.utils.estimator_checks",
)


def is_auto_trusted(type_name: str) -> bool:
    if type_name in AUTO_TRUSTED:
        return True
    return type_name.startswith(AUTO_TRUSTED_PREFIXES) and _defined_in_sklearn(type_name)


@functools.lru_cache(maxsize=4096)
def _defined_in_sklearn(type_name: str) -> bool:
    """Whether `module.attribute` names an object scikit-learn defines in that module (skops
    resolves a type as `getattr(import_module(module), attribute)`)."""
    module_name, _, attribute = type_name.rpartition(".")
    parts = module_name.split(".")
    if not attribute or "tests" in parts or "" in parts:
        return False
    if any(
        module_name == refused or module_name.startswith(f"{refused}.")
        for refused in _NOT_AUTO_TRUSTED_MODULES
    ):
        return False
    try:
        module = importlib.import_module(module_name)
    except Exception:  # not importable here: it cannot be vouched for
        return False
    found = getattr(module, attribute, None)
    return found is not None and getattr(found, "__module__", None) == module_name


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
