"""Small FIT activity files of any watch (garmin-fit-sdk Encoder), with the session values a test
chooses: the averaging-rule tests write files that reproduce one device family's rule.

Imported as ``watchfiles`` (tests/ is on sys.path).
"""

from __future__ import annotations

import json

import numpy as np
from garmin_fit_sdk import Encoder

FILE_ID, RECORD, SESSION, ACTIVITY = 0, 20, 18, 34
#: FIT seconds of the first record (any date; none of these files is a real run).
T0 = 1_000_000_000


def cadence_fields(spm: float) -> dict:
    """Session avg_cadence + avg_fractional_cadence (strides/min) for ``spm`` steps/min."""
    raw128 = int(round(spm / 2 * 128))
    return {"avg_cadence": raw128 // 128, "avg_fractional_cadence": (raw128 % 128) / 128}


def watch_file(
    *,
    manufacturer: str,
    product: int,
    ts: np.ndarray,
    cadence_spm: np.ndarray,
    distance_m: np.ndarray,
    session: dict,
    product_name: str | None = None,
    step_length_mm: np.ndarray | None = None,
) -> bytes:
    """A one-session running file: ``ts`` are seconds from :data:`T0`; ``session`` holds FIT
    session field names (total_timer_time, total_cycles, avg_step_length...) on top of start,
    elapsed time and total distance."""
    enc = Encoder()
    file_id = {"mesg_num": FILE_ID, "type": "activity", "manufacturer": manufacturer}
    file_id |= {"product": product, "serial_number": 4242, "time_created": T0}
    if product_name:
        file_id["product_name"] = product_name
    enc.write_mesg(file_id)
    for i, t in enumerate(np.asarray(ts, dtype=np.int64)):
        strides = float(cadence_spm[i]) / 2
        rec = {"mesg_num": RECORD, "timestamp": T0 + int(t), "distance": float(distance_m[i])}
        rec |= {"cadence": int(strides), "fractional_cadence": strides % 1}
        if step_length_mm is not None:
            rec["step_length"] = float(step_length_mm[i])
        enc.write_mesg(rec)
    end = T0 + int(ts[-1])
    enc.write_mesg(
        {
            "mesg_num": SESSION,
            "message_index": 0,
            "timestamp": end,
            "start_time": T0 + int(ts[0]),
            "sport": "running",
            "sub_sport": "generic",
            "total_elapsed_time": float(ts[-1] - ts[0]),
            "total_distance": float(distance_m[-1]),
            **session,
        }
    )
    timer = session.get("total_timer_time", float(ts[-1] - ts[0]))
    enc.write_mesg({"mesg_num": ACTIVITY, "timestamp": end, "total_timer_time": timer})
    return enc.close()


def import_and_list(tmp_path, capsys, files: dict[str, bytes], *extra: str) -> list[dict]:
    """Import ``files`` into a new store through ``analyzer import`` and return ``analyzer runs
    --json`` (the real entry point), in file-name order."""
    from analyzer.cli import main

    folder = tmp_path / "files"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    store = tmp_path / "store"
    assert main(["import", str(folder), "--store", str(store), "--workers", "1"]) == 0
    capsys.readouterr()
    assert main(["runs", "--json", "--store", str(store), *extra]) == 0
    runs = json.loads(capsys.readouterr().out)
    return sorted(runs, key=lambda r: r["source_name"])
