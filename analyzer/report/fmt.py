"""Words and numbers as the HTML page and the terminal show them: plurals, "no data", file names,
and the display units (metric or imperial).

The report dict stays SI (km, m/s, mm, ms); only what a person reads is converted here.

Units
-----
``metric`` (default): distance in km, pace in min/km, speed in m/s.
``imperial``: distance in miles, pace in min/mile, speed in mph.

Running dynamics keep their conventional units in both: ground contact time in ms, vertical
oscillation and step length in mm, vertical ratio and GCT balance in %, cadence in steps/min.
Watches, Garmin's colour bands and the studies cited in the report all give them so; converting
oscillation to inches would only make them harder to compare with those sources.
"""

from __future__ import annotations

import math
import re
from typing import Any

#: Display unit systems.
UNIT_SYSTEMS: tuple[str, ...] = ("metric", "imperial")

#: Metres in an international mile.
METRES_PER_MILE = 1609.344

#: What prose says where a value is missing (tables show a dash).
NO_DATA = "no data"


def plural(n: Any, word: str, words: str | None = None) -> str:
    """``"1 run"``, ``"3 runs"``; ``words`` gives an irregular plural."""
    try:
        count = int(n)
    except (TypeError, ValueError):
        return f"{n} {words or word + 's'}"
    return f"{count:,} {word if count == 1 else (words or word + 's')}"


def file_name(source_name: Any) -> str | None:
    """The file's own name, without the folders that lead to it (a report may be mailed).

    ``/home/ann/exports/run.fit`` gives ``run.fit``; a zip member
    ``/home/ann/export.zip!DI_CONNECT/x/123.fit`` gives ``123.fit``; Windows paths too.
    """
    if source_name is None:
        return None
    text = str(source_name)
    return re.split(r"[/\\!]", text)[-1] or text


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return not math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


class Units:
    """Formatting of distances, paces and speeds in one unit system.

    Parameters
    ----------
    system : {"metric", "imperial"}
    """

    def __init__(self, system: str = "metric") -> None:
        if system not in UNIT_SYSTEMS:
            raise ValueError(f"units must be one of {', '.join(UNIT_SYSTEMS)}, got {system!r}")
        self.system = system
        self.imperial = system == "imperial"
        #: Short distance unit and pace unit as printed.
        self.distance_unit = "mi" if self.imperial else "km"
        self.pace_unit = "min/mi" if self.imperial else "min/km"
        self.speed_unit = "mph" if self.imperial else "m/s"

    def distance_value(self, km: Any) -> float | None:
        """A distance [km] in the display unit (km or miles)."""
        if is_missing(km):
            return None
        return float(km) * 1000.0 / METRES_PER_MILE if self.imperial else float(km)

    def distance_figure(self, km: Any, digits: int = 1, missing: str = NO_DATA) -> str:
        """``"12.3"`` (km) / ``"7.6"`` (mi): a distance in the display unit, without the unit.

        The one formatting of a distance on every surface (terminal tables, HTML, advice): from
        the unrounded number, rounded once here. A value rounded before (the report dict used to
        keep 2 decimals) can print differently: 39.449 km is 39.4, but 39.45 printed as 39.5.
        """
        value = self.distance_value(km)
        if value is None:
            return missing
        return f"{value:,.{digits}f}"

    def distance(self, km: Any, digits: int = 1, missing: str = NO_DATA) -> str:
        """``"12.3 km"`` / ``"7.6 mi"`` (:meth:`distance_figure` and the unit)."""
        if self.distance_value(km) is None:
            return missing
        return f"{self.distance_figure(km, digits)} {self.distance_unit}"

    def distance_whole(self, km: Any) -> str:
        """A distance in whole display units (``"41 km"``, ``"25 mi"``): caps in advice."""
        return self.distance(km, 0)

    def pace(self, speed_mps: Any, missing: str = NO_DATA) -> str:
        """``"5:30 min/km"`` / ``"8:51 min/mi"`` from a speed [m/s]."""
        if is_missing(speed_mps) or float(speed_mps) <= 0.5:  # slower than 33 min/km: no pace
            return missing
        metres = METRES_PER_MILE if self.imperial else 1000.0
        s = int(round(metres / float(speed_mps)))
        return f"{s // 60}:{s % 60:02d} {self.pace_unit}"

    def speed(self, speed_mps: Any, missing: str = NO_DATA) -> str:
        """``"3.05 m/s"`` / ``"6.8 mph"``."""
        if is_missing(speed_mps):
            return missing
        if self.imperial:
            return f"{float(speed_mps) * 3600.0 / METRES_PER_MILE:.1f} mph"
        return f"{float(speed_mps):.2f} m/s"


def not_judged(row: dict) -> str:
    """The team page's word for an index whose balance part could not be judged."""
    text = str(row.get("state_text") or "")
    return "balance not measured" if "does not measure" in text else "balance not judged yet"
