"""Simulated runners as an Apple Health "Export All Health Data": ``export.xml`` and routes.

:func:`write_apple_health_export` writes what the Health app writes, with Apple's element and
attribute names, units and time format (local time with its offset, ``2024-05-01 07:12:03
+0200``): ``apple_health_export/export.xml`` (an internal DTD of ``ATTLIST`` declarations,
``ExportDate``, ``Me``, the ``Record`` elements sorted by type then date, then the
``Workout`` elements), ``export_cda.xml`` and ``workout-routes/*.gpx``, zipped as
``export.zip`` or as the unzipped folder.

What an Apple Watch records on a run, every :data:`SAMPLE_S` seconds while the timer runs:
heart rate (count/min), ground contact time (ms), vertical oscillation (cm), stride length (m,
one step), running power (W) and running speed (km/hr); distance (km) and step counts over
intervals. Each workout carries ``WorkoutStatistics`` (averages of those samples, sums of
distance and steps), pause/resume events, ``HKIndoorWorkout`` and ``HKTimeZone`` metadata and,
outdoors, a route. Beside the runs: walking workouts (heart rate, steps, distance; no running
metrics), and records outside any workout: the watch's all-day heart rate and active energy,
the phone's step counts (also during runs: a phone carried in a pocket) and body mass.

The runs are those of :func:`analyzer.simulate.history.simulate_athlete` (so the same run can
also be written as a FIT file, as HealthFit or RunGap would). Deterministic in the profile.
Memory stays small whatever the size: records are written per type to temporary files, in
date order, then concatenated.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import time
import zipfile
from datetime import datetime
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

import numpy as np

from analyzer.simulate.history import AthleteProfile, simulate_athlete

#: Seconds between a watch's samples during a workout (assumption: a few seconds on watchOS).
SAMPLE_S = 5
#: Seconds of each distance and step-count sample during a workout.
AMOUNT_S = 30
#: FIT epoch (1989-12-31 00:00 UTC) in Unix seconds.
FIT_EPOCH = 631_065_600
_Q = "HKQuantityTypeIdentifier"
OWNER = "Ana"
WATCH = f"{OWNER}\u2019s Apple Watch"
PHONE = f"{OWNER}\u2019s iPhone"
_WATCH_DEV = (
    "name:Apple Watch, manufacturer:Apple Inc., model:Watch, hardware:Watch6,2, software:10.4"
)
_PHONE_DEV = (
    "name:iPhone, manufacturer:Apple Inc., model:iPhone, hardware:iPhone13,2, software:17.4"
)
#: Home of the simulated routes (the Bois de Vincennes, Paris).
HOME = (48.8330, 2.4330)
_DTD = """<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 13 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
<!ELEMENT ExportDate EMPTY>
<!ATTLIST ExportDate
  value CDATA #REQUIRED
>
<!ELEMENT Me EMPTY>
<!ATTLIST Me
  HKCharacteristicTypeIdentifierDateOfBirth      CDATA #REQUIRED
  HKCharacteristicTypeIdentifierBiologicalSex    CDATA #REQUIRED
>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
<!ATTLIST Record
  type          CDATA #REQUIRED
  unit          CDATA #IMPLIED
  value         CDATA #IMPLIED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!ELEMENT MetadataEntry EMPTY>
<!ATTLIST MetadataEntry
  key   CDATA #REQUIRED
  value CDATA #REQUIRED
>
<!ELEMENT Workout ((MetadataEntry|WorkoutEvent|WorkoutRoute|WorkoutStatistics)*)>
<!ATTLIST Workout
  workoutActivityType   CDATA #REQUIRED
  duration              CDATA #IMPLIED
  durationUnit          CDATA #IMPLIED
  sourceName            CDATA #REQUIRED
  sourceVersion         CDATA #IMPLIED
  device                CDATA #IMPLIED
  creationDate          CDATA #IMPLIED
  startDate             CDATA #REQUIRED
  endDate               CDATA #REQUIRED
>
<!ELEMENT WorkoutEvent EMPTY>
<!ATTLIST WorkoutEvent
  type         CDATA #REQUIRED
  date         CDATA #REQUIRED
  duration     CDATA #IMPLIED
  durationUnit CDATA #IMPLIED
