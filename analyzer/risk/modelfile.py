"""Checks of a model file's fields (what :func:`analyzer.risk.scoring.load_model` refuses, and why)."""

from __future__ import annotations

import json
from typing import Any

from analyzer.errors import ModelFileError
from analyzer.risk.features import FEATURES

#: Hyper-parameters a model file may set, and their type.
PARAMS = {"C": float, "max_iter": int, "tol": float}
#: Evidence fields of a driver entry (each a string when present).
_DRIVER_FIELDS = ("source", "grade", "note")


def is_number(value: Any, *, integer: bool = False) -> bool:
    """A JSON number (int or float, not a boolean, not a string); whole when ``integer``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if integer:
        return isinstance(value, int) or value.is_integer()
    return True


def checked_drivers(drivers: Any, name: str) -> dict[str, dict[str, str]] | None:
    """The ``drivers`` evidence of a model file, checked: ``{feature: {source, grade, note}}``."""
    if drivers is None:
        return None
    if not isinstance(drivers, dict):
        raise ModelFileError(f"{name}: 'drivers' must be an object of feature: evidence")
    for feature, entry in drivers.items():
        if feature not in FEATURES:
            raise ModelFileError(
                f"{name}: drivers: unknown feature {feature!r}; this analyzer knows "
                f"{list(FEATURES)}"
            )
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(k), str) for k in _DRIVER_FIELDS if k in entry
        ):
            raise ModelFileError(
                f"{name}: drivers.{feature} must be an object with text fields "
                f"{list(_DRIVER_FIELDS)}, got {json.dumps(entry)[:60]}"
            )
    return drivers
