"""Lay simulated runs out on disk: athlete folders, ground truth, Garmin and Strava export zips.

Every archive is byte-deterministic: fixed member dates (the run's start, or a fixed date),
fixed permissions and creator system, gzip ``mtime=0`` and no stored file name. (Deflate output
is deterministic for a given zlib build; a different zlib could compress differently.)
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from analyzer.fit.writer import Device, encode_run
from analyzer.simulate import diaries
from analyzer.simulate.history import (
    AthleteProfile,
    BalanceShift,
    LoadSpike,
    LowCadence,
    ground_truth,
    simulate_athlete,
)

#: The two sample athletes: one balanced, one developing a left-side GCT-balance shift of 1.8
#: points (inside Garmin's orange band 50.8-52.2 % L) that grows with fatigue,
#: from week 8 of 12.
SAMPLE_ATHLETES: tuple[AthleteProfile, ...] = (
    AthleteProfile(name="balanced", seed=101, weeks=12, interval_s=2, stryd=True),
    AthleteProfile(
        name="imbalance",
        seed=202,
        weeks=12,
        interval_s=2,
        conditions=(BalanceShift(from_week=8, side="left", size_pts=1.8, grows_with_fatigue=True),),
    ),
)

#: Fixed zip member date for files that are not runs.
_FIXED_DATE = (2026, 9, 1, 0, 0, 0)


def sample_profiles() -> tuple[AthleteProfile, ...]:
    """The profiles behind ``sample_data/``."""
    return SAMPLE_ATHLETES


def athlete_device(profile: AthleteProfile) -> Device:
    """The watch and sensors of an athlete (serials drawn from the seed)."""
    rng = profile.rng(4)
    return Device(
        watch="fr965",
        watch_serial=int(rng.integers(3_300_000_000, 3_999_999_999)),
        strap="hrm_pro",
        strap_serial=int(rng.integers(1_000_000, 9_999_999)),
        stryd_serial=int(rng.integers(100_000, 999_999)) if profile.stryd else None,
    )


def build_athlete(profile: AthleteProfile) -> tuple[list[tuple[str, bytes]], dict, list]:
    """Simulate and encode an athlete: ``([(file name, FIT bytes)], ground truth, runs)``."""
    runs = simulate_athlete(profile)
    device = athlete_device(profile)
    files = []
    for run in runs:
        run.device = device
        files.append((run.name, encode_run(run)))
    truth = ground_truth(profile, runs)
    truth["device"] = {
        "watch": device.watch,
        "dynamics_sensor": device.strap,
        "stryd": device.stryd_serial is not None,
    }
    return files, truth, runs


def _json_bytes(obj) -> bytes:
    return (json.dumps(obj, indent=1, sort_keys=False) + "\n").encode("utf-8")


def _zip_bytes(members: Iterable[tuple[str, bytes, tuple, int]]) -> bytes:
    """A zip of ``(name, data, date_time, compress_type)`` members with fixed metadata."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data, date_time, compress in members:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = compress
            info.create_system = 3
            info.external_attr = 0o644 << 16
            zf.writestr(info, data, compress_type=compress, compresslevel=9)
    return buf.getvalue()


def _date_time(name: str) -> tuple:
    """Zip date of a run file from its ``YYYY-MM-DD-HH-MM-SS.fit`` name."""
    parts = [int(p) for p in name.split(".")[0].split("-")]
    return tuple(parts[:6])


def garmin_export(athlete: str, files: list[tuple[str, bytes]], truth: dict) -> bytes:
    """A Garmin "Export your data" zip: FIT files inside a nested UploadedFiles zip, plus JSON."""
    inner = _zip_bytes(
        (f"{athlete}_{20_000_000_000 + i}.fit", data, _date_time(name), zipfile.ZIP_DEFLATED)
        for i, (name, data) in enumerate(files)
    )
    summary = [
        {
            "activityId": 20_000_000_000 + i,
            "name": f"{athlete} run",
            "activityType": "running",
            "startTimeGmt": r["start_time"],
            "distance": r["distance_m"] * 100,
            "duration": r["timer_s"] * 1000,
        }
        for i, r in enumerate(truth["runs"])
    ]
    profile = {"userName": athlete, "note": "synthetic athlete written by analyzer.simulate"}
    return _zip_bytes(
        [
            (
                "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip",
                inner,
                _FIXED_DATE,
                zipfile.ZIP_STORED,
            ),
            (
                f"DI_CONNECT/DI-Connect-Fitness/{athlete}_0_summarizedActivities.json",
                _json_bytes([{"summarizedActivitiesExport": summary}]),
                _FIXED_DATE,
                zipfile.ZIP_DEFLATED,
            ),
            (
                "DI_CONNECT/DI-Connect-User/user_profile.json",
                _json_bytes(profile),
                _FIXED_DATE,
                zipfile.ZIP_DEFLATED,
            ),
        ]
    )


