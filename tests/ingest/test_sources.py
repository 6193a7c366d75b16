"""analyzer.ingest.sources: files, folders, nested export zips, and the safety limits (zip bombs)."""

from __future__ import annotations

import gzip
import io
import os
import struct
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.errors import UnsafeArchive, UnsupportedExport
from analyzer.ingest.applehealth import NO_WORKOUTS
from analyzer.ingest.formats import UNUSABLE, classify, payload_format
from analyzer.ingest.sources import Limits, Payload, SourceProblem, iter_payloads

RUN = "garmin-fenix-5-run.fit"
WALK = "garmin-fenix-5-walk.fit"
BIKE = "garmin-fenix-5-bike.fit"
MiB = 1 << 20


def _split(items) -> tuple[dict[str, bytes], list[SourceProblem]]:
    payloads, problems = {}, []
    for item in items:
        if isinstance(item, Payload):
            assert item.name not in payloads, f"payload named twice: {item.name}"
            payloads[item.name] = item.data
        else:
            problems.append(item)
    return payloads, problems


def _zip_bytes(members: dict[str, bytes], *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.fixture(scope="module")
def fit(corpus_dir) -> dict[str, bytes]:
    return {n: (corpus_dir / n).read_bytes() for n in (RUN, WALK, BIKE)}


def test_classify_by_name():
    assert classify("a/b/RUN.FIT") == "fit"
    assert classify("x.Fit.Gz") == "fit.gz"
    assert classify("export.ZIP") == "zip"
    assert classify("track.GPX") == "gpx"
    assert classify("a.tcx.gz") == "tcx.gz"
    assert classify("notes.json") is None
    assert payload_format("e.zip!activities/3.tcx.gz") == "tcx"
    assert payload_format("a.gpx") == "gpx"
    assert payload_format("a.fit.gz") == payload_format("odd.name") == "fit"
    assert classify("__x/._run.fit") is None  # AppleDouble shadow file


def test_fit_any_case_and_fit_gz(tmp_path, fit):
    (tmp_path / "upper.FIT").write_bytes(fit[RUN])
    (tmp_path / "walk.fit.gz").write_bytes(gzip.compress(fit[WALK]))
    payloads, problems = _split(iter_payloads([tmp_path / "upper.FIT", tmp_path / "walk.fit.gz"]))
    assert payloads == {
        str(tmp_path / "upper.FIT"): fit[RUN],
        str(tmp_path / "walk.fit.gz"): fit[WALK],
    }
    assert problems == []


def test_folder_is_walked_recursively_and_non_fit_files_are_skipped(tmp_path, fit):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "deep.fit").write_bytes(fit[RUN])
    (tmp_path / "top.fit").write_bytes(fit[BIKE])
    (tmp_path / "a" / "notes.gpx").write_text("<gpx/>")
    (tmp_path / "a" / "summary.json").write_text("{}")
    (tmp_path / "a" / "export.xml").write_text("<HealthData/>")
    found = []
    payloads, problems = _split(iter_payloads([tmp_path], on_discover=found.append))
    assert payloads == {
        str(tmp_path / "a/b/deep.fit"): fit[RUN],
        str(tmp_path / "a/notes.gpx"): b"<gpx/>",
        str(tmp_path / "top.fit"): fit[BIKE],
    }
    assert sorted((Path(p.name).name, p.outcome, p.reason) for p in problems) == [
        ("export.xml", "skipped", NO_WORKOUTS),
        ("summary.json", "skipped", UNUSABLE[".json"]),
    ]
    assert sum(found) == 3


