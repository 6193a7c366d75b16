"""CLI command groups. Each module has ``register(subparsers)``; handlers return an exit code."""

from __future__ import annotations

import math
from typing import Any


def json_value(v: Any) -> Any:
    """One value as plain JSON: numpy scalars → Python, times → ISO 8601, NaN/NaT/inf → None."""
    if v is None:
        return None
    if hasattr(v, "isoformat"):
        return None if v != v else v.isoformat()  # NaT != NaT
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    try:
        missing = bool(v != v)  # NaN-likes are not equal to themselves
    except TypeError:  # pandas.NA refuses to be a bool: it is missing too
        missing = True
    return None if missing else v
