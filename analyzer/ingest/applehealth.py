"""Apple Health exports: split ``export.xml``, streamed, into one payload per running workout.

The Health app's "Export All Health Data" writes ``apple_health_export/export.xml`` (often
0.5-4 GB), ``export_cda.xml`` and ``workout-routes/*.gpx``. In ``export.xml`` the ``Record``
elements (one sample each: type, sourceName, device, unit, startDate, endDate, value) are NOT
nested in the ``Workout`` elements: they are top-level siblings sorted by type, then date, and
usually come before the workouts. So the file is read twice, as a stream, never whole:

1. **Workouts.** Each ``Workout`` with ``workoutActivityType="HKWorkoutActivityTypeRunning"``
   (indoor and outdoor) is kept with its metadata, statistics, events and route reference;
   other workouts are counted by type.
2. **Records.** A ``Record`` of a type a run needs (:data:`RECORD_TYPES`) is kept when it starts
   inside a running workout's interval and comes from the same device: the workout's
   ``sourceName``, or the same ``device`` description (without the object address that differs
   per element). The phone's steps and distance, carried in a pocket, are left out.

The workouts are not counted as discovered files, so they are decoded in the importing process
unless other files start the worker pool: a workout decodes in ~40 ms, and two worker processes
raised the peak memory of a 1.6 GB import from ~300 MB to ~560 MB (benchmarks/apple_bench.py).

Memory is bounded by what the running workouts need (16 bytes per kept sample), not by the
export's size, and capped: when the runs' samples would pass :data:`MAX_SAMPLES_PER_PASS`, the
records are read in several passes, one group of workouts at a time. The parser is expat with
only a start-element handler, so no tree is built and nothing read has to be cleared; the
workout pass parses from the first ``<Workout`` on (the bytes before are only scanned). Each workout then becomes a small JSON document (its figures,
its samples and the text of its route GPX) that :mod:`analyzer.ingest.applerun` turns into an
Activity in a worker process.

Safety: a real export opens with a long internal DTD of ``ELEMENT``/``ATTLIST`` declarations,
which is accepted; entity declarations (the entity-expansion bombs), external entities and an
external DTD are refused, as defusedxml does for TCX and GPX. A damaged or cut-off tail keeps
the workouts completed before it and reports the file and the byte offset.

Identity: a workout's activity id is the sha256 of its source, type, start and end instants
(UTC), so the same workout in a newer export (whose file bytes differ) is the same activity.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import IO
from xml.parsers import expat

from analyzer.errors import AnalyzerError, InvalidHealthExport
from analyzer.ingest.items import Item, Payload, SourceProblem

#: The only workout type imported as a run (indoor and outdoor: HKIndoorWorkout metadata).
RUNNING = "HKWorkoutActivityTypeRunning"
_Q = "HKQuantityTypeIdentifier"
#: Record types a run needs (units are read from each record's ``unit`` attribute).
RECORD_TYPES = frozenset(
    _Q + t
    for t in (
        "HeartRate",
        "RunningGroundContactTime",
        "RunningVerticalOscillation",
        "RunningStrideLength",
        "RunningPower",
        "RunningSpeed",
        "DistanceWalkingRunning",
        "StepCount",
    )
)
#: Why an export without any workout gives no run.
NO_WORKOUTS = "an Apple Health export without workouts: no runs to import"
#: Version of the per-workout document handed to the workers.
DOC_FORMAT = "analyzer.apple-health-workout/1"
#: Prefix of a workout's payload name after the export's name and ``!``.
WORKOUT_PREFIX = "workout "
#: Samples one record pass keeps at most (16 bytes each, ~100 MB), estimated from the running
#: workouts' durations at SAMPLES_PER_S: an Apple Watch writes heart rate every ~5 s, each
#: running metric every few seconds, distance and steps over short intervals (~1-2 a second
#: in all); more running time than this takes another pass over the file.
MAX_SAMPLES_PER_PASS = 6_000_000
SAMPLES_PER_S = 2.0
#: Bytes read per parser call.
CHUNK = 1 << 20
#: Largest route GPX read for a workout [bytes] (a three-hour run's route is ~3 MB).
MAX_ROUTE_BYTES = 64 << 20

_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")


class _Refused(Exception):
    """Raised from a parser handler: the XML declares what we do not accept."""


def device_key(device: str | None) -> str:
    """A ``device`` description without its object address (``<<HKDevice: 0x283b5e1c0>, ...``
    differs in every element of one watch)."""
    return _ADDRESS.sub("", device) if device else ""


_DAYS: dict[str, int] = {}


def epoch_seconds(text: str) -> int:
    """Apple's ``"2024-05-01 07:12:03 +0200"`` as Unix seconds (UTC).

    Raises
    ------
    ValueError
        Not a date in that form.
    """
    if len(text) != 25 or text[10] != " " or text[19] != " ":
        return int(datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%S %z").timestamp())
    key = text[:10] + text[19:]
    base = _DAYS.get(key)
    if base is None:
        base = int(
            datetime.strptime(
                text[:10] + " 00:00:00" + text[19:], "%Y-%m-%d %H:%M:%S %z"
            ).timestamp()
        )
        if len(_DAYS) < 100_000:
            _DAYS[key] = base
    h, m, s = int(text[11:13]), int(text[14:16]), int(text[17:19])
    if not (h < 24 and m < 60 and s < 61):
        raise ValueError(f"not a time of day: {text!r}")
    return base + 3600 * h + 60 * m + s


def utc_offset_s(text: str) -> int | None:
    """The UTC offset written in an Apple date (``+0200`` -> 7200) [s]; None without one."""
    m = re.search(r"([+-])(\d\d):?(\d\d)\s*$", text or "")
    if m is None:
        return None
    sign = -1 if m.group(1) == "-" else 1
    return sign * (3600 * int(m.group(2)) + 60 * int(m.group(3)))


def safe_parser() -> expat.XMLParserType:
    """An expat parser that accepts an internal DTD of element and attribute declarations but
    refuses entity declarations, external entities and an external DTD."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def entity(name, *_args):
        raise _Refused(f"entity declaration {name!r}")

    def external(*_args):
        raise _Refused("external entity reference")

    def doctype(_name, system_id, public_id, _internal):
        if system_id or public_id:
            raise _Refused(f"external DTD {system_id or public_id!r}")

    parser.EntityDeclHandler = entity
    parser.UnparsedEntityDeclHandler = entity
    parser.ExternalEntityRefHandler = external
    parser.StartDoctypeDeclHandler = doctype
    return parser