def test_garmin_export_your_data_layout(tmp_path, fit):
    """export.zip → DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip → files,
    including a single-activity 'Export original' zip <id>.zip with <id>_ACTIVITY.fit."""
    original = _zip_bytes({"987654_ACTIVITY.fit": fit[BIKE]})
    part1 = _zip_bytes(
        {
            "user_111.fit": fit[RUN],
            "user_112.FIT": fit[WALK],
            "user_113.tcx": b"<tcx/>",
            "987654.zip": original,
        }
    )
    export = tmp_path / "Garmin_Download.zip"
    export.write_bytes(
        _zip_bytes(
            {
                "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip": part1,
                "DI_CONNECT/DI-Connect-Fitness/me_summarizedActivities.json": b"[]",
                "DI_CONNECT/DI-Connect-Wellness/sleep.json": b"{}",
            },
            compression=zipfile.ZIP_STORED,
        )
    )
    found = []
    payloads, problems = _split(iter_payloads([export], on_discover=found.append))
    part = f"{export}!DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip"
    assert payloads == {
        f"{part}!user_111.fit": fit[RUN],
        f"{part}!user_112.FIT": fit[WALK],
        f"{part}!987654.zip!987654_ACTIVITY.fit": fit[BIKE],
        f"{part}!user_113.tcx": b"<tcx/>",
    }
    assert {p.outcome for p in problems} == {"skipped"}
    assert len(problems) == 2  # two json
    assert sum(found) == 4


def test_strava_bulk_export_layout(tmp_path, fit):
    export = tmp_path / "export_12345.zip"
    export.write_bytes(
        _zip_bytes(
            {
                "activities.csv": b"Activity ID,Filename\n1,activities/1.fit.gz\n",
                "profile.csv": b"x\n",
                "activities/1.fit.gz": gzip.compress(fit[RUN]),
                "activities/2.gpx": b"<gpx/>",
                "activities/3.tcx.gz": gzip.compress(b"<tcx/>"),
                "activities/4.fit": fit[WALK],
                "media/photo.jpg": b"\xff\xd8",
            }
        )
    )
    payloads, problems = _split(iter_payloads([export]))
    assert payloads == {
        f"{export}!activities/1.fit.gz": fit[RUN],
        f"{export}!activities/4.fit": fit[WALK],
        f"{export}!activities/2.gpx": b"<gpx/>",
        f"{export}!activities/3.tcx.gz": b"<tcx/>",
    }
    assert sorted(p.name.split("!")[1] for p in problems) == [
        "activities.csv",
        "media/photo.jpg",
        "profile.csv",
    ]
    assert all(p.outcome == "skipped" for p in problems)


def test_missing_path_is_refused_before_anything_is_read(tmp_path):
    with pytest.raises(UnsupportedExport, match="no such file or folder"):
        iter_payloads([tmp_path / "nope.zip"])


def test_corrupt_archive_and_corrupt_member_are_failures_not_crashes(tmp_path, fit):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"this is not a zip archive at all")
    good = _zip_bytes({"a.fit": fit[RUN], "b.fit": fit[WALK]}, compression=zipfile.ZIP_STORED)
    # Flip one byte inside b.fit's stored data: its CRC-32 no longer matches.
    pos = good.index(fit[WALK][:64]) + 100
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(good[:pos] + bytes([good[pos] ^ 0xFF]) + good[pos + 1 :])
    payloads, problems = _split(iter_payloads([bad, damaged]))
    assert list(payloads) == [f"{damaged}!a.fit"]
    reasons = {p.name: p.reason for p in problems}
    assert "not a readable zip archive" in reasons[str(bad)]
    assert "CRC" in reasons[f"{damaged}!b.fit"]
    assert all(p.outcome == "failed" for p in problems)


def test_encrypted_member_is_refused(tmp_path, fit):
    raw = bytearray(_zip_bytes({"a.fit": fit[RUN]}, compression=zipfile.ZIP_STORED))
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # general-purpose flag, bit 0
        i = raw.index(sig)
        raw[i + off] |= 0x01
    path = tmp_path / "locked.zip"
    path.write_bytes(bytes(raw))
    payloads, problems = _split(iter_payloads([path]))
    assert payloads == {}
    assert problems[0].reason == "the member is encrypted"


def test_macos_metadata_is_skipped(tmp_path, fit):
    path = tmp_path / "mac.zip"
    path.write_bytes(_zip_bytes({"run.fit": fit[RUN], "__MACOSX/._run.fit": b"\x00\x05\x16\x07"}))
    payloads, problems = _split(iter_payloads([path]))
    assert list(payloads) == [f"{path}!run.fit"]
    assert problems[0].outcome == "skipped" and "macOS" in problems[0].reason