>
<!ELEMENT WorkoutStatistics EMPTY>
<!ATTLIST WorkoutStatistics
  type      CDATA #REQUIRED
  startDate CDATA #REQUIRED
  endDate   CDATA #REQUIRED
  average   CDATA #IMPLIED
  minimum   CDATA #IMPLIED
  maximum   CDATA #IMPLIED
  sum       CDATA #IMPLIED
  unit      CDATA #IMPLIED
>
<!ELEMENT WorkoutRoute ((MetadataEntry|FileReference)*)>
<!ATTLIST WorkoutRoute
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!ELEMENT FileReference EMPTY>
<!ATTLIST FileReference
  path CDATA #REQUIRED
>
]>
"""


class _Clock:
    """Unix seconds -> Apple's local ``YYYY-MM-DD HH:MM:SS +HHMM`` in one zone."""

    def __init__(self, zone: str):
        self.zone = ZoneInfo(zone)
        self._hours: dict[int, tuple[int, str]] = {}

    def offset(self, t: int) -> tuple[int, str]:
        hour = t // 3600
        got = self._hours.get(hour)
        if got is None:
            local = datetime.fromtimestamp(hour * 3600, self.zone)
            seconds = int(local.utcoffset().total_seconds())
            got = self._hours[hour] = (seconds, local.strftime("%z"))
        return got

    def __call__(self, t: float) -> str:
        t = int(t)
        seconds, text = self.offset(t)
        return time.strftime("%Y-%m-%d %H:%M:%S ", time.gmtime(t + seconds)) + text

    def iso(self, t: float) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(t)))


class _Records:
    """Record lines per type in temporary files (each written in date order)."""

    def __init__(self, clock: _Clock):
        self.clock = clock
        self.files: dict[str, IO[str]] = {}
        self.n = 0

    def device(self, watch: bool) -> str:
        self.n += 1
        addr = 0x280000000 + (self.n * 2_654_435_761) % 0x0FFFFFFF
        desc = _WATCH_DEV if watch else _PHONE_DEV
        return f"&lt;&lt;HKDevice: 0x{addr:x}&gt;, {desc}&gt;"

    def day(self, rows: list[tuple[str, str, int, int, str, bool]]) -> None:
        """One day's samples ``(type, unit, start, end, value, from the watch)``, any order."""
        rows.sort(key=lambda r: (r[0], r[2], r[3]))
        c = self.clock
        for kind, unit, t0, t1, value, watch in rows:
            fh = self.files.get(kind)
            if fh is None:
                fh = self.files[kind] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
            src, ver = (WATCH, "10.4") if watch else (PHONE, "17.4")
            fh.write(
                f' <Record type="{kind}" sourceName="{src}" sourceVersion="{ver}" '
                f'device="{self.device(watch)}" unit="{unit}" creationDate="{c(t1 + 2)}" '
                f'startDate="{c(t0)}" endDate="{c(t1)}" value="{value}"/>\n'
            )

    def copy_to(self, out: IO[str]) -> None:
        for kind in sorted(self.files):
            fh = self.files[kind]
            fh.seek(0)
            shutil.copyfileobj(fh, out, 1 << 20)
            fh.close()


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else math.nan


