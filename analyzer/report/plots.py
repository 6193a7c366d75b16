"""Report figures (matplotlib, drawn on the Agg canvas).

Every function takes the matching section of the report dict (see :mod:`analyzer.report`) or an
equivalent DataFrame, draws on ``ax`` when one is given (else on a new figure) and returns the
:class:`~matplotlib.figure.Figure`. Nothing here calls ``plt.show`` or touches pyplot: new
figures get their own Agg canvas, so they work headless, leave the user's chosen backend alone
(a notebook's inline backend still displays them) and never pile up in pyplot's figure list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from analyzer.report.band_shapes import (
    ACWR_DANGER,
    ACWR_SWEET_SPOT,
    BAND_COLOURS,
    GCT_BALANCE_BANDS,
)

#: Metric labels and units used on trend axes.
TREND_LABELS: dict[str, tuple[str, str]] = {
    "cadence_spm": ("Cadence", "steps/min"),
    "stance_time_ms": ("Ground contact time", "ms"),
    "vertical_oscillation_mm": ("Vertical oscillation", "mm"),
    "vertical_ratio_pct": ("Vertical ratio", "%"),
    "step_length_mm": ("Step length", "mm"),
}

LINE = "#1f4e79"
ACCENT = "#c0392b"
MUTED = "#7f8c8d"
#: Colour of the weekly-distance bars (the browser tests look for it in the chart).
LOAD_BAR = "#a9cce3"


def _frame(data: Any) -> pd.DataFrame:
    """A DataFrame from a list of dicts, a DataFrame or None (empty)."""
    if data is None:
        return pd.DataFrame()
    if isinstance(data, pd.DataFrame):
        return data.copy()
    return pd.DataFrame(list(data))


def _new_axes(ax: Axes | None, size: tuple[float, float] = (7.5, 3.2)) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig = new_figure(size)
    return fig, fig.add_subplot()


def new_figure(size: tuple[float, float]) -> Figure:
    """A Figure of ``size`` [inches] on its own Agg canvas (pyplot is never involved)."""
    fig = Figure(figsize=size, dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _dates(values: Any) -> pd.Series:
    return pd.to_datetime(pd.Series(values), utc=True, errors="coerce").dt.tz_localize(None)


def _no_data(ax: Axes, text: str = "no data") -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color=MUTED)
    ax.set_xticks([])
    ax.set_yticks([])


def _shade_balance_bands(ax: Axes, lo: float, hi: float) -> None:
    for band in GCT_BALANCE_BANDS:
        low = lo if band["low"] is None else max(band["low"], lo)
        high = hi if band["high"] is None else min(band["high"], hi)
        if high > low:
            ax.axhspan(low, high, color=BAND_COLOURS[band["name"]], alpha=0.18, lw=0)
    ax.axhline(50.0, color=MUTED, lw=0.8, ls=":")


def _balance_limits(values: np.ndarray) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    lo, hi = 46.5, 53.5
    if finite.size:
        lo = min(lo, float(finite.min()) - 0.5)
        hi = max(hi, float(finite.max()) + 0.5)
    return lo, hi


def balance(section: Mapping | None, ax: Axes | None = None) -> Figure:
    """GCT balance per week (median) and per run on Garmin's colour bands.

    Parameters
    ----------
    section : mapping
        The report's ``balance`` section: ``weeks`` (week, gct_balance_left_pct) and ``runs``
        (start_time, gct_balance_left_pct, baseline_pct) [% of contact time on the left foot].
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _new_axes(ax)
    section = section or {}
    weeks = _frame(section.get("weeks"))
    runs = _frame(section.get("runs"))
    values = []
    if not runs.empty and "gct_balance_left_pct" in runs:
        values.append(runs["gct_balance_left_pct"].to_numpy(dtype=float))
    if not weeks.empty and "gct_balance_left_pct" in weeks:
        values.append(weeks["gct_balance_left_pct"].to_numpy(dtype=float))
    allv = np.concatenate(values) if values else np.array([])
    if not np.isfinite(allv).any():
        _no_data(ax, "no GCT balance recorded (needs a chest strap or pod)")
        return fig
    lo, hi = _balance_limits(allv)
    _shade_balance_bands(ax, lo, hi)
    if not runs.empty:
        ax.plot(
            _dates(runs["start_time"]),
            runs["gct_balance_left_pct"].astype(float),
            "o",
            ms=3,
            color=MUTED,
            alpha=0.6,
            label="run",
        )
        if "baseline_pct" in runs and runs["baseline_pct"].notna().any():
            ax.plot(
                _dates(runs["start_time"]),
                runs["baseline_pct"].astype(float),
                "--",
                color=ACCENT,
                lw=1,
                label="your reference (frozen)",
            )
    if not weeks.empty:
        when, values = _break_gaps(_dates(weeks["week"]), weeks["gct_balance_left_pct"])
        ax.plot(
            when,
            values,
            "-o",
            color=LINE,
            lw=2,
            ms=4,
            label="weekly median",
        )
    ax.set_ylim(lo, hi)
    ax.set_ylabel("GCT balance [% left]")
    ax.text(
        0.005, 0.98, "left longer ↑", transform=ax.transAxes, va="top", fontsize=10, color=MUTED
    )
    ax.text(0.005, 0.02, "right longer ↓", transform=ax.transAxes, fontsize=10, color=MUTED)
    ax.legend(loc="upper right", fontsize=10, frameon=False, ncols=3)
    ax.set_title("Ground-contact balance over the weeks (Garmin colour bands)", fontsize=12)
    fig.autofmt_xdate()
    return fig


