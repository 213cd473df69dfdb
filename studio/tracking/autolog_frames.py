"""Which fits are the user's: autolog logs those, never the fits scikit-learn makes inside its
own functions, nor those Studio makes for the user (`studio.evaluate`'s folds, the debugger's
`watch`), which Studio logs its own way. Told apart by the frames that lead to the fit, not by
a list of classes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types import FrameType


def fitted_by_sklearn(estimator: Any, caller: FrameType | None) -> bool:
    """Whether scikit-learn made this fit inside a function of its own, not for the user: a
    metric fitting a LabelEncoder, `compute_class_weight`, `cross_val_predict`'s folds; or
    Studio's own code did.

    The frames between the user's code and the fit are walked back. The user's own fit
    reaches here straight from their code, or through scikit-learn methods of the same
    estimator (`LocalOutlierFactor.fit_predict` calls `self.fit`). Any other scikit-learn frame
    on the way (a function, or a method of another object) means scikit-learn chose to fit.
    """
    frame = caller
    while frame is not None and in_sklearn(frame):
        code = frame.f_code
        if not code.co_argcount or frame.f_locals.get(code.co_varnames[0]) is not estimator:
            return True
        frame = frame.f_back
    return frame is not None and in_studio(frame)


def in_sklearn(frame: FrameType) -> bool:
    module = frame.f_globals.get("__name__", "")
    return isinstance(module, str) and (module == "sklearn" or module.startswith("sklearn."))


def in_studio(frame: FrameType) -> bool:
    """A frame of Studio's own package (whose fits and metric calls are not the user's)."""
    module = frame.f_globals.get("__name__", "")
    return isinstance(module, str) and module.startswith("studio.")
