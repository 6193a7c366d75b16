"""What to say about a file we cannot use: what it is, and what to export instead."""

from __future__ import annotations

from pathlib import Path

#: Separates an archive's path from a member's name in payload names (as in sources).
MEMBER_SEP = "!"

#: What to say about files we cannot use, by suffix: what they are and what to export instead.
_INSTEAD = "export the activities as FIT (best: running dynamics), TCX or GPX instead"
UNUSABLE = {
    ".json": f"a JSON file (an app's summary or settings, no per-second records); {_INSTEAD}",
    ".csv": (
        "a CSV table (a list of activities, not their records); export the activities "
        "themselves as FIT, TCX or GPX (in Strava's bulk export: the activities/ folder)"
    ),
    ".pwx": f"a TrainingPeaks PWX file, which analyzer cannot read; {_INSTEAD}",
    ".kml": f"a KML map track (no times, heart rate or cadence); {_INSTEAD}",
    ".kmz": f"a KMZ map track (no times, heart rate or cadence); {_INSTEAD}",
    ".xml": f"an XML file that is neither TCX nor GPX; {_INSTEAD}",
}
APPLE_HEALTH = (
    "an XML file named export.xml that is not an Apple Health export (no <HealthData> root); "
    f"{_INSTEAD}"
)
APPLE_CDA = (
    "Apple Health clinical documents (CDA), no workouts; the runs are read from export.xml "
    "beside it"
)


def unusable_reason(name: str) -> str:
    """Why a file is not read, naming what to export instead."""
    base = name.rsplit(MEMBER_SEP, 1)[-1].rsplit("/", 1)[-1]
    lower = base.lower()
    if lower == "export.xml":
        return APPLE_HEALTH
    if lower == "export_cda.xml":
        return APPLE_CDA
    suffix = Path(lower).suffix or "no extension"
    return UNUSABLE.get(
        suffix,
        f"not an activity file ({suffix}); analyzer reads FIT, TCX and GPX files (also .gz) "
        "and zips or folders of them",
    )