#: A gap between two weekly points longer than this is drawn as a gap, not a line across it
#: [days] (a break or a season without a balance sensor).
GAP_DAYS = 28


def _break_gaps(when: pd.Series, values: Any) -> tuple[pd.Series, pd.Series]:
    """``when`` and ``values`` with a NaN point inserted in every gap over :data:`GAP_DAYS`."""
    frame = pd.DataFrame({"when": when.to_numpy(), "v": pd.Series(values).astype(float).to_numpy()})
    gaps = frame["when"].diff() > pd.Timedelta(days=GAP_DAYS)
    if gaps.any():
        holes = frame.loc[gaps, "when"] - pd.Timedelta(days=1)
        frame = pd.concat([frame, pd.DataFrame({"when": holes, "v": np.nan})])
        frame = frame.sort_values("when", kind="stable")
    return frame["when"].reset_index(drop=True), frame["v"].reset_index(drop=True)


def trend(metric: Mapping, ax: Axes | None = None) -> Figure:
    """One speed-normalised trend: each run's value at the reference speed, and the raw value.

    Parameters
    ----------
    metric : mapping
        One entry of the report's ``trends.metrics``: ``metric``, ``label``, ``unit`` and
        ``runs`` (start_time, value, at_ref) in the metric's unit.
    ax : matplotlib Axes, optional
    """
    fig, ax = _new_axes(ax, (3.8, 2.6))
    name = metric.get("metric", "")
    label, unit = TREND_LABELS.get(name, (metric.get("label", name), metric.get("unit", "")))
    runs = _frame(metric.get("runs"))
    ax.set_title(label, fontsize=12)
    empty = pd.Series(dtype=float)
    if runs.empty or not (
        runs.get("at_ref", empty).notna().any() or runs.get("value", empty).notna().any()
    ):
        _no_data(ax)
        return fig
    when = _dates(runs["start_time"])
    if "value" in runs:
        ax.plot(when, runs["value"].astype(float), ".", color=MUTED, alpha=0.5, label="as run")
    if "at_ref" in runs and runs["at_ref"].notna().any():
        at_ref = runs["at_ref"].astype(float)
        ax.plot(when, at_ref, "o", ms=3, color=LINE, label="at reference speed")
        smooth = at_ref.rolling(5, min_periods=1, center=True).median()
        ax.plot(when, smooth, "-", color=LINE, lw=1.5)
    ax.set_ylabel(f"[{metric.get('unit') or unit}]")
    ax.tick_params(axis="x", labelrotation=30, labelsize=9)
    ax.tick_params(axis="y", labelsize=10)
    return fig


def trends(section: Mapping | None, ax: Sequence[Axes] | None = None, *, units=None) -> Figure:
    """A grid of speed-normalised trends (cadence, GCT, VO, vertical ratio).

    Parameters
    ----------
    section : mapping
        The report's ``trends`` section (``ref_speed_mps``, ``metrics``).
    ax : sequence of matplotlib Axes, optional
        One axes per metric; a new 2 × 2 figure when omitted.
    units : analyzer.report.fmt.Units, optional
        Display units of the reference pace in the title (min/km by default).
    """
    section = section or {}
    metrics = list(section.get("metrics") or [])[:4]
    if ax is None:
        fig = new_figure((7.5, 5.0))
        axes = list(fig.subplots(2, 2).ravel())
    else:
        axes = list(ax)
        fig = axes[0].figure
    for i, axis in enumerate(axes):
        if i < len(metrics):
            trend(metrics[i], ax=axis)
        else:
            _no_data(axis)
    ref = section.get("ref_speed_mps")
    if ref:
        from analyzer.report.fmt import Units

        u = units or Units()
        fig.suptitle(f"Trends at your reference speed {u.speed(ref)} ({u.pace(ref)})", fontsize=12)
    return fig