def _run_samples(run, indoor: bool) -> tuple[list, dict, list]:
    """(record rows, statistics, route points) of one simulated run."""
    r = run.records
    ts = r["timestamp"].astype("int64") + FIT_EPOCH
    rows, stats = [], {}
    written: dict[str, list[float]] = {}
    level = (
        ("HeartRate", "count/min", "heart_rate_bpm", 1.0, "{:.0f}"),
        ("RunningGroundContactTime", "ms", "stance_time_ms", 1.0, "{:.0f}"),
        ("RunningVerticalOscillation", "cm", "vertical_oscillation_mm", 0.1, "{:.1f}"),
        ("RunningStrideLength", "m", "step_length_mm", 0.001, "{:.2f}"),
        ("RunningPower", "W", "power_w", 1.0, "{:.0f}"),
        ("RunningSpeed", "km/hr", "speed_mps", 3.6, "{:.2f}"),
    )
    for seg0, seg1 in run.segments:
        u0, u1 = seg0 + FIT_EPOCH, seg1 + FIT_EPOCH
        idx = np.flatnonzero((ts > u0) & (ts <= u1))
        for i in idx[::SAMPLE_S]:
            t = int(ts[i])
            for kind, unit, col, factor, fmt in level:
                v = float(r[col][i]) * factor
                if math.isfinite(v) and v > 0:
                    text = fmt.format(v)
                    rows.append((_Q + kind, unit, t, t, text, True))
                    written.setdefault(kind, []).append(float(text))
        for a in range(u0, u1, AMOUNT_S):
            b = min(a + AMOUNT_S, u1)
            inside = (ts > a) & (ts <= b)
            if not inside.any():
                continue
            d = r["distance_m"][inside]
            km = (float(d.max()) - float(np.interp(a, ts, r["distance_m"]))) / 1000.0
            steps = round(float(np.sum(r["cadence_spm"][inside])) / 60.0)
            rows.append((_Q + "DistanceWalkingRunning", "km", a, b, f"{km:.5f}", True))
            rows.append((_Q + "StepCount", "count", a, b, f"{steps}", True))
            written.setdefault("distance", []).append(round(km, 5))
            written.setdefault("steps", []).append(steps)
        # the phone in a pocket counts too, over its own intervals (left out by the import)
        for a in range(u0, u1, 300):
            rows.append((_Q + "StepCount", "count", a, min(a + 300, u1), "123", False))
    for kind, unit, *_ in level:
        vals = written.get(kind, [])
        if vals:
            stats[_Q + kind] = ("average", unit, _mean(vals), min(vals), max(vals))
    stats[_Q + "DistanceWalkingRunning"] = ("sum", "km", sum(written.get("distance", [])))
    stats[_Q + "StepCount"] = ("sum", "count", float(sum(written.get("steps", []))))
    route = [] if indoor else _route_points(ts, r)
    return rows, stats, route


def _route_points(ts: np.ndarray, r: dict) -> list[tuple[int, float, float, float, float]]:
    """(time, lat, lon, elevation, speed) along a loop of the run's distance, one a second."""
    dist = np.nan_to_num(r["distance_m"])
    circumference = max(2000.0, float(dist[-1]) / 2)
    angle = 2 * math.pi * dist / circumference
    radius = circumference / (2 * math.pi)
    north = radius * np.sin(angle)
    east = radius * (1 - np.cos(angle))
    lat = HOME[0] + north / 111_195.0
    lon = HOME[1] + east / (111_195.0 * math.cos(math.radians(HOME[0])))
    return list(zip(ts.tolist(), lat, lon, r["altitude_m"], r["speed_mps"], strict=True))


def _route_name(local: str, folder: Path) -> str:
    """Apple's route file name, ``route_2024-05-01_7.12am.gpx`` (``_2``... when taken)."""
    hour = int(local[11:13])
    stem = f"route_{local[:10]}_{(hour - 1) % 12 + 1}.{local[14:16]}{'am' if hour < 12 else 'pm'}"
    name, n = f"{stem}.gpx", 1
    while (folder / name).exists():
        n += 1
        name = f"{stem}_{n}.gpx"
    return name


def _gpx(points, clock: _Clock) -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<gpx version="1.1" creator="Apple Health Export" xmlns="http://www.topografix.com/GPX/1/1"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">',
        f" <metadata><time>{clock.iso(points[0][0])}</time></metadata>",
        f" <trk><name>Route {clock(points[0][0])[:10]}</name><trkseg>",
    ]
    for t, la, lo, ele, v in points:
        lines.append(
            f'  <trkpt lon="{lo:.6f}" lat="{la:.6f}"><ele>{ele:.1f}</ele><time>{clock.iso(t)}'
            f"</time><extensions><speed>{v:.2f}</speed><hAcc>2.1</hAcc><vAcc>1.6</vAcc>"
            "</extensions></trkpt>"
        )
    lines += [" </trkseg></trk>", "</gpx>", ""]
    return "\n".join(lines)