def stream(
    opener: Callable[[], IO[bytes]],
    name: str,
    start: Callable[[str, dict], None],
    end: Callable[[str], None] | None = None,
    on_bytes: Callable[[int], None] | None = None,
    *,
    skip_to: bytes | None = None,
) -> None:
    """Feed the XML stream to ``start`` (and ``end``) element handlers, chunk by chunk.

    With ``skip_to`` (``b"<Workout "``), the bytes before its first occurrence are only scanned
    for it, not parsed, and parsing starts there inside a bare ``<HealthData>``: the workouts sit
    after the records, and a top-level element's start tag cannot occur elsewhere as bytes
    (``<`` is escaped in attribute values). The full parse of the other pass checks the rest.

    Raises
    ------
    InvalidHealthExport
        Not well-formed (with the byte offset of the damage in the file), unsafe, or not
        ``HealthData``.
    """
    parser = safe_parser()
    base = 0  # the file offset of the parser's byte 0

    def first(tag: str, attrs: dict) -> None:
        if tag != "HealthData":
            raise _Refused(f"not an Apple Health export (root element <{tag}>)")
        parser.StartElementHandler = start
        start(tag, attrs)

    parser.StartElementHandler = first
    if end is not None:
        parser.EndElementHandler = end
    read, carry = 0, b""
    with opener() as fh:
        final = False
        while not final:
            chunk = fh.read(CHUNK)
            final = not chunk
            read += len(chunk)
            if on_bytes is not None and chunk:
                on_bytes(len(chunk))
            if skip_to is not None:
                buf = carry + chunk
                at = buf.find(skip_to)
                if at < 0:
                    if final:
                        return  # (no such element at all)
                    carry = buf[-(len(skip_to) - 1) :]
                    continue
                prefix = b"<HealthData>"
                base = read - len(buf) + at - len(prefix)
                chunk, skip_to = prefix + buf[at:], None
            try:
                parser.Parse(chunk, final)
            except expat.ExpatError as exc:
                what = expat.ErrorString(exc.code)
                reason = (
                    f"not well-formed XML ({what.removeprefix('not well-formed ').strip('()')})"
                )
                if final:
                    reason = f"the XML ends early ({what}; a cut-off or damaged file)"
                raise InvalidHealthExport(name, reason, base + parser.ErrorByteIndex) from None
            except _Refused as exc:
                why = str(exc)
                if not why.startswith("not an Apple"):
                    why = f"unsafe XML: {why} (entities and external DTDs are refused)"
                raise InvalidHealthExport(name, why, base + parser.CurrentByteIndex) from None


