"""Pure builders: DataFrames from the pipeline → the JSON-able sections of a report.

Each function takes the store's frames (``Store.runs()``, ``Store.gait()``,
``trends.trends()``, ``trends.flag_changes()``, ``load.weekly()``, ``Store.records()``) and returns
plain Python (str, float, int, bool, None, lists, dicts): NaN becomes None, timestamps become
ISO-8601 strings in UTC. The shape of every section is documented in :mod:`analyzer.report`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from analyzer.report.band_shapes import GCT_BALANCE_BANDS, balance_band, balance_text
from analyzer.report.fmt import plural
from analyzer.schema import iso_local, local_date, local_monday, utc
from analyzer.schema import jsonable as clean  # the one JSON encoder

#: Trend metrics shown in the report, in display order: (column stem, label, unit).
TREND_METRICS: tuple[tuple[str, str, str], ...] = (
    ("cadence_spm", "Cadence", "steps/min"),
    ("stance_time_ms", "Ground contact time", "ms"),
    ("vertical_oscillation_mm", "Vertical oscillation", "mm"),
    ("vertical_ratio_pct", "Vertical ratio", "%"),
)

#: Gait-summary column holding each trend metric's per-run median.
_MEDIAN_COLUMN = {
    "cadence_spm": "cadence_median_spm",
    "stance_time_ms": "stance_time_median_ms",
    "vertical_oscillation_mm": "vertical_oscillation_median_mm",
    "vertical_ratio_pct": "vertical_ratio_median_pct",
    "step_length_mm": "step_length_median_mm",
}

#: Readable names and units of the metrics trends.flag_changes can flag.
FLAG_LABELS: dict[str, tuple[str, str]] = {
    "gct_balance_left_pct": ("GCT balance", "points"),
    "cadence_spm": ("Cadence at reference speed", "steps/min"),
    "stance_time_ms": ("Ground contact time at reference speed", "ms"),
    "vertical_oscillation_mm": ("Vertical oscillation at reference speed", "mm"),
    "step_length_mm": ("Step length at reference speed", "mm"),
    "vertical_ratio_pct": ("Vertical ratio at reference speed", "%"),
}

#: Points kept in the latest run's downsampled series (keeps the JSON and HTML small).
SERIES_POINTS = 240

#: Window of the rolling median applied to the latest run's series [s].
SERIES_SMOOTH_S = 30

_DYNAMICS = ("stance_time_ms", "gct_balance_left_pct", "vertical_oscillation_mm")


# ---------------------------------------------------------------------------------------------
# plain-value helpers
# ---------------------------------------------------------------------------------------------


def num(value: Any, digits: int | None = None) -> float | None:
    """A finite float (optionally rounded) or None."""
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(f):
        return None
    return round(f, digits) if digits is not None else f


def _utc(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, utc=True, errors="coerce")


def _offsets(df: pd.DataFrame) -> pd.Series:
    """Each run's ``utc_offset_s`` (0, UTC, for frames without one)."""
    return _col(df, "utc_offset_s").fillna(0)


def _day(ts: Any) -> str | None:
    """A day or week start (a local midnight labelled UTC, as metrics.load makes) as a date."""
    return local_date(ts, 0)


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    if name in df:
        return pd.to_numeric(df[name], errors="coerce")
    return pd.Series(np.nan, index=df.index, dtype=float)


# ---------------------------------------------------------------------------------------------
# sections
# ---------------------------------------------------------------------------------------------


