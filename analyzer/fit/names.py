"""Names for FIT profile enums (sport, manufacturer, product, file type...).

Names come from the Garmin FIT SDK profile shipped in ``garmin_fit_sdk`` (newer than fitparse's,
which shows e.g. the fenix 6 and COROS only as numbers); a value the profile does not know is
returned as its number in decimal.
"""

from __future__ import annotations

import math
from functools import cache

#: Manufacturers whose ``product`` field is a ``garmin_product`` (FIT profile, subfield
#: ``garmin_product`` of file_id/device_info ``product``).
GARMIN_PRODUCT_MANUFACTURERS = frozenset({"garmin", "dynastream", "dynastream_oem", "tanita"})


@cache
def _types() -> dict:
    from garmin_fit_sdk import Profile

    return Profile["types"]


def enum_name(type_name: str, value) -> str | None:
    """The profile name of ``value`` in enum ``type_name``; ``None`` for NaN/None.

    Parameters
    ----------
    type_name : str
        Profile type, e.g. ``"sport"``, ``"sub_sport"``, ``"file"``, ``"manufacturer"``.
    value : float or int or None
        The raw enum value.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    number = int(value)
    return _types().get(type_name, {}).get(number, str(number))


def product_name(
    manufacturer: str | None, product, product_string: str | None = None
) -> str | None:
    """A readable product name.

    The profile's Garmin product name when the manufacturer uses Garmin product numbers and the
    profile knows it, else the product name string the device wrote, else the number.
    """
    valid = not (product is None or (isinstance(product, float) and math.isnan(product)))
    if valid and manufacturer in GARMIN_PRODUCT_MANUFACTURERS:
        name = enum_name("garmin_product", product)
        if name and not name.isdigit():
            return name
    if product_string and product_string.strip():
        return product_string.strip()
    return str(int(product)) if valid else None