def within_run(latest: Mapping | None, ax: Axes | None = None) -> Figure:
    """The latest run's GCT balance over time, with its thirds and Garmin's bands.

    Parameters
    ----------
    latest : mapping
        The report's ``latest_run`` section; uses ``series`` (elapsed_min,
        gct_balance_left_pct, stance_time_ms) and ``thirds``.
    ax : matplotlib Axes, optional
    """
    fig, ax = _new_axes(ax)
    latest = latest or {}
    series = _frame(_series_rows(latest.get("series")))
    if series.empty or not series.get("gct_balance_left_pct", pd.Series(dtype=float)).notna().any():
        if not series.empty and series.get("stance_time_ms", pd.Series(dtype=float)).notna().any():
            ax.plot(series["elapsed_min"], series["stance_time_ms"], color=LINE)
            ax.set_ylabel("GCT [ms]")
            ax.set_xlabel("elapsed [min]")
            ax.set_title("Latest run: ground contact time (no balance recorded)", fontsize=12)
            return fig
        _no_data(ax, "no running dynamics in the latest run")
        return fig
    t = series["elapsed_min"].astype(float)
    bal = series["gct_balance_left_pct"].astype(float)
    lo, hi = _balance_limits(bal.to_numpy())
    _shade_balance_bands(ax, lo, hi)
    ax.plot(t, bal, color=LINE, lw=1.2, label="balance (30 s median)")
    for third in latest.get("thirds") or []:
        v = third.get("gct_balance_left_pct")
        if v is None or not np.isfinite(v):
            continue
        ax.hlines(v, third["start_min"], third["end_min"], color=ACCENT, lw=2.5)
    ax.plot([], [], color=ACCENT, lw=2.5, label="median per third")
    if "stance_time_ms" in series and series["stance_time_ms"].notna().any():
        ax2 = ax.twinx()
        ax2.plot(t, series["stance_time_ms"].astype(float), color=MUTED, lw=0.8, alpha=0.7)
        ax2.set_ylabel("GCT [ms] (grey)", color=MUTED, fontsize=10)
        ax2.tick_params(labelsize=9, colors=MUTED)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("elapsed [min]")
    ax.set_ylabel("GCT balance [% left]")
    ax.legend(loc="upper right", fontsize=10, frameon=False)
    ax.set_title("Latest run: balance as you tire", fontsize=12)
    return fig


def _series_rows(series: Any) -> Any:
    """Accept the column-oriented ``series`` dict of the report (or a DataFrame)."""
    if series is None:
        return None
    if isinstance(series, Mapping):
        return pd.DataFrame(dict(series))
    return series


#: Weeks of load drawn in the main load chart; the whole history goes to :func:`load_overview`.
#: Six months keep every weekly bar readable on a phone (26 bars of a few px each at 390 px) and
#: still show two chronic (28-day) windows and a training block.
LOAD_WEEKS = 26

#: Top of the acute:chronic axis. After a break the chronic base is near zero and the ratio jumps
#: to 5-10, which would flatten every other week into a line; ratios above are drawn at the top
#: edge with their value written beside them.
ACWR_AXIS_MAX = 2.5


def _distance_scale(units) -> tuple[float, str]:
    """Factor from km and the unit label of the load charts' distance axis."""
    if units is not None and getattr(units, "imperial", False):
        return 1000.0 / 1609.344, "mi"
    return 1.0, "km"


