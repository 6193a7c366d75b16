"""Athlete reports and the team page: one dict, three renderings (HTML, terminal, JSON).

:func:`build` gathers everything the report shows for one athlete into a plain, JSON-able dict;
:func:`analyzer.report.html.render` and :func:`analyzer.report.terminal.render` draw that dict,
and ``analyzer report --json`` prints it. :func:`team` does the same for the team page.

JSON shape of an athlete report (``schema_version`` 1)
------------------------------------------------------
Every number is a plain float/int in the unit its key names; missing values are ``null``;
timestamps are ISO-8601 strings in UTC (``"2026-03-02T07:15:00Z"``); weeks start on Monday.

.. code-block:: text

    {
      "schema_version": 1,
      "kind": "athlete_report",
      "generated_at": str,                       # when the report was built
      "athlete": str,
      "period": {"first_run": str|null, "last_run": str|null,  # UTC instants; "first_date" /
                 # "last_date": the same runs' local dates (DESIGN §10)
                 "n_runs": int, "distance_km": float,
                 "days_since_last_run": int|null,  # whole days from the last run to the report
                 "stale": bool},                   # last run more than 28 days old
      "stale": null | {"last_run": str, "days": int,   # the latest run is older than 4 weeks
                       "warning": str},               # the sentence to show at the top
      "risk": {                                  # the imbalance-risk index (analyzer.risk.assessment)
        "available": bool, "reason": str|null,   # reason: why there is no score
        "index": float|null,                     # 0–100
        "level": "low"|"moderate"|"high"|null,   # null when the balance part cannot be judged
        "status": {"state": "judged"|"balance_not_judged"|"not_enough_data",
                   "text": str|null,             # the headline when not "judged"
                   "reason": str|null,           # why the balance part cannot be judged
                   "cannot_judge": [str], "judged": [str],   # feature names
                   "judged_labels": [str]},      # what is still followed, in words
        "asof": str|null, "model": str|null, "summary": str|null,
        "baseline_index": float|null,            # the index with every feature at 0
        "drivers": [{"feature": str, "label": str,
                     "contribution": float|null,  # index points, largest first
                     "value": any, "unit": str|null,
                     "text": str|null,            # the driver in the runner's own numbers
                     "evidence": str|null,        # evidence grade
                     "source": str|null, "note": str|null,
                     "flagged": bool,             # above its flag threshold
                     "status": str,               # "ok" | "not enough data: ..." | "building back: ..."
                     "dates": {"recent"|"reference"|"weeks"|"chronic":   # the windows behind it
                               {"start": str, "end": str, "runs": int}},  # ISO days
                     "contested": bool}]},        # capped with the other contested drivers
      "balance": {                               # GCT balance [% of contact time on the LEFT foot]
        "bands": [{"name": "red"|"orange"|"green", "low": float|null, "high": float|null,
                   "label": str}],               # Garmin's colour bands, lowest first
        "weeks": [{"week": str (the local Monday, YYYY-MM-DD), "gct_balance_left_pct": float, "text": str ("51.3 % L"),
                   "band": str, "n_runs": int, "outside_green_share": float|null}],
        "runs": [{"run_id": str, "start_time": str, "gct_balance_left_pct": float|null,
                  "baseline_pct": float|null, "change_pts": float|null, "shift_flag": bool,
                  "outside_green_share": float|null}],
        "latest_pct": float|null, "latest_text": str, "latest_band": str|null,
        "latest_start_time": str|null,            # the date of that "latest" balance
        "latest_date": str|null,                 # start of the run that gave latest_pct
        "runs_since_latest": int,                # later runs without a balance reading
        "baseline_pct": float|null, "change_pts": float|null},
      "trends": {"ref_speed_mps": float|null,    # the athlete's reference speed [m/s]
                 "metrics": [{"metric": "cadence_spm"|"stance_time_ms"|
                                        "vertical_oscillation_mm"|"vertical_ratio_pct",
                              "label": str, "unit": str,
                              "runs": [{"start_time": str, "value": float|null,
                                        "at_ref": float|null}],   # raw median / at ref speed
                              "first_at_ref": float|null,     # the reference level
                              "latest_at_ref": float|null,    # the recent level
                              "change_at_ref": float|null,    # the one comparison (analysis)
                              "reference_start", "reference_end",   # its dates
                              "recent_start", "recent_end": str|null}]},
      "flags": [{"metric": str, "onset": str|null,              # trends.flag_changes
                 "side": "left"|"right"|"higher"|"lower"|null,
                 "size": float|null, "baseline": float|null,     # in the metric's unit
                 "n_runs": int|null, "text": str,
                 "last": str|null, "ongoing": bool|null,         # latest flagged run; still on
                 "reference_start": str|null, "reference_end": str|null,  # reference period
                 "toward_even": bool|null}],                      # balance moved toward 50/50
      "latest_run": null | {
        "run_id": str, "start_time": str (UTC), "local_start_time": str (with its offset),
        "local_date": str, "utc_offset_s": int, "utc_offset_source": str, "source_name": str, "device": str|null,
        "dynamics_source": str, "dynamics_sensor": str|null,   # what sent the dynamics
        "distance_km": float, "duration_min": float,
        "gct_balance_left_pct": float|null, "gct_balance_band": str|null,
        "gct_balance_text": str,
        "drift": {"gct_balance_left_pts": float|null, "stance_time_ms": float|null,
                  "cadence_spm": float|null, "vertical_oscillation_mm": float|null},
        "thirds": [{"third": 1|2|3, "start_min": float, "end_min": float,
                    "gct_balance_left_pct": float|null, "stance_time_ms": float|null,
                    "cadence_spm": float|null, "speed_mps": float|null}],
        "series": {"elapsed_min": [float], "gct_balance_left_pct": [float|null],
                   "stance_time_ms": [float|null], "speed_mps": [float|null]}},  # 30 s medians
      "load": {"weeks": [{"week": str (local Monday), "distance_km": float, "time_h": float, "n_runs": int,
                          "acwr_coupled": float|null, "acwr_uncoupled": float|null,
                          "progression_2wk_pct": float|null}],
               "latest": <last entry of weeks>|null},
      "plan": {"available": bool, "reason": str|null,      # ranked hip exercises
               "focus": [str],                     # what the plan answers, most important first
               "side": "left"|"right"|null,        # side that gets extra sets, if any
               "side_reasoning": str|null, "maintenance": bool|null,
               "items": [{"rank": int, "id": str, "name": str, "works": str|null,
                          "plane": str|null,       # frontal, sagittal, transverse or multi
                          "why": str|null,         # the reason in measured numbers
                          "citations": [str], "dose": str|null, "side": str|null,
                          "extra_sets": int|null, "progression": str|null,
                          "how_to": [str],         # steps, in our own words
                          "cautions": str|null}],
               "weekly_plan": {"sessions_per_week": int|null, "minutes_per_session": int|null,
                               "sessions": [{"day": str|null, "exercises": [str]}],
                               "note": str|null},
               "notes": [str],                   # SI units (km); renderers show display units
               "load_cap": null | {"km": float, "weeks": int},   # the load note's next-week cap
               "evidence_note": str|null, "safety_note": str|null},
      "data_quality": {"n_runs": int, "n_with_dynamics": int, "n_without_dynamics": int,
                       "dynamics_sources": {source: n_runs},   # chest_strap, pod, wrist, stryd, none
                       "devices": [{"device": str, "n_runs": int}],    # watch (from the file)
                       "sensors": [{"sensor": str, "n_runs": int}],    # dynamics sensor name
                       "runs_without_dynamics": [{"run_id", "start_time", "source_name",
                                                  "device"}],
                       "developer_fields": [str],
                       "masked_samples": {column: n},  # implausible values left out
                       "notes": [str]},
      "plan_so_far": null | <analyzer.analysis.plan_so_far.plan_so_far: the stored plan, each
                     exercise's step, adherence, the safety stop, "did it work?">,
      "disclaimer": [str]
    }

JSON shape of the team page (``kind`` ``"team_report"``)
---------------------------------------------------------

.. code-block:: text

    {"schema_version": 1, "kind": "team_report", "generated_at": str,
     "athletes": [{"athlete": str, "n_runs": int, "last_run": str|null,   # UTC instant
                   "last_date": str|null,       # its date on the runner's own clock
                   "index": float|null, "level": str|null, "top_exercise": str|null,
                   "state": "judged"|"balance_not_judged"|"not_enough_data",
                   "state_text": str|null,      # what cannot be judged and why
                   "file": str|null,            # the athlete's HTML file, relative to the page
                   "error": str|null,           # why there is no score for this athlete
                   "stale": str|null,           # warning when the latest run is > 4 weeks old
                   "adherence": float|null,     # share of planned sessions done (stored plan)
                   "open_pain": [str],          # unresolved pain entries, as text
                   "referral": bool}],          # the safety stop applies: see a physio
     "disclaimer": [str]}

``analyzer report --all --json`` prints the team dict with one more key, ``"reports"``: each
athlete's full report dict, keyed by athlete name.

Strings in these dicts may come from files (device names, developer field names, source file
names, athlete names); the renderers escape every one of them.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import os
import re
from pathlib import Path
from typing import Any

from analyzer._base.files import write_user_file
from analyzer.errors import AnalyzerError

# The section builders (pandas) are imported inside the functions that use them: every command
# imports analyzer.report.safe, and so this file, at start-up.

__all__ = [
    "SCHEMA_VERSION",
    "build",
    "build_analysed",
    "team",
    "athlete_filename",
    "render_athlete",
    "write_athlete",
    "write_team",
]

SCHEMA_VERSION = 1


def _now(now=None) -> str:
    when = _dt.datetime.now(_dt.UTC) if now is None else now
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.UTC)
    return when.astimezone(_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def choose_athlete(store, athlete: str | None) -> str:
    """The athlete to report on: the one given, or the only one in the store.

    Raises
    ------
    NotFound
        The store is empty, or has no athlete of that name (:meth:`Store.resolve_athlete`).
    AnalyzerError
        Several athletes and none chosen (the message points at ``--all``).
    """
    names = list(store.athletes())
    if athlete is None and len(names) > 1:
        raise AnalyzerError(
            f"the store holds {len(names)} athletes ({', '.join(names)}): choose one with "
            "--athlete NAME, or use --all for the team page"
        )
    return store.resolve_athlete(athlete)


def _developer_fields(store, athlete: str) -> list[str]:
    """Developer (third-party) field names in the athlete's files (``Store.developer_fields``)."""
    return sorted({str(n) for n in store.developer_fields(athlete)["name"].dropna()})


