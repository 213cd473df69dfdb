"""Autolog never breaks the user's code: what fails while logging becomes an `AutologWarning`
pointing at the user's line, and the call goes on."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["AutologWarning", "guard"]

_AUTOLOG_MODULES = "studio.tracking.autolog"  # autolog.py and its autolog_*.py helpers


class AutologWarning(UserWarning):
    """Autolog could not log something; the fit itself went through unchanged."""


def guard(what: str, function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Call `function`; if it fails, warn and return None, so that the fit goes on."""
    try:
        return function(*args, **kwargs)
    except Exception as exc:
        warnings.warn(
            f"Studio autolog could not log {what}: {type(exc).__name__}: {exc}",
            AutologWarning,
            stacklevel=_caller_level(),
        )
        return None


def _caller_level() -> int:
    """The stacklevel that points a warning at the user's line, past autolog and sklearn."""
    level, frame = 2, sys._getframe(2)  # 1 is guard
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith(
        (_AUTOLOG_MODULES, "sklearn.")
    ):
        level, frame = level + 1, frame.f_back
    return level
