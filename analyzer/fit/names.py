"""Names for FIT profile enums (sport, manufacturer, product, file type...).

Names come from the Garmin FIT SDK profile shipped in ``garmin_fit_sdk`` (newer than fitparse's,
which shows e.g. the fenix 6 and COROS only as numbers); a value the profile does not know is
returned as its number in decimal.

A field written with another base type than the profile's (a product name as a number, a
manufacturer as a string or a float) is read as absent: :func:`as_int` and :func:`as_text`
accept only what the profile's type can hold, so such a file decodes instead of raising.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np

#: Manufacturers whose ``product`` field is a ``garmin_product`` (FIT profile, subfield
#: ``garmin_product`` of file_id/device_info ``product``).
GARMIN_PRODUCT_MANUFACTURERS = frozenset({"garmin", "dynastream", "dynastream_oem", "tanita"})


#: FIT enums and integer ids are at most 32-bit unsigned (uint32 serial numbers; enums, uint16
#: products and manufacturers fit well inside).
_MAX_ID = 1 << 32


def as_int(value) -> int | None:
    """``value`` as an int when it is a whole, finite number in ``[0, 2**32)``; else None.

    None, NaN, infinities, fractions, negative numbers, strings and booleans (all of which a
    damaged or hand-made file can put into an enum or id field) give None.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        return None
    number = float(value)
    if not math.isfinite(number) or number != math.floor(number) or not 0 <= number < _MAX_ID:
        return None
    return int(number)


def as_text(value) -> str | None:
    """``value`` stripped when it is a non-blank string; else None (e.g. a number written
    where the profile has a string)."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


@cache
def _types() -> dict:
    from garmin_fit_sdk import Profile

    return Profile["types"]


def enum_name(type_name: str, value) -> str | None:
    """The profile name of ``value`` in enum ``type_name``; ``None`` for a missing or unusable
    value (see :func:`as_int`).

    Parameters
    ----------
    type_name : str
        Profile type, e.g. ``"sport"``, ``"sub_sport"``, ``"file"``, ``"manufacturer"``.
    value : float or int or None
        The raw enum value.
    """
    number = as_int(value)
    if number is None:
        return None
    return _types().get(type_name, {}).get(number, str(number))


def product_name(
    manufacturer: str | None, product, product_string: str | None = None
) -> str | None:
    """A readable product name.

    The profile's Garmin product name when the manufacturer uses Garmin product numbers and the
    profile knows it, else the product name string the device wrote, else the number.
    """
    number = as_int(product)
    if number is not None and manufacturer in GARMIN_PRODUCT_MANUFACTURERS:
        name = enum_name("garmin_product", number)
        if name and not name.isdigit():
            return name
    text = as_text(product_string)
    if text is not None:
        return text
    return None if number is None else str(number)