# -- safety limits --------------------------------------------------------------------------
def _zero_bomb(path: Path, mib: int, name: str = "zeros.fit") -> None:
    """A real zip whose one member inflates to ``mib`` MiB of zeros (~1000:1), written in
    streaming chunks so the test itself never holds more than 1 MiB."""
    chunk = bytes(MiB)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("readme.txt", "hello")
        with zf.open(name, "w", force_zip64=True) as member:
            for _ in range(mib):
                member.write(chunk)


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "bomb.zip"
    _zero_bomb(path, 200)
    assert path.stat().st_size < 1 * MiB  # 200 MiB of zeros in a few hundred KB
    return path


def _peak_while(items_fn) -> tuple[list, int]:
    tracemalloc.start()
    try:
        items = list(items_fn())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return items, peak


def test_zip_bomb_is_refused_by_its_compression_ratio(bomb):
    before = set(os.listdir(bomb.parent))
    items, peak = _peak_while(lambda: iter_payloads([bomb]))
    payloads, problems = _split(items)
    assert payloads == {}
    (fail,) = [p for p in problems if p.outcome == "failed"]
    assert fail.name == f"{bomb}!zeros.fit"
    assert isinstance(fail.error, UnsafeArchive)
    assert "compression ratio above 200:1" in fail.reason and "zip bomb" in fail.reason
    assert peak < 16 * MiB, f"peak memory {peak / MiB:.0f} MiB while refusing a bomb"
    assert set(os.listdir(bomb.parent)) == before  # nothing extracted beside the archive


def test_zip_bomb_is_refused_by_the_per_member_size_limit(bomb):
    limits = Limits(max_member_bytes=50 * MiB, max_ratio=1e9)
    items, peak = _peak_while(lambda: iter_payloads([bomb], limits=limits))
    (fail,) = [p for p in items if isinstance(p, SourceProblem) and p.outcome == "failed"]
    assert "200.0 MB uncompressed, more than the 50.0 MB per-member limit" in fail.reason
    assert peak < 16 * MiB


def test_nested_archive_bomb_is_refused_before_spooling(tmp_path):
    path = tmp_path / "outer.zip"
    _zero_bomb(path, 64, name="DI_CONNECT/UploadedFiles_0-_Part1.zip")
    items, peak = _peak_while(lambda: iter_payloads([path], limits=Limits(spool_bytes=MiB)))
    (fail,) = [p for p in items if p.outcome == "failed"]
    assert fail.name.endswith("!DI_CONNECT/UploadedFiles_0-_Part1.zip")
    assert "zip bomb" in fail.reason
    assert peak < 8 * MiB


def test_declared_size_is_checked_before_decompressing(tmp_path, fit):
    """A central directory claiming ~3.75 GB is refused from the header alone."""
    raw = bytearray(_zip_bytes({"huge.fit": fit[RUN]}))
    cd = raw.index(b"PK\x01\x02")
    struct.pack_into("<I", raw, cd + 24, 0xF0000000)  # uncompressed size
    path = tmp_path / "liar.zip"
    path.write_bytes(bytes(raw))
    (fail,) = list(iter_payloads([path]))
    assert fail.outcome == "failed" and "3.8 GB uncompressed" in fail.reason


def test_gzip_bomb_is_refused(tmp_path):
    path = tmp_path / "zeros.fit.gz"
    with gzip.open(path, "wb") as gz:
        for _ in range(40):
            gz.write(bytes(MiB))
    items, peak = _peak_while(lambda: iter_payloads([path]))
    (fail,) = items
    assert fail.outcome == "failed" and "compression ratio" in fail.reason
    assert peak < 16 * MiB


def test_total_size_budget_stops_the_export(tmp_path):
    members = {f"r{i}.fit": os.urandom(MiB) for i in range(6)}
    path = tmp_path / "many.zip"
    path.write_bytes(_zip_bytes(members, compression=zipfile.ZIP_STORED))
    payloads, problems = _split(iter_payloads([path], limits=Limits(max_total_bytes=3 * MiB + 10)))
    assert len(payloads) == 3
    (fail,) = problems
    assert "total size limit" in fail.reason and isinstance(fail.error, UnsafeArchive)


def test_member_count_limit(tmp_path, fit):
    path = tmp_path / "crowded.zip"
    path.write_bytes(_zip_bytes({f"{i}.json": b"{}" for i in range(10)}))
    (fail,) = list(iter_payloads([path], limits=Limits(max_members=5)))
    assert fail.outcome == "failed" and "10 members, more than the limit of 5" in fail.reason


