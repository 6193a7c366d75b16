"""What a file holds by its name, and what to say about one we cannot use (what to export
instead)."""

from __future__ import annotations

from pathlib import Path

from analyzer.ingest.applehealth import WORKOUT_PREFIX
from analyzer.ingest.healthfiles import is_export_name

#: Separates an archive's path from a member's name in payload names.
MEMBER_SEP = "!"

#: Activity formats read as they are, and gzip-compressed (Strava's bulk export gzips them).
PLAIN_KINDS = ("fit", "tcx", "gpx")
GZ_KINDS = tuple(f"{k}.gz" for k in PLAIN_KINDS)
ACTIVITY_KINDS = PLAIN_KINDS + GZ_KINDS


def classify(name: str) -> str | None:
    """What a file name says it holds: one of :data:`ACTIVITY_KINDS`, ``"zip"``, ``"health"``
    (an Apple Health ``export.xml``) or None."""
    lower = name.lower()
    base = lower.rsplit("/", 1)[-1]
    if base.startswith("._"):  # macOS AppleDouble metadata, not the file it shadows
        return None
    if is_export_name(base):
        return "health"
    for kind in ACTIVITY_KINDS + ("zip",):
        if lower.endswith(f".{kind}"):
            return kind
    return None


def payload_format(name: str) -> str:
    """The format of a payload by its name: ``"tcx"``, ``"gpx"``, ``"apple-health"`` (one
    workout of an Apple Health export) or ``"fit"`` (the rest)."""
    last = name.rsplit(MEMBER_SEP, 1)[-1]
    kind = classify(last)
    if kind is None and MEMBER_SEP in name and last.startswith(WORKOUT_PREFIX):
        return "apple-health"
    kind = kind or "fit"
    return kind.removesuffix(".gz") if kind in ACTIVITY_KINDS else "fit"


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