def load(
    section: Mapping | None, ax: Axes | None = None, *, units=None, weeks: int | None = LOAD_WEEKS
) -> Figure:
    """Weekly distance (bars) and the acute:chronic workload ratio (line) of the latest weeks.

    Parameters
    ----------
    section : mapping
        The report's ``load`` section: ``weeks`` (week, distance_km, acwr_coupled,
        acwr_uncoupled).
    ax : matplotlib Axes, optional
    units : analyzer.report.fmt.Units, optional
        Display units of the distance axis (km by default).
    weeks : int or None
        Latest weeks drawn (:data:`LOAD_WEEKS`); None draws every week.
    """
    fig, ax = _new_axes(ax)
    frame = _frame((section or {}).get("weeks"))
    if frame.empty:
        _no_data(ax)
        return fig
    if weeks is not None:
        frame = frame.iloc[-weeks:].reset_index(drop=True)
    scale, unit = _distance_scale(units)
    when = _dates(frame["week"])
    ax.bar(
        when,
        frame["distance_km"].astype(float) * scale,
        width=5,
        color=LOAD_BAR,
        label=f"{unit} / week",
    )
    ax.set_ylabel(f"distance [{unit}/week]")
    ax2 = ax.twinx()
    lo, hi = ACWR_SWEET_SPOT
    ax2.axhspan(lo, hi, color=BAND_COLOURS["green"], alpha=0.12, lw=0)
    ax2.axhline(ACWR_DANGER, color=ACCENT, lw=0.8, ls="--")
    clipped = []
    for col, style, label in (
        ("acwr_uncoupled", "-o", "ACWR (uncoupled)"),
        ("acwr_coupled", ":", "ACWR (coupled)"),
    ):
        if col in frame and frame[col].notna().any():
            values = frame[col].astype(float)
            ax2.plot(
                when,
                values.clip(upper=ACWR_AXIS_MAX),
                style,
                color=LINE,
                ms=3,
                lw=1.3,
                label=label,
            )
            if col == "acwr_uncoupled":
                clipped = [(w, v) for w, v in zip(when, values, strict=True) if v > ACWR_AXIS_MAX]
    for w, v in clipped:
        ax2.annotate(
            f"{v:.1f}",
            (w, ACWR_AXIS_MAX),
            xytext=(0, -10),
            textcoords="offset points",
            ha="center",
            fontsize=9,
            color=ACCENT,
        )
    ax2.set_ylabel("acute:chronic ratio")
    ax2.set_ylim(0, ACWR_AXIS_MAX)
    handles = ax.get_legend_handles_labels()
    handles2 = ax2.get_legend_handles_labels()
    ax.legend(
        handles[0] + handles2[0],
        handles[1] + handles2[1],
        fontsize=10,
        frameon=False,
        loc="upper left",
        ncols=3,
    )
    span = f"last {len(frame)} weeks" if weeks is not None else f"{len(frame)} weeks"
    ax.set_title(
        f"Weekly load, {span} (ratio shaded: {lo}–{hi}; dashed: {ACWR_DANGER}; "
        f"capped at {ACWR_AXIS_MAX})",
        fontsize=12,
    )
    fig.autofmt_xdate()
    return fig


def load_overview(section: Mapping | None, ax: Axes | None = None, *, units=None) -> Figure:
    """Weekly distance over the whole history, small (an area, so years of weeks stay legible).

    Parameters
    ----------
    section : mapping
        The report's ``load`` section.
    ax : matplotlib Axes, optional
    units : analyzer.report.fmt.Units, optional
    """
    fig, ax = _new_axes(ax, (7.5, 1.7))
    frame = _frame((section or {}).get("weeks"))
    if frame.empty:
        _no_data(ax)
        return fig
    scale, unit = _distance_scale(units)
    when = _dates(frame["week"])
    dist = frame["distance_km"].astype(float).fillna(0.0) * scale
    ax.fill_between(when, dist, step="post", color=LOAD_BAR, lw=0)
    ax.plot(when, dist, drawstyle="steps-post", color=LINE, lw=0.6)
    if len(frame) > LOAD_WEEKS:
        ax.axvspan(when.iloc[-LOAD_WEEKS], when.iloc[-1], color=MUTED, alpha=0.12, lw=0)
    ax.set_ylabel(f"[{unit}/week]", fontsize=10)
    ax.tick_params(labelsize=9)
    ax.set_ylim(bottom=0)
    ax.set_title(
        f"Whole history: {len(frame)} weeks (shaded: the weeks of the chart above)", fontsize=11
    )
    return fig


def drivers(risk: Mapping | None, ax: Axes | None = None) -> Figure:
    """The index's drivers as horizontal bars (points added to the index).

    Parameters
    ----------
    risk : mapping
        The report's ``risk`` section: ``index``, ``level``, ``drivers`` (label, contribution).
    ax : matplotlib Axes, optional
    """
    risk = risk or {}
    rows = [d for d in risk.get("drivers") or [] if d.get("contribution") is not None]
    fig, ax = _new_axes(ax, (7.5, 0.6 + 0.42 * max(len(rows), 2)))
    if not risk.get("available", True) or not rows:
        _no_data(ax, "no drivers to show")
        return fig
    rows = sorted(rows, key=lambda d: float(d["contribution"]))
    labels = [str(d.get("label") or d.get("feature")) for d in rows]
    vals = [float(d["contribution"]) for d in rows]
    colours = [ACCENT if v > 0 else "#27ae60" for v in vals]
    ax.barh(range(len(vals)), vals, color=colours)
    ax.set_yticks(range(len(vals)), labels, fontsize=10)
    ax.axvline(0, color=MUTED, lw=0.8)
    ax.set_xlabel("contribution to the index [points]")
    index = risk.get("index")
    if index is not None:
        ax.set_title(f"Imbalance-risk index {index:.0f}/100 ({risk.get('level')})", fontsize=12)
    return fig


def close(fig: Figure) -> None:
    """Release a figure's memory (figures here are not tracked by pyplot)."""
    fig.clear()
