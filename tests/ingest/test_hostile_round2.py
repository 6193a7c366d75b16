"""Issue 26, hostile input second round: the ingest side (GPX parsing cost, gzip inside a .fit,
runs per file, dates outside pandas' range, chained FIT, TCX lap times, GPX zones)."""

from __future__ import annotations

import gzip
import struct
import time
import tracemalloc
import zipfile

import pandas as pd
from fitbytes import ENUM, UINT16, running_file

from analyzer import import_paths
from analyzer.cli import main
from analyzer.ingest.gpx import read_gpx
from analyzer.ingest.sources import Payload, iter_payloads
from analyzer.ingest.tcx import read_tcx
from analyzer.ingest.xmlrun import MAX_SESSIONS

FIT = running_file([(0, ENUM, b"\x04"), (1, UINT16, struct.pack("<H", 1))])


def gpx(year=2024, points=5, tracks=1, zone="Z", comment="") -> bytes:
    trk = ""
    for t in range(tracks):
        pts = "".join(
            f'<trkpt lat="{45 + i * 1e-4:.5f}" lon="7.0">'
            f"<time>{year:04d}-05-01T10:{t % 60:02d}:{i:02d}{zone}</time></trkpt>"
            for i in range(points)
        )
        trk += f"<trk><type>running</type><trkseg>{pts}</trkseg></trk>"
    return (
        f'<?xml version="1.0"?><gpx version="1.1" creator="x" '
        f'xmlns="http://www.topografix.com/GPX/1/1">{comment}{trk}</gpx>'
    ).encode()


def _error_lines(capsys) -> list[str]:
    return [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("Error:")]


def test_gpx_namespace_comment_is_linear():
    # 80k repeats took 26.8 s through gpxpy's namespace regex; 320k (4x) must stay fast.
    bomb = "<!--" + "=" + " xmlns" * 320_000 + "-->"
    started = time.monotonic()
    act = read_gpx(gpx(comment=bomb), "bomb.gpx")
    assert time.monotonic() - started < 3.0
    assert len(act.sessions) == 1


def test_gpx_naive_times_are_utc():
    act = read_gpx(gpx(zone=""), "naive.gpx")
    assert act.sessions["start_time"].iloc[0] == pd.Timestamp("2024-05-01T10:00:00Z")


def test_too_many_tracks_fail_the_file_alone(tmp_path, capsys):
    path = tmp_path / "many.gpx.gz"
    path.write_bytes(gzip.compress(gpx(points=2, tracks=5_000)))
    good = tmp_path / "good.gpx"
    good.write_bytes(gpx(points=30))
    started = time.monotonic()
    code = main(["import", str(path), str(good), "--store", str(tmp_path / "s.duckdb"),
                 "--athlete", "a", "--workers", "1"])  # fmt: skip
    out = capsys.readouterr().out
    assert time.monotonic() - started < 20
    assert code == 1
    assert f"more than the {MAX_SESSIONS} one file may have" in out


def test_gzip_inside_a_fit_member_keeps_the_limits(tmp_path):
    bomb = gzip.compress(bytes(64 << 20), compresslevel=9)  # 64 MB of zeros in ~64 KB
    path = tmp_path / "x.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("b.fit", bomb)
    tracemalloc.start()
    try:
        items = list(iter_payloads([path]))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(items) == 1 and not isinstance(items[0], Payload)
    assert "compression ratio above" in items[0].reason
    assert peak < 32 << 20  # (unbounded: 64 MB and more)


def test_a_gzipped_fit_named_fit_still_imports(tmp_path):
    path = tmp_path / "run.fit"
    path.write_bytes(gzip.compress(FIT))
    (item,) = iter_payloads([path])
    assert item.data == FIT


def test_chained_fit_of_one_run_counts_once(tmp_path, capsys):
    from analyzer.store.database import Store

    path = tmp_path / "twice.fit.gz"
    path.write_bytes(gzip.compress(FIT) + gzip.compress(FIT))  # a multi-member gzip
    store = tmp_path / "s.duckdb"
    main(["import", str(path), "--store", str(store), "--athlete", "a", "--workers", "1"])
    with Store(store, read_only=True) as s:
        assert len(s.runs(include_duplicates=True)) <= 1