def _workout(kind, t0, t1, timer_s, stats, clock, *, indoor, zone, route, device, events=()):
    c = clock
    out = [
        f' <Workout workoutActivityType="HKWorkoutActivityType{kind}" duration="{timer_s / 60:.4f}" '
        f'durationUnit="min" sourceName="{WATCH}" sourceVersion="10.4" device="{device}" '
        f'creationDate="{c(t1 + 5)}" startDate="{c(t0)}" endDate="{c(t1)}">',
        f'  <MetadataEntry key="HKIndoorWorkout" value="{int(indoor)}"/>',
        f'  <MetadataEntry key="HKTimeZone" value="{zone}"/>',
    ]
    for kind_, t in events:
        out.append(f'  <WorkoutEvent type="HKWorkoutEventType{kind_}" date="{c(t)}"/>')
    for q, st in stats.items():
        if st[0] == "average":
            _, unit, avg, lo, hi = st
            vals = f'average="{avg:.6g}" minimum="{lo:.6g}" maximum="{hi:.6g}"'
        else:
            unit, vals = st[1], f'sum="{st[2]:.6g}"'
        out.append(
            f'  <WorkoutStatistics type="{q}" startDate="{c(t0)}" endDate="{c(t1)}" {vals} '
            f'unit="{unit}"/>'
        )
    if route is not None:
        out += [
            f'  <WorkoutRoute sourceName="{WATCH}" sourceVersion="10.4" creationDate="{c(t1 + 9)}" '
            f'startDate="{c(t0)}" endDate="{c(t1)}">',
            '   <MetadataEntry key="HKMetadataKeySyncVersion" value="2"/>',
            f'   <FileReference path="/workout-routes/{route}"/>',
            "  </WorkoutRoute>",
        ]
    out.append(" </Workout>")
    return "\n".join(out) + "\n"


def _walk(t0: int, rng: np.random.Generator) -> tuple[list, dict, int]:
    """A 30-minute walk: heart rate, steps and distance; no running metrics."""
    minutes = 30
    rows, hr, dist, steps = [], [], 0.0, 0
    for k in range(0, minutes * 60, SAMPLE_S):
        v = round(float(95 + 10 * rng.random()))
        rows.append((_Q + "HeartRate", "count/min", t0 + k, t0 + k, str(v), True))
        hr.append(v)
    for k in range(0, minutes * 60, AMOUNT_S):
        km, n = round(1.4 * AMOUNT_S / 1000, 5), round(110 * AMOUNT_S / 60)
        rows.append((_Q + "DistanceWalkingRunning", "km", t0 + k, t0 + k + AMOUNT_S, f"{km}", True))
        rows.append((_Q + "StepCount", "count", t0 + k, t0 + k + AMOUNT_S, str(n), True))
        dist, steps = dist + km, steps + n
    stats = {
        _Q + "HeartRate": ("average", "count/min", _mean(hr), min(hr), max(hr)),
        _Q + "DistanceWalkingRunning": ("sum", "km", dist),
        _Q + "StepCount": ("sum", "count", float(steps)),
    }
    return rows, stats, minutes * 60