def build(store, athlete: str | None = None, *, model=None, now=None) -> dict[str, Any]:
    """Everything one athlete's report shows, as a JSON-able dict (shape in the module doc).

    A view of the athlete's analysis (:func:`analyzer.analysis.analyse`): the report computes
    nothing of its own, so it says what ``risk``, ``recommend`` and ``trends`` say.

    Parameters
    ----------
    store : analyzer.store.database.Store
    athlete : str, optional
        Needed when the store holds more than one athlete.
    model : analyzer.risk.LinearIndex, optional
        A trained model; the packaged default priors when omitted.
    now : datetime, optional
        When the report is made (default: the current time, UTC): ``generated_at``, and how
        old the latest run is (``stale``).

    Raises
    ------
    NotFound
        No such athlete, or an empty store.
    """
    return build_analysed(store, athlete, model=model, now=now)[0]


def build_analysed(store, athlete: str | None = None, *, model=None, now=None) -> tuple:
    """:func:`build`, and the :class:`~analyzer.analysis.Analysis` it was built from (for
    :func:`analyzer.analysis.unchanged_until`: how long the report holds). Same parameters."""
    from analyzer.analysis import analyse

    athlete = choose_athlete(store, athlete)
    an = analyse(store, athlete, model=model, now=now)
    return from_analysis(an, store), an


