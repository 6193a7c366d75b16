"""Write a simulated run as a real FIT activity file with garmin-fit-sdk's ``Encoder``.

Message order follows what Garmin watches write: ``file_id``, ``file_creator``, a timer-start
``event``, ``device_info`` (watch, then the chest strap once as heart-rate sensor and once as the
running-dynamics sensor, then an optional Stryd pod), optional ``developer_data_id`` +
``field_description`` (Stryd app), ``sport``, then ``record`` messages with timer stop/start
events around pauses and a ``lap`` after every auto-lap kilometre, and finally the last lap,
``session`` and ``activity``.

How the summaries are computed (this is the "watch rule" the importer's averages are checked
against; every record is a moving, timer-running sample because nothing is recorded while the
timer is stopped, and records are equally spaced, so time weighting equals sample weighting):

- ``avg_speed`` / ``enhanced_avg_speed`` = total distance / total timer time;
- ``avg_running_cadence`` + ``avg_fractional_cadence`` = mean per-foot cadence (steps/min / 2)
  over the records, rounded to 1/128 stride/min and split into integer and fraction;
- ``avg_vertical_oscillation``, ``avg_stance_time``, ``avg_stance_time_percent``,
  ``avg_stance_time_balance``, ``avg_step_length``, ``avg_vertical_ratio``: arithmetic means of
  the record values, rounded to the field's resolution;
- ``avg_heart_rate``, ``avg_power``: rounded means; ``max_*``: maxima;
- ``total_strides`` = sum of per-foot cadence x interval; ``total_ascent``/``descent`` = sums
  of positive/negative altitude steps; ``total_calories`` = mechanical work / 25 % efficiency.

Output bytes depend only on the run (no wall clock), so files are reproducible byte for byte.
Stretches of records between laps/pauses are packed with numpy from the SDK's own message
definition (see :class:`_Encoder`); ``encode_run(..., bulk=False)`` has the stock SDK encoder
write every message, and the tests check both give identical bytes.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO, Protocol

import numpy as np
from garmin_fit_sdk import Encoder

from analyzer.fit.writer_devices import (
    ACTIVITY,
    EVENT,
    FILE_CREATOR,
    FILE_ID,
    LAP,
    PRODUCTS,
    RECORD,
    SESSION,
    SPORT,
    Device,
    device_messages,
    stryd_descriptions,
)


class SimulatedRun(Protocol):
    """What :func:`encode_run` reads of a run (:class:`analyzer.simulate.model.SimulatedRun`).

    A protocol, so that the writer (a decoding-stage module) does not import the simulator.
    """

    records: dict[str, np.ndarray]
    segments: list[tuple[int, int]]
    interval_s: int
    device: Device | None


#: Auto-lap distance [m] (Garmin's default auto lap).
AUTO_LAP_M = 1000.0
#: Share of metabolic energy that becomes mechanical running power (for calories; assumption).
MECHANICAL_EFFICIENCY = 0.25


class _Encoder(Encoder):
    """The SDK encoder with a bulk path for runs of record messages.

    The SDK encodes one message at a time in Python (~50 us per record). Records of a run share
    one definition, so after the SDK has written the definition and the first record of a
    stretch, :meth:`write_records` packs the following records of that stretch with numpy, using
    the SDK's own definition (field order, base types, scale and offset) and the SDK's
    conversion rule ``round((value + offset) * scale)``. A test checks that the bytes equal those
    of the stock ``Encoder`` writing every record itself.
    """

    def __init__(self) -> None:
        super().__init__()
        self._definition_cache: dict = {}
        self._last_record_definition = None

    def _create_mesg_definition(self, mesg_num, mesg):
        if mesg_num != RECORD:
            return super()._create_mesg_definition(mesg_num, mesg)
        key = (
            tuple(k for k, v in mesg.items() if v is not None),
            tuple(mesg.get("developer_fields", ())),
        )
        found = self._definition_cache.get(key)
        if found is None:
            found = self._definition_cache[key] = super()._create_mesg_definition(mesg_num, mesg)
        self._last_record_definition = found
        return found

    def _find_local_mesg_definition(self, mesg_definition):
        for local in self._local_mesg_definitions:  # cached definitions are the same object
            if local is mesg_definition:
                return local
        return super()._find_local_mesg_definition(mesg_definition)

    def write_records(self, cols: dict, dev: dict, lo: int, hi: int) -> None:
        """Write records ``lo..hi-1``: the first through the SDK, the rest packed in bulk."""
        self.write_mesg(_row(cols, dev, lo))
        if hi - lo < 2:
            return
        definition = self._last_record_definition
        fields = [("header", "u1")]
        values = [np.full(hi - lo - 1, definition.local_mesg_num, dtype=np.int64)]
        for fd in definition.field_definitions:
            fields.append((fd["name"], _numpy_type(fd["base_type"])))
            values.append(_raw(cols[fd["name"]][lo + 1 : hi], fd))
        for dd in definition.developer_field_definitions:
            fields.append((dd["key"], _numpy_type(dd["base_type"])))
            values.append(_raw(dev[dd["key"]][lo + 1 : hi], dd))
        packed = np.empty(hi - lo - 1, dtype=np.dtype(fields))
        for (name, kind), v in zip(fields, values, strict=True):
            if np.dtype(kind).kind in "ui":
                bits = np.dtype(kind).itemsize * 8
                v = np.asarray(v, dtype=np.int64) & ((1 << bits) - 1)
            packed[name] = v
        self._output_stream.set_bytes(packed.tobytes(), self._output_stream.length)


def _numpy_type(base_type: int) -> str:
    """Little-endian numpy type of a FIT base type (from the SDK's base-type table)."""
    from garmin_fit_sdk import fit

    code = fit.BASE_TYPE_DEFINITIONS[base_type]["type_code"]
    return "<" + code


def _raw(values: np.ndarray, fd: dict) -> np.ndarray:
    """The SDK's value conversion, vectorised: ``round((v + offset) * scale)`` for scaled fields."""
    scale, offset = fd["scale"], fd["offset"]
    if scale != 1 or offset != 0:
        scaled = (values.astype(np.float64) + offset) * scale
        return scaled if fd["type"] in ("float32", "float64") else np.round(scaled)
    return values


def _row(cols: dict, dev: dict, i: int) -> dict:
    """Record ``i`` as an SDK message dict of Python scalars."""
    row = {"mesg_num": RECORD, **{k: v[i].item() for k, v in cols.items()}}
    if dev:
        row["developer_fields"] = {k: v[i].item() for k, v in dev.items()}
    return row


def summarize(rec: dict[str, np.ndarray], interval_s: int, distance_before_m: float = 0.0) -> dict:
    """Lap/session summary fields of some records, by the rule in the module docstring.

    Parameters
    ----------
    rec : dict of str to numpy.ndarray
        Record channels in contract units (a slice of :attr:`SimulatedRun.records`).
    interval_s : int
        Recording interval [s].
    distance_before_m : float
        Distance of the record just before the slice [m] (0 for a whole run).

    Returns
    -------
    dict
        FIT field names to values in FIT units (already at field resolution).
    """
    n = rec["timestamp"].size
    timer = float(n * interval_s)
    dist = round(float(rec["distance_m"][-1]) - distance_before_m, 2)
    strides = rec["cadence_spm"] / 2.0
    raw128 = int(round(float(strides.mean()) * 128))
    max_spm = float(rec["cadence_spm"].max())
    alt_steps = np.diff(rec["altitude_m"])
    work_j = float(rec["power_w"].sum()) * interval_s
    out = {
        "total_timer_time": timer,
        "total_distance": dist,
        "avg_speed": round(dist / timer, 3),
        "enhanced_avg_speed": round(dist / timer, 3),
        "max_speed": float(rec["speed_mps"].max()),
        "enhanced_max_speed": float(rec["speed_mps"].max()),
        "total_cycles": int(round(float(strides.sum()) * interval_s / 60.0)),
        "total_calories": int(round(work_j / MECHANICAL_EFFICIENCY / 4184.0)),
        "avg_heart_rate": int(round(float(rec["heart_rate_bpm"].mean()))),
        "max_heart_rate": int(rec["heart_rate_bpm"].max()),
        "avg_cadence": raw128 // 128,
        "avg_fractional_cadence": (raw128 % 128) / 128.0,
        "max_cadence": int(max_spm // 2),
        "max_fractional_cadence": (max_spm / 2) % 1.0,
        "avg_power": int(round(float(rec["power_w"].mean()))),
        "max_power": int(rec["power_w"].max()),
        "total_ascent": int(round(float(alt_steps[alt_steps > 0].sum()))),
        "total_descent": int(round(float(-alt_steps[alt_steps < 0].sum()))),
        "avg_vertical_oscillation": _mean(rec, "vertical_oscillation_mm", 10),
        "avg_stance_time_percent": _mean(rec, "stance_time_pct", 100),
        "avg_stance_time": _mean(rec, "stance_time_ms", 10),
        "avg_vertical_ratio": _mean(rec, "vertical_ratio_pct", 100),
        "avg_stance_time_balance": _mean(rec, "gct_balance_left_pct", 100),
        "avg_step_length": _mean(rec, "step_length_mm", 10),
    }
    return out


def _mean(rec: dict, name: str, scale: int) -> float | None:
    if name not in rec:  # a watch without running dynamics: the field is not written
        return None
    return round(float(np.mean(rec[name])) * scale) / scale


#: FIT record fields of the running dynamics and the record channel each is written from.
_DYNAMICS_FIELDS = {
    "vertical_oscillation": "vertical_oscillation_mm",
    "stance_time": "stance_time_ms",
    "stance_time_percent": "stance_time_pct",
    "stance_time_balance": "gct_balance_left_pct",
    "step_length": "step_length_mm",
    "vertical_ratio": "vertical_ratio_pct",
}


def _record_columns(run: SimulatedRun, stryd: bool) -> tuple[dict, dict]:
    """Record fields as arrays in FIT units (the values handed to the encoder) and Stryd fields."""
    r = run.records
    spm = r["cadence_spm"].astype(np.int64)
    dyn = {k: r.get(k, r["speed_mps"]) for k in _DYNAMICS_FIELDS.values()}  # placeholders
    cols = {
        "timestamp": r["timestamp"].astype(np.int64),
        "distance": r["distance_m"],
        "enhanced_speed": r["speed_mps"],
        "heart_rate": r["heart_rate_bpm"].astype(np.int64),
        "cadence": spm // 2,
        "fractional_cadence": (spm % 2) * 0.5,
        "vertical_oscillation": dyn["vertical_oscillation_mm"],
        "stance_time": dyn["stance_time_ms"],
        "stance_time_percent": dyn["stance_time_pct"],
        "stance_time_balance": dyn["gct_balance_left_pct"],
        "step_length": dyn["step_length_mm"],
        "vertical_ratio": dyn["vertical_ratio_pct"],
        "enhanced_altitude": r["altitude_m"],
        "power": r["power_w"].astype(np.int64),
    }
    # Runs recorded without running dynamics carry no dynamics channels: leave those fields out.
    for field, channel in _DYNAMICS_FIELDS.items():
        if channel not in r:
            cols.pop(field)
    dev = {}
    if stryd:
        dev = {
            "form_power": r["form_power_w"].astype(np.int64),
            "leg_spring_stiffness": r["leg_spring_stiffness_kn_m"],
        }
    return cols, dev


def _event(ts: int, event_type: str) -> dict:
    return {
        "mesg_num": EVENT,
        "timestamp": ts,
        "event": "timer",
        "event_type": event_type,
        "event_group": 0,
    }


def _slice(rec: dict, lo: int, hi: int) -> dict:
    return {k: v[lo:hi] for k, v in rec.items()}


def encode_run(
    run: SimulatedRun,
    device: Device | None = None,
    *,
    bulk: bool = True,
    utc_offset_s: int | None = 7200,
) -> bytes:
    """Encode a simulated run as FIT bytes (see the module docstring for layout and rules).

    Parameters
    ----------
    run : SimulatedRun
    device : Device, optional
        Overrides ``run.device``; the default :class:`Device` when both are None.
    bulk : bool
        Pack stretches of records with numpy (default); ``False`` lets the stock SDK ``Encoder``
        write every message itself (same bytes, ~20x slower; used by the tests as reference).
    utc_offset_s : int or None
        The watch's local clock ahead of UTC [s], written as ``activity.local_timestamp``
        (default UTC+2, as every simulated file so far); None writes no local time.

    Returns
    -------
    bytes
        A complete FIT file (header, messages, CRC).
    """
    device = device or run.device or Device()
    rec = run.records
    stryd = "form_power_w" in rec and device.stryd_serial is not None
    t0 = run.segments[0][0]
    ts = rec["timestamp"]
    end = int(ts[-1])
    enc = _Encoder() if bulk else Encoder()

    enc.write_mesg(
        {
            "mesg_num": FILE_ID,
            "type": "activity",
            "manufacturer": "garmin",
            "product": PRODUCTS[device.watch],
            "serial_number": device.watch_serial,
            "time_created": t0,
        }
    )
    enc.write_mesg(
        {"mesg_num": FILE_CREATOR, "software_version": round(device.software_version * 100)}
    )
    enc.write_mesg(_event(t0, "start"))
    for m in device_messages(device, t0):
        enc.write_mesg(m)
    if stryd:
        desc = stryd_descriptions()
        enc.write_mesg(desc["dev_id"])
        for key in ("form_power", "leg_spring_stiffness"):
            enc.add_developer_field(key, desc["dev_id"], desc[key])
            enc.write_mesg(desc[key])
    enc.write_mesg({"mesg_num": SPORT, "sport": "running", "sub_sport": "generic", "name": "Run"})

    # Auto-lap: a record belongs to lap floor(distance before it / 1 km).
    before = np.concatenate([[0.0], rec["distance_m"][:-1]])
    lap_id = np.floor(before / AUTO_LAP_M).astype(np.int64)
    lap_ends = set(np.flatnonzero(np.diff(lap_id)).tolist())  # last record of each full lap
    stops = {
        int(s[1]): int(nxt[0]) for s, nxt in zip(run.segments[:-1], run.segments[1:], strict=True)
    }

    cols, dev = _record_columns(run, stryd)
    n = ts.size

    def write_span(lo: int, hi: int) -> None:
        if bulk:
            enc.write_records(cols, dev, lo, hi)
        else:
            for i in range(lo, hi):
                enc.write_mesg(_row(cols, dev, i))

    pause_ends = {i for i in range(n - 1) if int(ts[i]) in stops}
    lap_start_i, lap_start_t, laps, lo = 0, t0, [], 0
    for i in sorted(lap_ends | pause_ends):
        write_span(lo, i + 1)
        lo = i + 1
        t = int(ts[i])
        if i in lap_ends:
            laps.append(
                _lap(rec, run.interval_s, lap_start_i, i + 1, lap_start_t, len(laps), "distance")
            )
            enc.write_mesg(laps[-1])
            lap_start_i, lap_start_t = i + 1, t
        if i in pause_ends:
            enc.write_mesg(_event(t, "stop_all"))
            enc.write_mesg(_event(stops[t], "start"))
    write_span(lo, n)
    enc.write_mesg(_event(end, "stop_all"))
    if lap_start_i < n:
        laps.append(
            _lap(rec, run.interval_s, lap_start_i, n, lap_start_t, len(laps), "session_end")
        )
        enc.write_mesg(laps[-1])

    summary = summarize(rec, run.interval_s)
    enc.write_mesg(
        {
            "mesg_num": SESSION,
            "message_index": 0,
            "timestamp": end,
            "event": "session",
            "event_type": "stop",
            "start_time": t0,
            "sport": "running",
            "sub_sport": "generic",
            "total_elapsed_time": float(end - t0),
            **summary,
            "first_lap_index": 0,
            "num_laps": len(laps),
            "trigger": "activity_end",
        }
    )
    enc.write_mesg(
        {
            "mesg_num": ACTIVITY,
            "timestamp": end,
            "total_timer_time": summary["total_timer_time"],
            "num_sessions": 1,
            "type": "manual",
            "event": "activity",
            "event_type": "stop",
            **({} if utc_offset_s is None else {"local_timestamp": end + utc_offset_s}),
        }
    )
    return enc.close()


def _lap(rec, interval_s, lo, hi, start_t, index, trigger) -> dict:
    part = _slice(rec, lo, hi)
    end = int(part["timestamp"][-1])
    before = float(rec["distance_m"][lo - 1]) if lo > 0 else 0.0
    return {
        "mesg_num": LAP,
        "message_index": index,
        "timestamp": end,
        "event": "lap",
        "event_type": "stop",
        "start_time": start_t,
        "sport": "running",
        "total_elapsed_time": float(end - start_t),
        **summarize(part, interval_s, before),
        "lap_trigger": trigger,
    }


def write_fit(
    run: SimulatedRun,
    path_or_buffer: str | Path | BinaryIO | None = None,
    *,
    device: Device | None = None,
    utc_offset_s: int | None = 7200,
) -> bytes:
    """Encode ``run`` and write it to a path or binary buffer (when given); return the bytes
    (``utc_offset_s``: see :func:`encode_run`)."""
    data = encode_run(run, device, utc_offset_s=utc_offset_s)
    if isinstance(path_or_buffer, str | Path):
        Path(path_or_buffer).write_bytes(data)
    elif isinstance(path_or_buffer, io.IOBase) or hasattr(path_or_buffer, "write"):
        path_or_buffer.write(data)
    return data
