"""What the stored activities' metadata says across many activities: the developer fields
seen, and the record values set aside as implausible (``activities.meta_json``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analyzer.store import check


def _metas(con, athlete: str | None) -> list[tuple[str, str]]:
    where, params = ("WHERE athlete = ?", [athlete]) if athlete is not None else ("", [])
    return con.execute(
        f"SELECT activity_id, meta_json FROM activities {where} ORDER BY activity_id", params
    ).fetchall()


def developer_fields(con, path: Path, athlete: str | None = None) -> pd.DataFrame:
    """Developer (third-party) fields seen in the imported activities, one row per activity and
    field: activity_id, application_id, field_number, name, units and ``column`` (the contract
    column it was mapped to, or None). Names and units are the file's own strings: escape them
    before showing them in HTML."""
    cols = ["activity_id", "application_id", "field_number", "name", "units", "column"]
    out = [
        {"activity_id": aid, **field}
        for aid, meta in _metas(con, athlete)
        for field in (check.loads(meta, path, "activities.meta_json").get("developer_fields") or [])
    ]
    return pd.DataFrame(out, columns=cols)


def masked_samples(con, path: Path, athlete: str | None = None) -> dict[str, int]:
    """Record values set aside as implausible at import, per column, summed over the activities
    (:mod:`analyzer.fit.plausible`; ``meta["masked_samples"]`` of each)."""
    total: dict[str, int] = {}
    for _, meta in _metas(con, athlete):
        masked = check.loads(meta, path, "activities.meta_json").get("masked_samples")
        for column, n in (masked or {}).items():
            total[column] = total.get(column, 0) + int(n)
    return dict(sorted(total.items()))