def from_analysis(an, store) -> dict[str, Any]:
    """The report dict of an :class:`~analyzer.analysis.Analysis` (``store`` gives the latest
    run's records and the developer-field names)."""
    from analyzer.report import advice, quality, sections

    athlete = an.athlete
    runs, gait_df = an.runs, an.gait
    latest = None
    if len(runs):
        ordered = runs.sort_values("start_time")
        last = ordered.iloc[-1]
        if "dynamics_source" in ordered:
            with_dyn = ordered[ordered["dynamics_source"].astype("object").fillna("none") != "none"]
            if len(with_dyn):
                last = with_dyn.iloc[-1]
        gait_row = None
        if len(gait_df) and "run_id" in gait_df:
            match = gait_df[gait_df["run_id"] == last["run_id"]]
            gait_row = match.iloc[0].to_dict() if len(match) else None
        latest = sections.latest_run(last.to_dict(), gait_row, store.records(last["run_id"]))

    generated = _now(an.now)
    assessment = an.assessment.to_dict() if an.assessment is not None else None
    plan = an.plan.to_dict() if an.plan is not None else None
    return sections.clean(
        {
            "schema_version": SCHEMA_VERSION,
            "kind": "athlete_report",
            "generated_at": generated,
            "athlete": athlete,
            "period": sections.period(runs, an.now, stale=an.stale),
            "stale": an.stale,
            "risk": advice.risk_section(assessment, reason=an.reason),
            "balance": sections.balance(an.trends),
            "trends": sections.trends(an.trends, an.comparisons),
            "flags": sections.flags(an.changes),
            "latest_run": latest,
            "load": sections.load_section(an.weekly),
            "plan": advice.plan_section(plan, reason=an.reason),
            "data_quality": quality.data_quality(
                runs, gait_df, _developer_fields(store, athlete), store.masked_samples(athlete)
            ),
            "plan_so_far": an.plan_so_far,
            "disclaimer": list(advice.DISCLAIMER),
        }
    )