def strava_export(athlete: str, files: list[tuple[str, bytes]], truth: dict) -> bytes:
    """A Strava bulk-export zip: ``activities/<id>.fit.gz`` plus ``activities.csv`` and a profile."""
    members = []
    rows = io.StringIO()
    writer = csv.writer(rows, lineterminator="\n")
    writer.writerow(
        [
            "Activity ID",
            "Activity Date",
            "Activity Name",
            "Activity Type",
            "Elapsed Time",
            "Distance",
            "Moving Time",
            "Filename",
        ]
    )
    for i, ((name, data), run) in enumerate(zip(files, truth["runs"], strict=True)):
        act_id = 13_000_000_000 + i
        gz = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=gz, mtime=0, compresslevel=9) as fh:
            fh.write(data)
        members.append(
            (f"activities/{act_id}.fit.gz", gz.getvalue(), _date_time(name), zipfile.ZIP_STORED)
        )
        writer.writerow(
            [
                act_id,
                run["start_time"],
                f"{run['kind'].title()} Run",
                "Run",
                run["timer_s"],
                round(run["distance_m"] / 1000, 2),
                run["timer_s"],
                f"activities/{act_id}.fit.gz",
            ]
        )
    profile = f"Athlete ID,First Name\n1,{athlete}\n"
    head = [
        ("activities.csv", rows.getvalue().encode(), _FIXED_DATE, zipfile.ZIP_DEFLATED),
        ("profile.csv", profile.encode(), _FIXED_DATE, zipfile.ZIP_DEFLATED),
    ]
    return _zip_bytes(head + members)


def write_athlete(
    profile: AthleteProfile, out_dir: str | Path, *, export: str | None = None
) -> tuple[list[Path], dict]:
    """Write one athlete's FIT files and ``ground_truth.json`` into ``out_dir/<name>/``.

    Parameters
    ----------
    profile : AthleteProfile
    out_dir : str or Path
    export : str, optional
        Also write the same runs as an account export: ``"garmin"`` or ``"strava"`` into
        ``out_dir/exports/<name>_<kind>_export.zip``.

    Returns
    -------
    (list of Path, dict)
        The FIT paths and the ground truth.
    """
    out = Path(out_dir)
    folder = out / profile.name
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.fit"):
        old.unlink()
    files, truth, _ = build_athlete(profile)
    paths = []
    for name, data in files:
        (folder / name).write_bytes(data)
        paths.append(folder / name)
    if export is not None:
        ex = out / "exports"
        ex.mkdir(parents=True, exist_ok=True)
        target = ex / f"{profile.name}_{export}_export.zip"
        make = strava_export if export == "strava" else garmin_export
        target.write_bytes(make(profile.name, files, truth))
        truth["export"] = f"exports/{target.name}"
    (folder / "ground_truth.json").write_bytes(_json_bytes(truth))
    return paths, truth


def _write_all(profiles: Iterable[AthleteProfile], out: Path, exports: bool) -> dict:
    """Write athletes one at a time (memory stays flat); athlete i's export alternates
    Strava (even i) and Garmin (odd i), so every run exists once as a file and once in an
    export, and each export is one account, as in real life."""
    out.mkdir(parents=True, exist_ok=True)
    for old in (out / "exports").glob("*.zip"):
        old.unlink()
    truths = {}
    for i, profile in enumerate(profiles):
        kind = ("strava" if i % 2 == 0 else "garmin") if exports else None
        _, truths[profile.name] = write_athlete(profile, out, export=kind)
    index = {
        "athletes": list(truths),
        "truth": {k: {kk: v[kk] for kk in v if kk != "runs"} for k, v in truths.items()},
    }
    (out / "ground_truth.json").write_bytes(_json_bytes(index))
    return truths


#: Sample athletes who keep a training diary: (plan week, share of planned sessions logged).
#: The demo imports it and starts the plan on the diary's first day (the "plan so far" loop).
SAMPLE_DIARIES: dict[str, tuple[int, float]] = {"imbalance": (10, 0.8)}


def write_sample_data(out_dir: str | Path) -> dict:
    """Write the bundled sample data (two athletes, 12 weeks) into ``out_dir``; byte-reproducible.

    Returns
    -------
    dict
        Ground truth per athlete.
    """
    out = Path(out_dir)
    truths = _write_all(SAMPLE_ATHLETES, out, exports=True)
    by_name = {p.name: p for p in SAMPLE_ATHLETES}
    for name, (plan_week, adherence) in SAMPLE_DIARIES.items():
        fp = diaries.FollowUpProfile(by_name[name], plan_week, adherence, fade_weeks=None)
        last = datetime.fromisoformat(truths[name]["runs"][-1]["start_time"].replace("Z", "+00:00"))
        rows = diaries.diary_rows(fp, last)
        (out / name / "diary.csv").write_bytes(diaries.diary_csv(rows))
        truths[name]["diary"] = {"plan_start": fp.plan_start.date().isoformat(),
                                 "adherence": adherence, "entries": len(rows)}  # fmt: skip
    (out / "README.md").write_text(_readme(truths), encoding="utf-8")
    return truths


