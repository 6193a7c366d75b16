"""The report's ``data_quality`` section: which runs carry running dynamics, from which sensor.

Device and sensor names come from the files and are kept verbatim here; the renderers escape
them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analyzer.report.fmt import plural
from analyzer.report.sections import clean
from analyzer.schema import local_date

#: Readable names of :data:`analyzer.schema.DYNAMICS_SOURCES`.
SOURCE_NAMES = {
    "chest_strap": "heart-rate chest strap with running dynamics (Garmin HRM-Pro / HRM-Run / HRM 600)",
    "pod": "Garmin Running Dynamics Pod",
    "wrist": "watch (wrist)",
    "stryd": "Stryd foot pod",
    "none": "no running-dynamics sensor",
}


#: Readable names of the columns :mod:`analyzer.fit.plausible` checks.
MASKED_LABELS = {
    "speed_mps": "speed",
    "cadence_spm": "cadence",
    "stance_time_ms": "ground contact time",
    "stance_time_pct": "stance %",
    "gct_balance_left_pct": "GCT balance",
    "vertical_oscillation_mm": "vertical oscillation",
    "vertical_ratio_pct": "vertical ratio",
    "step_length_mm": "step length",
    "heart_rate_bpm": "heart rate",
}


def data_quality(
    runs: pd.DataFrame | None,
    gait_df: pd.DataFrame | None = None,
    developer_fields: list[str] | None = None,
    masked_samples: dict[str, int] | None = None,
) -> dict:
    """``data_quality``: runs without dynamics, which sensors and devices produced the data,
    and the record values masked as implausible at import (``masked_samples``, per column:
    :meth:`analyzer.store.database.Store.masked_samples`)."""
    out: dict[str, Any] = {
        "n_runs": 0,
        "n_with_dynamics": 0,
        "n_without_dynamics": 0,
        "dynamics_sources": {},
        "devices": [],
        "sensors": [],
        "runs_without_dynamics": [],
        "developer_fields": sorted({str(f) for f in developer_fields or []}),
        "masked_samples": {str(k): int(v) for k, v in (masked_samples or {}).items() if v},
        "notes": [],
    }
    if runs is None or runs.empty:
        out["notes"].append("No runs imported yet.")
        return out
    src = (
        runs["dynamics_source"].astype("object")
        if "dynamics_source" in runs
        else pd.Series(None, index=runs.index, dtype="object")
    )
    src = src.where(src.notna(), "none")
    no_dyn = src.eq("none")
    if gait_df is not None and not gait_df.empty and "n_running" in gait_df and "run_id" in runs:
        # A run can name a sensor yet carry no usable samples (dropouts, treadmill without pod).
        stance = (
            gait_df.set_index("run_id")["stance_time_median_ms"]
            if ("stance_time_median_ms" in gait_df)
            else None
        )
        if stance is not None:
            usable = runs["run_id"].map(stance).notna()
            no_dyn = no_dyn | ~usable.to_numpy()
    out["n_runs"] = int(len(runs))
    out["n_without_dynamics"] = int(no_dyn.sum())
    out["n_with_dynamics"] = int(len(runs) - no_dyn.sum())
    out["dynamics_sources"] = {str(k): int(v) for k, v in src.value_counts().sort_index().items()}
    if "device" in runs:
        dev = runs["device"].astype("object").where(runs["device"].notna(), "unknown device")
        out["devices"] = [
            {"device": str(k), "n_runs": int(v)} for k, v in dev.value_counts().items()
        ]
    if "dynamics_sensor" in runs:
        sen = runs["dynamics_sensor"].astype("object")[~no_dyn.to_numpy()].dropna()
        out["sensors"] = [
            {"sensor": str(k), "n_runs": int(v)} for k, v in sen.value_counts().items()
        ]
    for _, r in runs[no_dyn.to_numpy()].sort_values("start_time").iterrows():
        out["runs_without_dynamics"].append(
            {
                "run_id": clean(r.get("run_id")),
                "start_time": clean(r.get("start_time")),
                "local_date": local_date(r.get("start_time"), r.get("utc_offset_s")),
                "source_name": clean(r.get("source_name")),
                "device": clean(r.get("device")),
            }
        )
    notes = out["notes"]
    if out["n_without_dynamics"] and not out["n_with_dynamics"]:
        notes.append(
            f"None of the {plural(out['n_runs'], 'run')} carries running dynamics (they need a chest strap, "
            "a Running Dynamics Pod or a Stryd pod): only training load can be judged."
        )
    elif out["n_without_dynamics"]:
        notes.append(
            f"{out['n_without_dynamics']} of {plural(out['n_runs'], 'run')} carry no usable running "
            "dynamics; balance, contact time and oscillation come from the other "
            f"{out['n_with_dynamics']}. Distance and time from every run count towards load."
        )
    else:
        notes.append(
            "The only run carries running dynamics."
            if out["n_runs"] == 1
            else f"All {plural(out['n_runs'], 'run')} carry running dynamics."
        )
    sensors = [s for s in out["dynamics_sources"] if s != "none"]
    if sensors:
        notes.append(
            "Dynamics from: "
            + "; ".join(
                f"{SOURCE_NAMES.get(s, s)} ({plural(out['dynamics_sources'][s], 'run')})"
                for s in sensors
            )
            + "."
        )
    if len(sensors) > 1:
        notes.append(
            "More than one sensor type: oscillation and vertical ratio read differently on a "
            "chest strap and on a pod, so compare runs from the same sensor."
        )
    if "wrist" in sensors:
        notes.append("Wrist-based dynamics carry no left/right balance.")
    if out["developer_fields"]:
        notes.append(
            "Developer (third-party) fields seen: " + ", ".join(out["developer_fields"]) + "."
        )
    masked = out["masked_samples"]
    if masked:
        total = sum(masked.values())
        notes.append(
            f"{total} record value{'s' if total != 1 else ''} outside physiological ranges "
            "(e.g. faster than the sprint world record, a cadence above 300 steps/min) "
            "were left out: "
            + ", ".join(f"{MASKED_LABELS.get(c, c)} {n}" for c, n in masked.items())
            + "."
        )
    return out
