"""Where the parts of an Apple Health export sit: ``export.xml``, and the route GPX files in
``workout-routes/`` beside it, in a folder or a zip.

The routes are read with their workouts (:mod:`analyzer.ingest.applehealth`), so the source walk
skips them as files of their own; a ``FileReference`` path comes from the export and is only
followed inside ``workout-routes/`` of the same export (never ``..`` or an absolute path).
"""

from __future__ import annotations

import posixpath
from pathlib import Path

#: The base name of an Apple Health export's main file (any letter case).
EXPORT_XML = "export.xml"
ROUTES = "workout-routes"
ROUTE_REASON = "an Apple Health workout route: read with its workout from export.xml"
#: Bytes of the start of a file that tell an Apple Health export from another XML file.
SNIFF_BYTES = 4096


def is_export_name(name: str) -> bool:
    """Whether a file or member name is an ``export.xml``."""
    return name.replace("\\", "/").rsplit("/", 1)[-1].lower() == EXPORT_XML


def is_health_export(head: bytes) -> bool:
    """Whether the first bytes of an XML file are those of an Apple Health ``export.xml``."""
    return b"<HealthData" in head or b"DOCTYPE HealthData" in head


def route_member(reference: str, export_member: str) -> str | None:
    """The archive member (or relative path) a workout's ``FileReference`` path names, inside
    ``workout-routes/`` beside ``export_member``; None for any other path."""
    ref = posixpath.normpath("/" + reference.replace("\\", "/").lstrip("/")).lstrip("/")
    parts = ref.split("/")
    if len(parts) != 2 or parts[0] != ROUTES or parts[1] in ("", ".", ".."):
        return None
    base = posixpath.dirname(export_member.replace("\\", "/"))
    return posixpath.join(base, ref) if base else ref


def export_member_dirs(names: list[str]) -> set[str]:
    """The folders (``""`` for the top) of the ``export.xml`` members among ``names``."""
    return {posixpath.dirname(n) for n in names if is_export_name(n)}


def is_route_member(name: str, export_dirs: set[str]) -> bool:
    """Whether a member is a route GPX in ``workout-routes/`` beside an ``export.xml``."""
    folder = posixpath.dirname(name)
    return (
        name.lower().endswith(".gpx")
        and posixpath.basename(folder) == ROUTES
        and posixpath.dirname(folder) in export_dirs
    )


def is_route_file(path: Path, export_parents: set[Path]) -> bool:
    """Whether a file in a folder walk is a route GPX beside an ``export.xml``."""
    return (
        path.name.lower().endswith(".gpx")
        and path.parent.name == ROUTES
        and path.parent.parent in export_parents
    )