def athlete_filename(athlete: str) -> str:
    """A safe, unique file name for an athlete's report (``report-<slug>-<hash>.html``)."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", athlete).strip("-")[:40] or "athlete"
    digest = hashlib.sha256(athlete.encode("utf-8")).hexdigest()[:8]
    return f"report-{slug}-{digest}.html"


def team_from_reports(reports: dict[str, dict | str], files: dict[str, str] | None = None) -> dict:
    """The team page dict from per-athlete report dicts (or an error string per athlete)."""
    from analyzer.report import advice

    rows = []
    files = files or {}
    for name in sorted(reports):
        data = reports[name]
        if isinstance(data, str):
            rows.append(
                {
                    "athlete": name,
                    "n_runs": 0,
                    "last_run": None,
                    "last_date": None,
                    "index": None,
                    "level": None,
                    "top_exercise": None,
                    "state": "not_enough_data",
                    "state_text": data,
                    "file": files.get(name),
                    "error": data,
                    "stale": None,
                    "adherence": None,
                    "open_pain": [],
                    "referral": False,
                }
            )
            continue
        items = data["plan"]["items"]
        so_far = data.get("plan_so_far") or {}
        rows.append(
            {
                "athlete": name,
                "n_runs": data["period"]["n_runs"],
                "last_run": data["period"]["last_run"],
                "last_date": data["period"].get("last_date"),
                "index": data["risk"]["index"],
                "level": data["risk"]["level"],
                "top_exercise": items[0]["name"] if items else None,
                "state": data["risk"]["status"]["state"],
                "state_text": data["risk"]["status"].get("text"),
                "file": files.get(name),
                "error": data["risk"]["reason"],
                "stale": (data.get("stale") or {}).get("warning"),
                "adherence": (so_far.get("adherence") or {}).get("share"),
                "open_pain": [p["text"] for p in so_far.get("open_pain") or []],
                "referral": bool((so_far.get("safety") or {}).get("stop")),
            }
        )
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "team_report",
        "generated_at": _now(),
        "athletes": rows,
        "disclaimer": list(advice.DISCLAIMER),
    }


def build_all(store, *, model=None, now=None) -> dict[str, dict | str]:
    """Report dicts for every athlete in the store (an error message where one failed)."""
    out: dict[str, dict | str] = {}
    for name in store.athletes():
        try:
            out[name] = build(store, name, model=model, now=now)
        except AnalyzerError as exc:
            out[name] = str(exc)
    return out


def team(store, *, model=None) -> dict:
    """The team page dict: every athlete with level and top exercise (shape in the module doc)."""
    return team_from_reports(build_all(store, model=model))


def render_athlete(data: dict, *, units: str = "metric", team_href: str | None = None) -> str:
    """One athlete's report dict as a self-contained HTML page (``write_athlete`` writes it)."""
    from analyzer.report import html

    return html.render(data, units=units, team_href=team_href)