def test_years_outside_pandas_fail_the_file_and_holes_still_work(tmp_path, capsys):
    files = []
    for year in (9999, 1, 2300):
        p = tmp_path / f"y{year}.gpx"
        p.write_bytes(gpx(year=year))
        files.append(str(p))
    ok = tmp_path / "ok.gpx"
    ok.write_bytes(gpx(year=2024, points=30))
    bad = tmp_path / "2024-05-03-run.fit"
    bad.write_bytes(b"garbage!")
    store = str(tmp_path / "s.duckdb")
    for _ in range(2):  # the next import for that athlete works too
        code = main(["import", *files, str(ok), str(bad), "--store", store, "--athlete", "a",
                     "--workers", "1"])  # fmt: skip
        captured = capsys.readouterr()
        assert code == 1 and "Traceback" not in captured.err
        assert "is not a time a run can have" in captured.out


def test_a_bad_optional_lap_start_keeps_the_file():
    tcx = (
        '<?xml version="1.0"?><TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/'
        'TrainingCenterDatabase/v2"><Activities><Activity Sport="Running"><Id>x</Id>'
        '<Lap StartTime="not a time"><TotalTimeSeconds>60</TotalTimeSeconds><Track>'
        + "".join(
            f"<Trackpoint><Time>2024-05-01T10:00:{i:02d}Z</Time></Trackpoint>" for i in range(9)
        )
        + "</Track></Lap></Activity></Activities></TrainingCenterDatabase>"
    ).encode()
    act = read_tcx(tcx, "lap.tcx")
    assert len(act.sessions) == 1


def test_a_file_over_the_time_budget_fails_alone(monkeypatch):
    """The per-file time limit: a decoder that hangs fails that file with the reason, in about
    the budget's time, and the next file decodes as usual."""
    import time

    from analyzer.ingest import worker

    def hangs(out, data, name, decoder, strict):
        time.sleep(30)  # a decoder stuck on a hostile file (the timer interrupts the sleep)

    real = worker._decode_into
    monkeypatch.setattr(worker, "file_time_budget_s", lambda: 0.2)
    monkeypatch.setattr(worker, "_decode_into", hangs)
    t0 = time.perf_counter()
    out = worker.decode_payload(gpx(), "slow.gpx", "id1")
    assert time.perf_counter() - t0 < 5.0
    assert out.failed and "per-file time limit" in out.reason, out.reason
    monkeypatch.setattr(worker, "_decode_into", real)
    assert not worker.decode_payload(gpx(points=30), "next.gpx", "id2").failed


def test_a_run_dated_2200_invents_no_labels_and_trains_quickly(tmp_path):
    """A run dated 2200 (within pandas' range) is imported as 'date unknown' and spans no
    history: the diary's uninjured labels come from the real runs only (it used to invent a
    label every few weeks up to that year: 3,565 labels, 197 s of training)."""
    from analyzer.analysis.training import injury_labels
    from analyzer.store.database import Store
    from analyzer.store.diary import Diary

    for year in (2024, 2200):
        (tmp_path / f"y{year}.gpx").write_bytes(gpx(year=year, points=40))
    with Store(tmp_path / "s.duckdb") as s:
        import_paths(s, [tmp_path / "y2024.gpx", tmp_path / "y2200.gpx"], athlete="a", workers=1)
        runs = s.runs("a")
        assert len(runs) == 2 and runs["date_unknown"].fillna(False).astype(bool).sum() == 1
        Diary(s).log_pain({"athlete": "a", "date": "2024-05-02", "body_part": "knee",
                           "side": "left", "pain": 3, "running": "reduced"})  # fmt: skip
        started = time.monotonic()
        labels = injury_labels(Diary(s))
        assert time.monotonic() - started < 2.0
    assert len(labels) <= 2 and labels["date"].dt.year.max() == 2024
