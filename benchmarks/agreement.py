"""Agreement of our per-run averages with the watch's own session averages, per device family.

For every running session of every FIT file found, :func:`analyzer.metrics.averages.run_averages`
(the importer's rule) is compared with the session message's ``watch_avg_*`` for each metric the
watch reported, with the issue's tolerances (cadence 1 spm; GCT, VO and step length 2 %; vertical
ratio and GCT balance 0.2). Printed per device (manufacturer/product) and metric: pairs, share
within tolerance, median miss of the misses; a pair whose value is the watch's own (source
``"watch"``) is counted separately, never as an agreement of the records. Also the runs whose
speed is > 5 % off the session's distance / timer time (the ``runs`` pace column).

Data (both optional; absent data is skipped with the reason):

- ``../real-histories-data/<history>/*.fit`` beside the checkout (real runners' histories; never
  committed, see ``../shared/real-histories/MANIFEST.md``);
- ``../shared/fit-corpus/files`` (the developer corpus).

Measured for issue 21 (five real histories, 2,439 files; pairs within tolerance, before -> after
the per-family rules of :mod:`analyzer.metrics.averages` version 3): all real pairs 95.7 % ->
97.7 % (4,256 pairs); cadence fenix 6X 88.8 -> 95.6 % (811 runs), fenix 5 92.5 -> 94.5 % (346),
fenix 3 HR 85.2 -> 96.3 % (108), COROS PACE 2 67 -> 86 % (43); COROS PACE 4 step length 96 ->
100 % (90); unchanged: FR245 98.5 %, FR265 98.4 %, fenix 7 98.8 %, COROS NOMAD 91 %, every
dynamics metric of FR245 + RD pod, FR265, fenix 7 and PACE 4 100 %. Corpus 95.5 % -> 94.6 %
(112 pairs: Garmin_Fenix_6S_Pro-Running.fit's cadence, -2.1 spm, is the one new miss).

Version 4 (of gaps equally long, the one without distance is the pause): corpus 106 -> 107 of
112 pairs (95.5 %; the fenix 6S Pro -2.1 -> +0.2 spm), real histories 4,159 -> 4,162 of 4,256
(97.8 %; fenix 5 cadence 327 -> 329 of 346, FR245 319 -> 320 of 324, nothing else moved).

Usage: ``.venv/bin/python benchmarks/agreement.py [--corpus-only|--histories-only]
[--limit N] [--cache DIR]``. ``--cache`` keeps the decoded runs between invocations (a folder
outside the checkout; nothing of it is committed).
"""

from __future__ import annotations

import argparse
import math
import pickle
import statistics
import sys
import zipfile
from collections import defaultdict
from pathlib import Path

from analyzer.metrics.averages import AGREEMENT_TOLERANCES
from analyzer.schema import AVERAGE_METRICS

REPO = Path(__file__).resolve().parents[1]
HISTORIES = REPO.parent / "real-histories-data"
CORPUS_FILES = REPO.parent / "shared" / "fit-corpus" / "files"

SHORT = {
    "cadence_spm": "cad",
    "stance_time_ms": "gct",
    "vertical_oscillation_mm": "vo",
    "step_length_mm": "step",
    "vertical_ratio_pct": "vr",
    "gct_balance_left_pct": "bal",
}
#: A run's speed this far [%] from distance / timer time contradicts its own row.
PACE_TOL_PCT = 5.0
RECORD_COLS = ("timestamp", "distance_m", *AVERAGE_METRICS)


def deviation(metric: str, ours: float, watch: float) -> tuple[float, bool]:
    """(deviation in the tolerance's unit, within tolerance)."""
    kind, tol = AGREEMENT_TOLERANCES[metric]
    dev = ours - watch if kind == "abs" else (ours - watch) / watch * 100
    return dev, abs(dev) <= tol


def _payloads(path: Path):
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as z:
            for n in z.namelist():
                if n.lower().endswith(".fit"):
                    yield f"{path.name}!{n}", z.read(n)
    elif path.suffix in (".fit", ".gz") or path.name.endswith(".fit.gz"):
        yield path.name, path.read_bytes()


def decode_runs(group: str, paths: list[Path]) -> list[dict]:
    """The running sessions of ``paths``: records (compared columns), session row, device."""
    from analyzer.fit.activity import read_fit

    out = []
    for path in paths:
        for name, data in _payloads(path):
            try:
                act = read_fit(data, name=name)
            except Exception:  # a broken corpus file is not an averaging question
                continue
            meta = act.meta
            for run in act.runs():
                cols = [c for c in RECORD_COLS if c in run.records.columns]
                out.append(
                    {
                        "group": group,
                        "file": name,
                        "manufacturer": meta.get("manufacturer"),
                        "product": meta.get("product"),
                        "records": run.records[cols].copy(),
                        "session": run.session.copy(),
                    }
                )
    return out