def period(runs: pd.DataFrame, now: Any = None, *, stale: dict | None = None) -> dict:
    """``period``: first and last run, number of runs, total distance, and how old the data is.

    Parameters
    ----------
    runs : DataFrame
        ``Store.runs()``.
    now : datetime-like, optional
        When the report is made (default: the current time).
    stale : dict, optional
        The analysis's staleness warning (:func:`analyzer.analysis.stale`, the one rule):
        ``stale`` is whether there is one.
    """
    if runs is None or runs.empty:
        return {
            "first_run": None,
            "last_run": None,
            "n_runs": 0,
            "distance_km": 0.0,
            "days_since_last_run": None,
            "stale": False,
        }
    # First and last run among the runs with a usable date (Store flags the others).
    undated = (
        runs["date_unknown"].astype("boolean").fillna(False) if "date_unknown" in runs else False
    )
    dated = runs.loc[~undated] if "date_unknown" in runs else runs
    start = _utc(dated["start_time"])
    ref = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    ref = utc(ref)
    last = start.max()
    days = None if pd.isna(last) else int((ref - last).total_seconds() // 86400)
    return {
        "first_run": clean(start.min()),
        "last_run": clean(last),
        # the same runs' dates on their own clocks (DESIGN §10)
        "first_date": _run_date(dated, start, last=False),
        "last_date": _run_date(dated, start, last=True),
        "n_runs": int(len(runs)),
        "distance_km": num(_col(runs, "distance_m").sum() / 1000.0) or 0.0,
        "days_since_last_run": days,
        "stale": stale is not None,
    }


def _run_date(runs: pd.DataFrame, start: pd.Series, last: bool) -> str | None:
    """The local date of the first (last) run; ``start`` is ``runs``' UTC start times."""
    if start.isna().all():
        return None
    i = start.idxmax() if last else start.idxmin()
    return local_date(start.loc[i], _offsets(runs).loc[i])


def balance(trends_df: pd.DataFrame) -> dict:
    """``balance``: GCT balance per week and per run, with Garmin's bands and the baseline."""
    out: dict[str, Any] = {
        "bands": [dict(b) for b in GCT_BALANCE_BANDS],
        "weeks": [],
        "runs": [],
        "latest_pct": None,
        "latest_text": "–",
        "latest_band": None,
        "latest_start_time": None,
        "latest_date": None,
        "runs_since_latest": 0,
        "baseline_pct": None,
        "change_pts": None,
    }
    if trends_df is None or trends_df.empty:
        return out
    df = trends_df.sort_values("start_time")
    bal = _col(df, "gct_balance_left_median_pct")
    outside = _col(df, "gct_balance_outside_green_share")
    base = _col(df, "gct_balance_baseline_pct")
    change = _col(df, "gct_balance_change_pts")
    flag = (
        df["balance_shift_flag"] if "balance_shift_flag" in df else pd.Series(False, index=df.index)
    )
    for i in range(len(df)):
        out["runs"].append(
            {
                "run_id": clean(df["run_id"].iloc[i]) if "run_id" in df else None,
                "start_time": clean(_utc(df["start_time"]).iloc[i]),
                "utc_offset_s": clean(_offsets(df).iloc[i]),
                "local_date": local_date(df["start_time"].iloc[i], _offsets(df).iloc[i]),
                "gct_balance_left_pct": num(bal.iloc[i], 2),
                "baseline_pct": num(base.iloc[i], 2),
                "change_pts": num(change.iloc[i], 2),
                "shift_flag": bool(flag.iloc[i]) if pd.notna(flag.iloc[i]) else False,
                "outside_green_share": num(outside.iloc[i], 3),
            }
        )
    week = local_monday(df["start_time"], _offsets(df))
    weeks = pd.DataFrame({"week": week, "bal": bal, "out": outside})
    weeks = weeks[weeks["bal"].notna()]
    for week, grp in weeks.groupby("week", sort=True):
        median = float(grp["bal"].median())
        out["weeks"].append(
            {
                "week": _day(week),  # the local Monday
                "gct_balance_left_pct": num(median, 2),
                "text": balance_text(median),
                "band": balance_band(median),
                "n_runs": int(len(grp)),
                "outside_green_share": num(grp["out"].mean(), 3),
            }
        )
    with_bal = [i for i, r in enumerate(out["runs"]) if r["gct_balance_left_pct"] is not None]
    if with_bal:
        last = out["runs"][with_bal[-1]]
        out["latest_pct"] = last["gct_balance_left_pct"]
        out["latest_text"] = balance_text(last["gct_balance_left_pct"])
        out["latest_band"] = balance_band(last["gct_balance_left_pct"])
        out["latest_start_time"] = last["start_time"]
        out["latest_date"] = last["local_date"]
        # Runs after the latest balance reading (from a sensor without balance, or none).
        out["runs_since_latest"] = len(out["runs"]) - 1 - with_bal[-1]
        out["baseline_pct"] = last["baseline_pct"]
        out["change_pts"] = last["change_pts"]
    return out


def trends(trends_df: pd.DataFrame, comparisons: pd.DataFrame | None = None) -> dict:
    """``trends``: per-run value and value at the reference speed for each trend metric, and
    the one comparison of each with its reference (``analysis.comparisons``)."""
    out: dict[str, Any] = {"ref_speed_mps": None, "metrics": []}
    empty = {
        "first_at_ref": None,
        "latest_at_ref": None,
        "change_at_ref": None,
        "reference_start": None,
        "reference_end": None,
        "recent_start": None,
        "recent_end": None,
    }
    if trends_df is None or trends_df.empty:
        for stem, label, unit in TREND_METRICS:
            out["metrics"].append(
                {"metric": stem, "label": label, "unit": unit, "runs": [], **empty}
            )
        return out
    df = trends_df.sort_values("start_time")
    if "ref_speed_mps" in df:
        out["ref_speed_mps"] = (
            num(_col(df, "ref_speed_mps").dropna().iloc[-1], 3)
            if _col(df, "ref_speed_mps").notna().any()
            else None
        )
    when = _utc(df["start_time"])
    for stem, label, unit in TREND_METRICS:
        value = _col(df, _MEDIAN_COLUMN[stem])
        at_ref = _col(df, f"{stem}_at_ref")
        rows = [
            {
                "start_time": clean(when.iloc[i]),
                "local_date": local_date(when.iloc[i], _offsets(df).iloc[i]),
                "value": num(value.iloc[i], 2),
                "at_ref": num(at_ref.iloc[i], 2),
            }
            for i in range(len(df))
        ]
        cmp = dict(empty)
        if comparisons is not None and stem in comparisons.index:
            c = comparisons.loc[stem]
            cmp.update(
                first_at_ref=num(c["baseline"], 2),  # the reference level
                latest_at_ref=num(c["recent"], 2),
                change_at_ref=num(c["change"], 2),
                reference_start=clean(c["baseline_start"]),
                reference_end=clean(c["baseline_end"]),
                recent_start=clean(c["recent_start"]),
                recent_end=clean(c["recent_end"]),
            )
        out["metrics"].append({"metric": stem, "label": label, "unit": unit, "runs": rows, **cmp})
    return out


def flags(flags_df: pd.DataFrame | None) -> list[dict]:
    """``flags``: sustained changes flagged by :func:`analyzer.metrics.trends.flag_changes`."""
    if flags_df is None or len(flags_df) == 0:
        return []
    rows = []
    for rec in flags_df.to_dict(orient="records"):
        metric = str(rec.get("metric", ""))
        size = num(rec.get("size"), 2)
        side = clean(rec.get("side"))
        onset = clean(rec.get("onset"))
        n = clean(rec.get("n_runs"))
        label, unit = FLAG_LABELS.get(metric, (metric, ""))
        base = num(rec.get("baseline"), 2)
        r0, r1 = clean(rec.get("reference_start")), clean(rec.get("reference_end"))
        ref = f"reference {str(r0)[:10]} to {str(r1)[:10]}" if r0 and r1 else "reference"
        if metric == "gct_balance_left_pct":
            if rec.get("toward_even"):
                text = f"{label} moved {abs(size or 0):.1f} {unit} back toward even, onto the {side} foot"
            else:
                text = f"{label} moved {abs(size or 0):.1f} {unit} further onto the {side} foot"
            if base is not None:
                text += (
                    f" ({ref}: {side} foot's share {base if side == 'left' else 100 - base:.1f} %)"
                )
        else:
            text = f"{label} {side} by {abs(size or 0):.1f} {unit}"
            if base is not None:
                text += f" ({ref}: {base:.1f} {unit})"
        if onset:
            text += f", since {str(onset)[:10]}"
        if n:
            text += f", {plural(n, 'run')}"
        last = clean(rec.get("last"))
        if last and not rec.get("ongoing", True):
            text += f", until {str(last)[:10]}"
        rows.append(
            {
                "metric": metric,
                "onset": onset,
                "side": side,
                "size": size,
                "n_runs": n,
                "baseline": base,
                "last": clean(rec.get("last")),
                "ongoing": clean(rec.get("ongoing")),
                "reference_start": clean(rec.get("reference_start")),
                "reference_end": clean(rec.get("reference_end")),
                "toward_even": clean(rec.get("toward_even")),
                "text": text,
            }
        )
    return rows


def load_section(weekly: pd.DataFrame | None) -> dict:
    """``load``: weekly distance, time, runs, both ACWR variants and 2-week progression."""
    out: dict[str, Any] = {"weeks": [], "latest": None}
    if weekly is None or weekly.empty:
        return out
    df = weekly.copy()
    if "week" not in df.columns:
        df = df.reset_index()
        df = df.rename(columns={df.columns[0]: "week"})
    df = df.sort_values("week")
    for rec in df.to_dict(orient="records"):
        out["weeks"].append(
            {
                "week": _day(rec["week"]),  # the local Monday
                "distance_km": num(rec.get("distance_km")),  # unrounded: Units rounds once
                "time_h": num(rec.get("time_h")),
                "n_runs": clean(rec.get("n_runs")),
                "acwr_coupled": num(rec.get("acwr_coupled"), 2),
                "acwr_uncoupled": num(rec.get("acwr_uncoupled"), 2),
                "progression_2wk_pct": num(rec.get("progression_2wk_pct"), 1),
            }
        )
    out["latest"] = out["weeks"][-1] if out["weeks"] else None
    return out


def latest_run(
    run: Mapping | None, gait_row: Mapping | None, records: pd.DataFrame | None
) -> dict | None:
    """``latest_run``: the newest run's identity, balance, drift, thirds and a short series.

    Parameters
    ----------
    run : mapping
        The run's row of ``Store.runs()``.
    gait_row : mapping, optional
        The run's row of ``Store.gait()`` (``drift_*`` fields come from there).
    records : DataFrame, optional
        ``Store.records(run_id)`` in contract columns.
    """
    if run is None:
        return None
    gait_row = gait_row or {}
    out: dict[str, Any] = {
        "run_id": clean(run.get("run_id")),
        "start_time": clean(run.get("start_time")),
        "local_start_time": iso_local(run.get("start_time"), run.get("utc_offset_s")),
        "local_date": local_date(run.get("start_time"), run.get("utc_offset_s")),
        "utc_offset_s": clean(run.get("utc_offset_s")),
        "utc_offset_source": clean(run.get("utc_offset_source")),
        "source_name": clean(run.get("source_name")),
        "device": clean(run.get("device")),
        "dynamics_source": clean(run.get("dynamics_source")),
        "dynamics_sensor": clean(run.get("dynamics_sensor")),
        "distance_km": num((num(run.get("distance_m")) or 0.0) / 1000.0),
        "duration_min": num((num(run.get("timer_s")) or 0.0) / 60.0, 1),
        "gct_balance_left_pct": num(gait_row.get("gct_balance_left_median_pct"), 2),
        "gct_balance_band": balance_band(num(gait_row.get("gct_balance_left_median_pct"))),
        "gct_balance_text": balance_text(num(gait_row.get("gct_balance_left_median_pct"))),
        "drift": {
            "gct_balance_left_pts": num(gait_row.get("drift_gct_balance_left_pts"), 2),
            "stance_time_ms": num(gait_row.get("drift_stance_time_ms"), 1),
            "cadence_spm": num(gait_row.get("drift_cadence_spm"), 1),
            "vertical_oscillation_mm": num(gait_row.get("drift_vertical_oscillation_mm"), 1),
        },
        "thirds": [],
        "series": {
            "elapsed_min": [],
            "gct_balance_left_pct": [],
            "stance_time_ms": [],
            "speed_mps": [],
        },
    }
    if out["gct_balance_left_pct"] is None and records is not None and not records.empty:
        med = _col(records, "gct_balance_left_pct").median()
        out["gct_balance_left_pct"] = num(med, 2)
        out["gct_balance_band"] = balance_band(num(med))
        out["gct_balance_text"] = balance_text(num(med))
    if records is None or records.empty or "elapsed_s" not in records:
        return out
    from analyzer.metrics.gait import running_mask

    rec = records.sort_values("elapsed_s").reset_index(drop=True)
    running = running_mask(
        _col(rec, "speed_mps"),
        _col(rec, "cadence_spm"),
        _col(rec, "stance_time_ms") if "stance_time_ms" in rec else None,
    )
    # Walking breaks and stops distort balance and contact time: keep running samples only.
    rec = rec.copy()
    for c in (*_DYNAMICS, "cadence_spm", "speed_mps"):
        if c in rec:
            rec[c] = _col(rec, c).where(running)
    t = _col(rec, "elapsed_s")
    has_dyn = np.zeros(len(rec), dtype=bool)
    for c in _DYNAMICS:
        has_dyn |= _col(rec, c).notna().to_numpy()
    if has_dyn.any():
        t0, t1 = float(t[has_dyn].min()), float(t[has_dyn].max())
        edges = np.linspace(t0, t1, 4)
        for k in range(3):
            sel = (t >= edges[k]) & ((t < edges[k + 1]) if k < 2 else (t <= edges[k + 1]))
            part = rec[sel.to_numpy()]
            out["thirds"].append(
                {
                    "third": k + 1,
                    "start_min": num(edges[k] / 60.0, 2),
                    "end_min": num(edges[k + 1] / 60.0, 2),
                    "gct_balance_left_pct": num(_col(part, "gct_balance_left_pct").median(), 2),
                    "stance_time_ms": num(_col(part, "stance_time_ms").median(), 1),
                    "cadence_spm": num(_col(part, "cadence_spm").median(), 1),
                    "speed_mps": num(_col(part, "speed_mps").median(), 2),
                }
            )
    # Rolling median over a fixed time window, then keep about SERIES_POINTS evenly spaced rows.
    idx = pd.to_timedelta(t.to_numpy(), unit="s")
    frame = pd.DataFrame(
        {
            c: _col(rec, c).to_numpy()
            for c in ("gct_balance_left_pct", "stance_time_ms", "speed_mps")
        },
        index=idx,
    )
    frame = frame[~frame.index.isna()]
    frame = frame[~frame.index.duplicated()]
    smooth = frame.rolling(f"{SERIES_SMOOTH_S}s", min_periods=1).median()
    step = max(1, int(math.ceil(len(smooth) / SERIES_POINTS)))
    smooth = smooth.iloc[::step]
    out["series"] = {
        "elapsed_min": [num(v.total_seconds() / 60.0, 3) for v in smooth.index],
        "gct_balance_left_pct": [num(v, 2) for v in smooth["gct_balance_left_pct"]],
        "stance_time_ms": [num(v, 1) for v in smooth["stance_time_ms"]],
        "speed_mps": [num(v, 2) for v in smooth["speed_mps"]],
    }
    return out