def write_athlete(
    data: dict,
    path: str | Path,
    *,
    units: str = "metric",
    team_href: str | None = None,
    page: str | None = None,
) -> Path:
    """Render one athlete's report dict to a self-contained HTML file; returns the path.

    ``units`` (``"metric"`` or ``"imperial"``) sets the display units of distance and pace;
    ``team_href`` (the team page's file name, beside this one) adds a link back to it.
    ``page``: the page :func:`render_athlete` made of ``data`` with these options already
    (a saved view), written as it is.
    """
    if page is None:
        page = render_athlete(data, units=units, team_href=team_href)
    return write_user_file(_folder_for(path), page, what="report")


def _folder_for(path: str | Path) -> Path:
    """``path`` with its folder created when missing (what cannot be created,
    :func:`~analyzer._base.files.write_user_file` reports in one line)."""
    path = Path(path)
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_athletes(
    jobs: list[tuple[dict, Path]],
    *,
    units: str = "metric",
    team_href: str | None = None,
    workers: int | None = None,
) -> None:
    """Render several athletes' reports (``(data, path)`` pairs) in parallel processes.

    ``units`` and ``team_href`` are those of :func:`write_athlete`, the same for every page.
    Rendering (charts above all) is the slow part of ``report --all`` and each athlete's is
    independent, so they go to a process pool, one per core (``workers``); one report, or one
    core, renders here. The report dicts are plain JSON-able data, cheap to send.
    """
    import functools

    write = functools.partial(_write_job, units=units, team_href=team_href)
    workers = min(workers or os.cpu_count() or 1, len(jobs))
    if workers < 2:
        for job in jobs:
            write(job)
        return
    from concurrent.futures import ProcessPoolExecutor

    from analyzer._base.processes import worker_context

    # forkserver: the workers do not inherit this process's DuckDB threads and open store, and
    # never run the caller's script again (see analyzer._base.processes)
    ctx = worker_context(("analyzer.report.html",))
    with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        list(pool.map(write, jobs))


def _write_job(job: tuple[dict, Path], *, units: str, team_href: str | None) -> Path:
    data, path = job
    return write_athlete(data, path, units=units, team_href=team_href)


def write_team(
    store,
    path: str | Path,
    *,
    model=None,
    reports: dict[str, dict | str] | None = None,
    units: str = "metric",
) -> tuple[Path, dict, dict]:
    """Write the team page at ``path`` and each athlete's report next to it, linked both ways.

    Returns
    -------
    (Path, dict, dict)
        The team page's path, the team dict, and the per-athlete report dicts (or error
        strings) keyed by athlete.
    """
    from analyzer.report import html

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    reports = reports if reports is not None else build_all(store, model=model)
    files: dict[str, str] = {}
    jobs = []
    for name, data in reports.items():
        if isinstance(data, dict):
            fname = athlete_filename(name)
            jobs.append((data, path.parent / fname))
            files[name] = fname
    write_athletes(jobs, units=units, team_href=path.name)
    team_data = team_from_reports(reports, files)
    write_user_file(path, html.render_team(team_data), what="team report")
    return path, team_data, reports