def write_synthetic_export(
    out_dir: str | Path,
    *,
    athletes: int = 3,
    weeks: int = 12,
    seed: int = 0,
    exports: bool = True,
    interval_s: int = 1,
    run_minutes: float | None = None,
    runs_per_week: int | None = None,
    start: datetime | None = None,
) -> dict:
    """Write ``athletes`` synthetic runners (a mix of conditions) for load tests and demos.

    Athlete ``i`` is ``runner_{i:03d}``; every third has a left/right balance shift from two
    thirds of the way in, every fifth low cadence from mid-way, every seventh a load spike.
    ``run_minutes`` fixes every run's moving time [min] and ``runs_per_week`` (2-6) the number
    of runs a week (a load-spike week, every seventh athlete, still adds one, up to 6); the
    defaults (``None``) keep the usual 3-5 runs of planned lengths. ``start`` (zone-aware) is
    the first day (default that of :class:`AthleteProfile`, 2026-06-01).
    """
    if runs_per_week is not None and not 2 <= runs_per_week <= 6:
        raise ValueError(f"runs_per_week must be 2-6, got {runs_per_week}")
    weekly = (3, 5) if runs_per_week is None else (runs_per_week, runs_per_week)
    profiles = []
    for i in range(athletes):
        conds: list = []
        if i % 3 == 1:
            side = "left" if (seed + i) % 2 else "right"
            conds.append(BalanceShift(from_week=max(2, 2 * weeks // 3), side=side, size_pts=1.6))
        if i % 5 == 2:
            conds.append(LowCadence(from_week=max(2, weeks // 2)))
        if i % 7 == 3:
            conds.append(LoadSpike(week=max(2, weeks - 2)))
        profiles.append(
            replace(
                AthleteProfile(name=f"runner_{i:03d}"),
                seed=seed * 1000 + i,
                weeks=weeks,
                conditions=tuple(conds),
                interval_s=interval_s,
                stryd=i % 4 == 0,
                runs_per_week=weekly,
                run_minutes=run_minutes,
                **({"start": start} if start is not None else {}),
            )
        )
    return _write_all(profiles, Path(out_dir), exports)


def _readme(truths: dict) -> str:
    lines = [
        "# Sample data (synthetic)",
        "",
        "Written by `analyzer simulate-sample-data --out sample_data` (`make sample-data`); the",
        "command regenerates every file here byte for byte. Nobody ran these runs: they come from",
        "`analyzer.simulate`, a seeded model of a runner (speed, hills, pauses, heart rate and",
        "running dynamics that depend on speed and fatigue), encoded with garmin-fit-sdk.",
        "",
        "Layout:",
        "",
        "- `<athlete>/*.fit` - one FIT activity per run (file name = UTC start time),",
        "  watch fr965 + HRM-Pro chest strap (running dynamics); one record every 2 s (to keep",
        "  the folder under 10 MB; `analyzer simulate` writes every second by default);",
        "- `<athlete>/ground_truth.json` - what was injected and from when, per-run truth;",
        "- `ground_truth.json` - the athletes and their conditions (no per-run detail);",
        "- `exports/<athlete>_garmin_export.zip` - an athlete's runs as a Garmin \"Export your",
        '  data" archive (FIT files in the nested',
        "  `DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip`, plus JSON);",
        "- `exports/<athlete>_strava_export.zip` - an athlete's runs as a Strava bulk export",
        "  (`activities/*.fit.gz` + `activities.csv` + `profile.csv`);",
        "- `<athlete>/diary.csv` - a training diary (exercise sessions from the plan's start),",
        "  for the athletes that keep one; `analyzer diary import` reads it.",
        "",
        "Each athlete has one export (the first Strava, the second Garmin), holding exactly the",
        "runs of their folder (the same bytes, so importing both imports each run once).",
        "",
        "Athletes:",
        "",
    ]
    for name, t in truths.items():
        n = len(t["runs"])
        conds = t["conditions"]
        if conds:
            c = conds[0]
            what = (
                f"GCT balance shifts {c['size_pts']} points toward the {c['side']} from week "
                f"{c['from_week']} ({c['from_date']}), growing through each run"
            )
        else:
            what = "no injected condition"
        extra = (
            "; also Stryd developer fields (Form Power, Leg Spring Stiffness)" if t["stryd"] else ""
        )
        diary = t.get("diary")
        if diary:
            extra += (
                f"; a diary of {diary['entries']} entries from the plan's start on "
                f"{diary['plan_start']} (about {diary['adherence']:.0%} of sessions logged)"
            )
        lines.append(
            f"- `{name}`: {t['weeks']} weeks, {n} runs, {what}{extra}; "
            f"export `{t.get('export', '-')}`."
        )
    lines.append("")
    return "\n".join(lines)


__all__ = [
    "write_sample_data",
    "write_synthetic_export",
    "write_athlete",
    "sample_profiles",
    "garmin_export",
    "strava_export",
    "build_athlete",
]