def _background(day0: int, per_day: int, rng: np.random.Generator) -> list:
    """Records outside workouts: watch heart rate and active energy, phone steps, body mass."""
    rows = []
    step = max(60, 86_400 // max(per_day, 1))
    for t in range(day0, day0 + 86_400, step):
        rows.append((_Q + "HeartRate", "count/min", t, t, str(int(60 + 25 * rng.random())), True))
        rows.append((_Q + "ActiveEnergyBurned", "kcal", t, t + 60, f"{rng.random():.3f}", True))
    for t in range(day0 + 8 * 3600, day0 + 22 * 3600, 3600):
        rows.append((_Q + "StepCount", "count", t, t + 600, str(int(300 * rng.random())), False))
    rows.append((_Q + "BodyMass", "kg", day0 + 7 * 3600, day0 + 7 * 3600, "61.5", False))
    return rows


def write_apple_health_export(
    out_dir: str | Path,
    profile: AthleteProfile | None = None,
    *,
    zipped: bool = True,
    zone: str = "Europe/Paris",
    walks_per_week: int = 1,
    background_per_day: int = 96,
    routes: bool = True,
) -> dict:
    """Write ``profile``'s runs as an Apple Health export in ``out_dir``.

    Parameters
    ----------
    out_dir : path-like
        Created if missing; gets ``export.zip`` (``zipped``) or the folder
        ``apple_health_export/``.
    profile : AthleteProfile, optional
        The runner (default: ``AthleteProfile(name="ana")``, 12 weeks).
    zone : str
        The IANA time zone of the phone (times are written with its offsets).
    walks_per_week : int
        Walking workouts a week (not runs: the import leaves them out).
    background_per_day : int
        Watch heart-rate and active-energy samples a day outside workouts (sets the size: about
        770 bytes a sample pair; 3,000 a day for about 0.8 GB a year).
    routes : bool
        Write ``workout-routes/*.gpx`` for the outdoor runs.

    Returns
    -------
    dict
        ``path`` (the zip or the folder), ``xml`` (export.xml), ``runs`` (one dict per running
        workout: start/end as written, indoor, route, and the statistics' averages in Apple's
        units), ``walks`` (number), ``size_bytes`` of export.xml.
    """
    profile = profile or AthleteProfile(name="ana")
    out = Path(out_dir)
    folder = out / "apple_health_export"
    (folder / "workout-routes").mkdir(parents=True, exist_ok=True)
    runs = simulate_athlete(profile)
    clock = _Clock(zone)
    records = _Records(clock)
    rng = np.random.default_rng(profile.seed + 7_000_003)
    by_day: dict[int, list] = {}
    for i, run in enumerate(runs):
        t0 = run.segments[0][0] + FIT_EPOCH
        day = (t0 + clock.offset(t0)[0]) // 86_400
        by_day.setdefault(day, []).append((i, run))
    first = (int(profile.start.timestamp())) // 86_400
    last = max(by_day) if by_day else first
    workouts, truth_runs, walks = [], [], 0
    for day in range(first, last + 1):
        day0 = day * 86_400 - clock.offset(day * 86_400)[0]
        rows = _background(day0, background_per_day, rng) if background_per_day else []
        for i, run in by_day.get(day, []):
            indoor = i % 5 == 4
            samples, stats, points = _run_samples(run, indoor)
            rows += samples
            t0, t1 = run.segments[0][0] + FIT_EPOCH, run.segments[-1][1] + FIT_EPOCH
            timer = sum(b - a for a, b in run.segments)
            events = []
            for (_, a_end), (b_start, _) in zip(run.segments, run.segments[1:], strict=False):
                events += [("Pause", a_end + FIT_EPOCH), ("Resume", b_start + FIT_EPOCH)]
            route = None
            if points and routes:
                route = _route_name(clock(t0), folder / "workout-routes")
                (folder / "workout-routes" / route).write_text(_gpx(points, clock), "utf-8")
            dev = records.device(True)
            workouts.append((t0, _workout("Running", t0, t1, timer, stats, clock, indoor=indoor,
                                          zone=zone, route=route, device=dev, events=events)))  # fmt: skip
            truth_runs.append({
                "name": run.name, "start": clock(t0), "end": clock(t1), "indoor": indoor,
                "route": route, "timer_s": timer,
                "statistics": {k.removeprefix(_Q): v[2] for k, v in stats.items()},
            })  # fmt: skip
        if (day - first + 3) % 7 < walks_per_week and not by_day.get(day):
            t0 = day0 + 18 * 3600
            wrows, stats, secs = _walk(t0, rng)
            rows += wrows
            dev = records.device(True)
            workouts.append((t0, _workout("Walking", t0, t0 + secs, secs, stats, clock,
                                          indoor=False, zone=zone, route=None, device=dev)))  # fmt: skip
            walks += 1
        records.day(rows)
    xml = folder / "export.xml"
    now = int(profile.start.timestamp()) + 7 * 86_400 * (profile.weeks + 1)
    with open(xml, "w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n' + _DTD)
        fh.write('<HealthData locale="fr_FR">\n')
        fh.write(f' <ExportDate value="{clock(now)}"/>\n')
        fh.write(
            ' <Me HKCharacteristicTypeIdentifierDateOfBirth="1990-04-12" '
            'HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexFemale" '
            'HKCharacteristicTypeIdentifierBloodType="HKBloodTypeNotSet" '
            'HKCharacteristicTypeIdentifierFitzpatrickSkinType="HKFitzpatrickSkinTypeNotSet" '
            'HKCharacteristicTypeIdentifierCardioFitnessMedicationsUse="None"/>\n'
        )
        records.copy_to(fh)
        for _, text in sorted(workouts, key=lambda w: w[0]):
            fh.write(text)
        fh.write("</HealthData>\n")
    (folder / "export_cda.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<ClinicalDocument xmlns="urn:hl7-org:v3">'
        "</ClinicalDocument>\n",
        "utf-8",
    )
    truth = {
        "athlete": profile.name,
        "xml": str(xml),
        "runs": truth_runs,
        "walks": walks,
        "size_bytes": xml.stat().st_size,
    }
    if zipped:
        path = out / "export.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for f in sorted(folder.rglob("*")):
                if f.is_file():
                    zf.write(f, f.relative_to(out).as_posix())
        shutil.rmtree(folder)
        truth["path"] = str(path)
    else:
        truth["path"] = str(folder)
    return truth


__all__ = ["write_apple_health_export", "SAMPLE_S"]