class _Workout:
    """One running workout: its figures from pass 1, its samples from pass 2."""

    __slots__ = ("attrs", "metadata", "statistics", "events", "routes", "start", "end", "series")

    def __init__(self, attrs: dict):
        self.attrs = attrs
        self.metadata: dict[str, str] = {}
        self.statistics: list[dict] = []
        self.events: list[dict] = []
        self.routes: list[str] = []
        self.start = self.end = 0
        # (type, unit) -> [start, duration [s], value] (16 bytes a sample: 7 digits of a value
        # are more than any watch writes)
        self.series: dict[tuple[str, str], tuple[array, array, array]] = {}

    @property
    def source(self) -> str:
        return self.attrs.get("sourceName") or ""

    @property
    def device(self) -> str:
        return device_key(self.attrs.get("device"))

    def activity_id(self) -> str:
        key = f"apple-health\n{self.source}\n{RUNNING}\n{self.start}\n{self.end}"
        return hashlib.sha256(key.encode("utf-8")).hexdigest()

    def add(self, kind: str, unit: str, start: int, end: int, value: float) -> None:
        cols = self.series.get((kind, unit))
        if cols is None:
            cols = self.series[(kind, unit)] = (array("q"), array("i"), array("f"))
        cols[0].append(start)
        cols[1].append(end - start)
        cols[2].append(value)

    def document(self, export: str, route: str | None) -> bytes:
        series = [
            {
                "type": k,
                "unit": u,
                "start": c[0].tolist(),
                "end": [t + d for t, d in zip(c[0], c[1], strict=True)],
                "value": [float(f"{v:.7g}") for v in c[2]],  # (float32: 7 digits)
            }
            for (k, u), c in sorted(self.series.items())
        ]
        doc = {
            "format": DOC_FORMAT,
            "id": self.activity_id(),
            "export": export,
            "workout": self.attrs,
            "metadata": self.metadata,
            "statistics": self.statistics,
            "events": self.events,
            "route_path": self.routes[0] if self.routes else None,
            "route_gpx": route,
            "series": series,
        }
        return json.dumps(doc, separators=(",", ":")).encode("utf-8")


class _WorkoutPass:
    """Pass 1: the running workouts (complete elements only), and a count of the others."""

    def __init__(self) -> None:
        self.found: list[_Workout] = []
        self.others: Counter[str] = Counter()
        self.current: _Workout | None = None
        self.in_route = False

    def start(self, tag: str, attrs: dict) -> None:
        if tag == "Workout":
            kind = attrs.get("workoutActivityType") or "no type"
            if kind == RUNNING:
                self.current = _Workout(attrs)
            else:
                self.current = None
                self.others[kind.removeprefix("HKWorkoutActivityType")] += 1
            return
        cur = self.current
        if cur is None:
            return
        if tag == "WorkoutRoute":
            self.in_route = True
        elif tag == "FileReference" and attrs.get("path"):
            cur.routes.append(attrs["path"])
        elif tag == "MetadataEntry" and not self.in_route:
            cur.metadata[attrs.get("key") or ""] = attrs.get("value") or ""
        elif tag == "WorkoutStatistics":
            cur.statistics.append(attrs)
        elif tag == "WorkoutEvent":
            cur.events.append(attrs)

    def end(self, tag: str) -> None:
        if tag == "WorkoutRoute":
            self.in_route = False
        elif tag == "Workout" and self.current is not None:
            cur, self.current = self.current, None
            try:
                cur.start = epoch_seconds(cur.attrs.get("startDate") or "")
                cur.end = epoch_seconds(cur.attrs.get("endDate") or "")
            except ValueError:
                self.others["Running without a readable start or end date"] += 1
                return
            if cur.end > cur.start:
                self.found.append(cur)


class _RecordPass:
    """Pass 2: the samples of each running workout, from its own device."""

    def __init__(self, workouts: list[_Workout]):
        self.workouts = sorted(workouts, key=lambda w: (w.start, w.end))
        self.starts = [w.start for w in self.workouts]
        self.sources = {w.source for w in self.workouts} - {""}
        self.devices = {w.device for w in self.workouts} - {""}
        # Local dates as written: one export writes every date in the phone's zone at export
        # time, so a sample inside a workout carries the workout's start or end date. A cheap
        # first test for the watch's all-day samples.
        self.days = {w.attrs[k][:10] for w in self.workouts for k in ("startDate", "endDate")}
        self.kept = 0

    def start(self, tag: str, attrs: dict) -> None:
        if tag != "Record":
            return
        kind = attrs.get("type")
        if kind not in RECORD_TYPES or attrs.get("startDate", "")[:10] not in self.days:
            return
        source = attrs.get("sourceName") or ""
        device = ""
        if source not in self.sources:
            device = device_key(attrs.get("device"))
            if device not in self.devices:
                return
        try:
            t0 = epoch_seconds(attrs["startDate"])
            i = bisect.bisect_right(self.starts, t0) - 1
            if i < 0:
                return
            t1 = epoch_seconds(attrs.get("endDate") or attrs["startDate"])
            value = float(attrs["value"])
        except (KeyError, ValueError):
            return  # a sample without a readable time or value is no sample
        for w in self.workouts[max(0, i - 1) : i + 1]:  # (workouts rarely overlap)
            if w.start <= t0 < w.end and (
                source == w.source or (device or device_key(attrs.get("device"))) == w.device
            ):
                w.add(kind, attrs.get("unit") or "", t0, t1, value)
                self.kept += 1
                return