def test_nesting_past_the_depth_limit_is_refused(tmp_path, fit):
    """level1.zip ⊃ level2.zip ⊃ ... ⊃ level6.zip, each with a FIT file; depth limit 4."""
    inner = _zip_bytes({"f6.fit": fit[RUN]})
    for level in range(5, 0, -1):
        inner = _zip_bytes({f"f{level}.fit": fit[RUN], f"level{level + 1}.zip": inner})
    path = tmp_path / "level1.zip"
    path.write_bytes(inner)
    payloads, problems = _split(iter_payloads([path]))
    assert sorted(n.rsplit("!", 1)[-1] for n in payloads) == [
        "f1.fit",
        "f2.fit",
        "f3.fit",
        "f4.fit",
    ]
    (fail,) = problems
    assert fail.name.endswith("level4.zip!level5.zip")
    assert "nested deeper than 4 archives" in fail.reason
    assert isinstance(fail.error, UnsafeArchive)


def test_payloads_are_streamed_not_collected(tmp_path):
    """Twenty 1 MiB members: consuming one at a time never holds more than a few."""
    path = tmp_path / "big.zip"
    path.write_bytes(
        _zip_bytes(
            {f"r{i}.fit": os.urandom(MiB) for i in range(20)}, compression=zipfile.ZIP_STORED
        )
    )

    def consume():
        n = 0
        for item in iter_payloads([path]):
            n += len(item.data)
        yield n

    (total,), peak = _peak_while(consume)
    assert total == 20 * MiB
    assert peak < 6 * MiB, f"peak {peak / MiB:.1f} MiB: payloads are being accumulated"


def test_large_nested_archive_is_spooled_not_held(tmp_path):
    """A nested zip larger than spool_bytes goes to an anonymous temp file."""
    inner = _zip_bytes(
        {f"r{i}.fit": os.urandom(MiB) for i in range(8)}, compression=zipfile.ZIP_STORED
    )
    path = tmp_path / "outer.zip"
    path.write_bytes(_zip_bytes({"inner.zip": inner}, compression=zipfile.ZIP_STORED))

    def consume():
        yield sum(len(i.data) for i in iter_payloads([path], limits=Limits(spool_bytes=2 * MiB)))

    (total,), peak = _peak_while(consume)
    assert total == 8 * MiB
    assert peak < 6 * MiB


# -- property: whatever the nesting, exactly the FIT members come out, with their bytes -------
_leaf = st.one_of(
    st.tuples(st.just("fit"), st.binary(min_size=0, max_size=64)),
    st.tuples(st.just("fit.gz"), st.binary(min_size=0, max_size=64)),
    st.tuples(st.sampled_from(["json", "csv", "pwx"]), st.binary(max_size=16)),
)
_tree = st.recursive(
    st.lists(_leaf, max_size=4),
    lambda children: st.lists(st.one_of(_leaf, st.tuples(st.just("zip"), children)), max_size=4),
    max_leaves=12,
)


def _build(tree, prefix: str, expected: dict, skipped: list) -> bytes:
    members = {}
    for i, (kind, content) in enumerate(tree):
        name = f"d{i}/m{i}.{kind.upper() if i % 2 else kind}"
        full = f"{prefix}!{name}"
        if kind == "zip":
            members[name] = _build(content, full, expected, skipped)
        elif kind == "fit":
            members[name] = content
            expected[full] = content
        elif kind == "fit.gz":
            members[name] = gzip.compress(content)
            expected[full] = content
        else:
            members[name] = content
            skipped.append(full)
    return _zip_bytes(members)


@settings(max_examples=40, deadline=None)
@given(tree=_tree)
def test_any_nesting_yields_exactly_the_fit_members(tree, tmp_path_factory):
    path = tmp_path_factory.mktemp("prop") / "export.zip"
    expected, skipped = {}, []
    path.write_bytes(_build(tree, str(path), expected, skipped))
    payloads, problems = _split(iter_payloads([path], limits=Limits(max_depth=10)))
    assert payloads == expected
    assert sorted(p.name for p in problems) == sorted(skipped)
    assert all(p.outcome == "skipped" for p in problems)