def load_runs(cache: Path | None, corpus: bool, histories: bool, limit: int) -> list[dict]:
    groups: dict[str, list[Path]] = {}
    if corpus:
        if CORPUS_FILES.is_dir():
            groups["corpus"] = sorted(CORPUS_FILES.iterdir())
        else:
            print(f"corpus skipped: {CORPUS_FILES} is absent")
    if histories:
        if HISTORIES.is_dir():
            for d in sorted(p for p in HISTORIES.iterdir() if p.is_dir()):
                groups[d.name] = sorted(d.glob("*.fit"))
        else:
            print(f"real histories skipped: {HISTORIES} is absent")
    runs = []
    for group, paths in groups.items():
        paths = paths[:limit] if limit else paths
        hit = cache / f"{group}-{len(paths)}.pkl" if cache else None
        if hit is not None and hit.is_file():
            runs += pickle.loads(hit.read_bytes())
            continue
        got = decode_runs(group, paths)
        if hit is not None:
            cache.mkdir(parents=True, exist_ok=True)
            hit.write_bytes(pickle.dumps(got))
        runs += got
    return runs


def evaluate(runs: list[dict]) -> dict:
    """Per (group, device) and metric: list of (deviation, ok, source); pace contradictions."""
    from analyzer.metrics.averages import run_averages

    table: dict = defaultdict(lambda: defaultdict(list))
    pace: dict = defaultdict(lambda: [0, 0, 0])
    for r in runs:
        s = r["session"]
        ours = run_averages(r["records"], s, manufacturer=r["manufacturer"], product=r["product"])
        key = (r["group"], f"{r['manufacturer']}/{r['product']}")
        for m in AGREEMENT_TOLERANCES:
            watch = s.get(f"watch_avg_{m}")
            value = ours[f"avg_{m}"]
            if watch is None or not math.isfinite(watch) or not math.isfinite(value):
                continue
            dev, ok = deviation(m, value, float(watch))
            table[key][m].append((dev, ok, ours[f"avg_{m}_source"], r["file"]))
        dist, timer = s.get("total_distance_m"), s.get("total_timer_s")
        spd = ours["avg_speed_mps"]
        if dist and timer and dist > 0 and timer > 0 and math.isfinite(spd):
            pace[key][0] += 1
            pace[key][1] += abs(spd / (dist / timer) - 1) * 100 > PACE_TOL_PCT
            pace[key][2] += ours["avg_speed_mps_source"] == "watch"  # records too sparse
    return {"table": table, "pace": pace}


def report(result: dict, show_misses: int = 0) -> None:
    table, pace = result["table"], result["pace"]
    head = f"{'group':24} {'device':28} " + " ".join(
        f"{SHORT[m]:>21}" for m in AGREEMENT_TOLERANCES
    )
    print(head + "   speed>5% off distance/timer (runs with records too sparse)")
    total = defaultdict(lambda: [0, 0, 0])
    for key in sorted(table):
        cells = []
        for m in AGREEMENT_TOLERANCES:
            pairs = table[key].get(m, [])
            if not pairs:
                cells.append(f"{'-':>21}")
                continue
            ok = sum(p[1] for p in pairs)
            watch = sum(p[2] == "watch" for p in pairs)
            misses = [p[0] for p in pairs if not p[1]]
            med = f"{statistics.median(misses):+.1f}" if misses else "  -"
            cells.append(f"{ok:4d}/{len(pairs):<4d}{ok / len(pairs):5.0%} {med:>6}"[:21].rjust(21))
            for g in (key[0], "ALL"):
                total[g][0] += ok
                total[g][1] += len(pairs)
                total[g][2] += watch
        n, bad, sparse = pace.get(key, (0, 0, 0))
        print(f"{key[0]:24} {key[1][:28]:28} " + " ".join(cells) + f"   {bad}/{n} ({sparse})")
        if show_misses:
            for m in AGREEMENT_TOLERANCES:
                for dev, _ok, src, f in [p for p in table[key].get(m, []) if not p[1]][
                    :show_misses
                ]:
                    print(f"      miss {SHORT[m]:5} {dev:+8.2f} {src} {f}")
    print()
    for g, (ok, n, watch) in sorted(total.items()):
        print(f"{g:24} {ok}/{n} = {ok / n:.1%} within tolerance ({watch} pairs the watch's value)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus-only", action="store_true")
    ap.add_argument("--histories-only", action="store_true")
    ap.add_argument("--limit", type=int, default=0, help="files per folder (0 = all)")
    ap.add_argument("--cache", type=Path, default=None)
    ap.add_argument("--misses", type=int, default=0, help="list up to N misses per cell")
    a = ap.parse_args(argv)
    runs = load_runs(a.cache, not a.histories_only, not a.corpus_only, a.limit)
    if not runs:
        print("no data found: nothing to measure")
        return 0
    report(evaluate(runs), a.misses)
    return 0


if __name__ == "__main__":
    sys.exit(main())