def health_items(
    opener: Callable[[], IO[bytes]],
    size: int,
    name: str,
    *,
    read_route: Callable[[str], bytes | None] | None = None,
    on_read: Callable[[str, int, int], None] | None = None,
) -> Iterator[Item]:
    """One :class:`Payload` per running workout of an Apple Health ``export.xml``, then a
    :class:`SourceProblem` for the other workouts (skipped) and for a damaged tail (failed).

    Parameters
    ----------
    opener : callable
        Opens the XML stream from its start (called twice: one pass for the workouts, one for
        the records).
    size : int
        Size of the XML [bytes] (for progress).
    name : str
        The file or archive member (payloads are named ``<name>!workout <startDate>``).
    read_route : callable, optional
        ``read_route(path)`` returns the bytes of a ``FileReference`` path
        (``/workout-routes/route_....gpx``) or None when the export does not hold it.
    on_read : callable, optional
        ``on_read(name, bytes_done, bytes_total)`` while reading (every pass: the total is
        2 x size, more for a history too long for one record pass: :func:`_batches`).

    Raises
    ------
    InvalidHealthExport
        When nothing could be read at all (not an export, unsafe before the first workout).
    """
    done, passes = 0, 2

    def progress(n: int) -> None:
        nonlocal done
        done += n
        if on_read is not None:
            on_read(name, done, passes * size)

    workouts = _WorkoutPass()
    damage: InvalidHealthExport | None = None
    try:
        stream(opener, name, workouts.start, workouts.end, progress, skip_to=b"<Workout ")
    except InvalidHealthExport as exc:
        if not workouts.found:
            raise
        damage = exc
    batches = _batches(workouts.found)
    passes = 1 + len(batches)
    for k, batch in enumerate(batches):
        records = _RecordPass(batch)
        done = (1 + k) * size
        try:
            stream(opener, name, records.start, None, progress)
        except InvalidHealthExport as exc:
            # the full parse checks what the workout pass skipped: the DTD and the records
            if damage is None or exc.offset < damage.offset or "unsafe" in exc.reason:
                raise
        for w in records.workouts:
            route = _route(w, read_route)
            data = w.document(name, route)
            w.series.clear()
            yield Payload(
                f"{name}!{WORKOUT_PREFIX}{w.attrs.get('startDate')}", data, w.activity_id()
            )
    if not workouts.found and not workouts.others and damage is None:
        yield SourceProblem(name, NO_WORKOUTS, "skipped")
    if workouts.others:
        kinds = ", ".join(f"{k} {n}" for k, n in workouts.others.most_common())
        n = sum(workouts.others.values())
        yield SourceProblem(
            name, f"{n} workout{'s' * (n != 1)} not runs ({kinds}): not imported", "skipped"
        )
    if damage is not None:
        n = len(workouts.found)
        reason = (
            f"{damage.reason} at byte {damage.offset}; the {n} running workout"
            f"{'s' * (n != 1)} before it were read"
        )
        yield SourceProblem(name, reason, "failed", damage)


def _batches(workouts: list[_Workout]) -> list[list[_Workout]]:
    """The running workouts in groups whose samples fit :data:`MAX_SAMPLES_PER_PASS` (estimated
    at :data:`SAMPLES_PER_S` a second of workout): one record pass per group, so that memory
    stays bounded even for a decade of daily runs (one group, one pass, for most exports)."""
    out: list[list[_Workout]] = [[]]
    budget = 0.0
    for w in sorted(workouts, key=lambda w: (w.start, w.end)):
        need = (w.end - w.start) * SAMPLES_PER_S
        if out[-1] and budget + need > MAX_SAMPLES_PER_PASS:
            out.append([])
            budget = 0.0
        out[-1].append(w)
        budget += need
    return out if out[0] else []


def _route(w: _Workout, read_route: Callable[[str], bytes | None] | None) -> str | None:
    if not w.routes or read_route is None:
        return None
    try:
        data = read_route(w.routes[0])
    except (AnalyzerError, OSError):
        return None  # the run imports without its route
    if not data or len(data) > MAX_ROUTE_BYTES:
        return None
    return data.decode("utf-8", errors="replace")


__all__ = ["health_items", "epoch_seconds", "device_key", "RECORD_TYPES"]
