"""Hostile exports: amplification zips (overlapping entries), per-import budgets, and folder
walks with symbolic links and special files. Everything is built in the test (in memory or in
tmp_path) from real files."""

from __future__ import annotations

import gzip
import io
import itertools
import os
import socket
import struct
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from fitbytes import ENUM, UINT16, running_file

from analyzer.cli import main
from analyzer.errors import UnsafeArchive, UnsupportedExport
from analyzer.ingest.sources import Limits, Payload, SourceProblem, iter_payloads
from analyzer.store.database import Store

FIT = running_file([(0, ENUM, b"\x04"), (1, UINT16, struct.pack("<H", 1))])


def overlapping_zip(name: str, data: bytes, copies: int) -> bytes:
    """A zip with ONE stored member whose central-directory entry is repeated ``copies`` times,
    every copy pointing at the same local header (what Python's zipfile reads without
    complaint)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(name, data)
    raw = buf.getvalue()
    eocd = raw.rindex(b"PK\x05\x06")
    cd_at = struct.unpack_from("<I", raw, eocd + 16)[0]
    entry = raw[cd_at:eocd]
    end = bytearray(raw[eocd : eocd + 22])
    struct.pack_into("<HHII", end, 8, copies, copies, len(entry) * copies, cd_at)
    return raw[:cd_at] + entry * copies + bytes(end)


def amplification_bomb(tmp_path: Path) -> Path:
    """Three levels of 300 entries each over one member: 300**3 = 27 million FIT payloads."""
    inner = overlapping_zip("run.fit", FIT, 300)
    middle = overlapping_zip("inner.zip", inner, 300)
    outer = overlapping_zip("middle.zip", middle, 300)
    path = tmp_path / "bomb.zip"
    path.write_bytes(outer)
    return path


def _bounded(paths, **kw) -> tuple[list, int]:
    """Walk ``paths``, at most 10,000 items, and the peak Python allocation while doing it."""
    tracemalloc.start()
    try:
        items = list(itertools.islice(iter_payloads(paths, **kw), 10_000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return items, peak


def test_the_amplification_zip_is_built_as_described(tmp_path):
    bomb = amplification_bomb(tmp_path)
    assert bomb.stat().st_size < 130_000  # about 118 kB
    with zipfile.ZipFile(bomb) as zf:  # Python's zipfile lists every copy
        assert len(zf.infolist()) == 300
        assert {i.header_offset for i in zf.infolist()} == {0}


def test_amplification_zip_is_refused_naming_the_archive(tmp_path):
    bomb = amplification_bomb(tmp_path)
    items, peak = _bounded([bomb])
    assert not [i for i in items if isinstance(i, Payload)]
    (problem,) = items
    assert problem.outcome == "failed"
    assert isinstance(problem.error, UnsafeArchive)
    assert str(problem.error) == (
        f"{bomb}: unsafe archive: entries 'middle.zip' and 'middle.zip' overlap at byte 0 "
        "(one member listed more than once: an amplification zip bomb); not read"
    )
    assert peak < 16 << 20


def test_amplification_zip_fails_the_import_with_one_line(tmp_path, capsys):
    bomb = amplification_bomb(tmp_path)
    code = main(["import", str(bomb), "--store", str(tmp_path / "s.duckdb"), "--workers", "1"])
    out = capsys.readouterr().out
    assert code == 1
    assert (
        f"  {bomb}: unsafe archive: entries 'middle.zip' and 'middle.zip' overlap at byte 0 "
        "(one member listed more than once: an amplification zip bomb); not read\n"
    ) in out


def test_overlap_inside_a_nested_archive_names_the_member(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("ok.fit", FIT)
        zf.writestr("part.zip", overlapping_zip("run.fit", FIT, 3))
    path = tmp_path / "export.zip"
    path.write_bytes(buf.getvalue())
    items, _ = _bounded([path])
    assert [i.name for i in items if isinstance(i, Payload)] == [f"{path}!ok.fit"]
    (problem,) = [i for i in items if isinstance(i, SourceProblem)]
    assert problem.name == f"{path}!part.zip"
    assert problem.reason == (
        "unsafe archive: entries 'run.fit' and 'run.fit' overlap at byte 0 (one member listed "
        "more than once: an amplification zip bomb); not read"
    )


def test_member_budget_is_per_import_not_per_archive(tmp_path):
    """Two archives of 30 members each, under the per-archive limit (40), over the per-import
    limit (50): the second archive is stopped with the per-import message."""
    paths = []
    for k in range(2):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for i in range(30):
                zf.writestr(f"{k}-{i}.fit", FIT + bytes([k, i]))
        paths.append(tmp_path / f"a{k}.zip")
        paths[-1].write_bytes(buf.getvalue())
    limits = Limits(max_members=40, max_import_members=50)
    items, _ = _bounded(paths, limits=limits)
    payloads = [i for i in items if isinstance(i, Payload)]
    problems = [i for i in items if isinstance(i, SourceProblem)]
    assert len(payloads) == 30
    (problem,) = problems
    assert problem.name == str(paths[1])
    assert problem.reason == (
        "unsafe archive: more than 50 files and archive members in one import (total member limit)"
    )


def test_byte_budget_is_per_import(tmp_path):
    paths = []
    for k in range(3):
        p = tmp_path / f"{k}.fit.gz"
        p.write_bytes(gzip.compress(FIT + bytes(1000 * k)))
        paths.append(p)
    limits = Limits(max_total_bytes=2 * len(FIT) + 1000)
    items, _ = _bounded(paths, limits=limits)
    assert [type(i).__name__ for i in items] == ["Payload", "Payload", "SourceProblem"]
    assert items[2].reason.startswith("unsafe archive: more than ")
    assert items[2].reason.endswith(" decompressed in one import (total size limit)")


# ------------------------------------------------------------------------------ folder walk
@pytest.fixture
def hostile_folder(tmp_path) -> tuple[Path, Path]:
    """A folder with one good file and every kind of path that must not be read."""
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.fit"
    secret.write_bytes(FIT + b"secret")
    folder = tmp_path / "export"
    (folder / "sub").mkdir(parents=True)
    (folder / "good.fit").write_bytes(FIT)
    (folder / "inside-link.fit").symlink_to(folder / "good.fit")
    (folder / "shadow.fit").symlink_to("/etc/shadow")
    (folder / "secret.fit").symlink_to(secret)
    (folder / "zero.fit").symlink_to("/dev/zero")
    (folder / "dangling.fit").symlink_to(folder / "gone.fit")
    (folder / "loop.fit").symlink_to(folder / "loop.fit")
    (folder / "outdir").symlink_to(outside, target_is_directory=True)
    os.mkfifo(folder / "sub" / "pipe.fit")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(folder / "sub" / "s.fit"))
    sock.close()
    return folder, outside


NOT_READ = {
    "dangling.fit": "not read: a symbolic link whose target does not exist",
    "loop.fit": "not read: a symbolic link whose target does not exist",
    "outdir": "not read: a symbolic link to {outside}, outside the folder given "
    "(links are not followed out of it)",
    "secret.fit": "not read: a symbolic link to {outside}/secret.fit, outside the folder given "
    "(links are not followed out of it)",
    "shadow.fit": "not read: a symbolic link to /etc/shadow, outside the folder given "
    "(links are not followed out of it)",
    "sub/pipe.fit": "not read: a FIFO (named pipe), not a file",
    "sub/s.fit": "not read: a socket, not a file",
    "zero.fit": "not read: a symbolic link to /dev/zero, outside the folder given "
    "(links are not followed out of it)",
}


def test_folder_walk_lists_every_path_it_does_not_read(hostile_folder):
    folder, outside = hostile_folder
    items, _ = _bounded([folder])  # would block on the FIFO, or never end on /dev/zero
    payloads = {Path(i.name).name: i.data for i in items if isinstance(i, Payload)}
    assert payloads == {"good.fit": FIT, "inside-link.fit": FIT}
    problems = {
        str(Path(i.name).relative_to(folder)): i.reason
        for i in items
        if isinstance(i, SourceProblem)
    }
    assert problems == {k: v.format(outside=outside) for k, v in NOT_READ.items()}
    assert all(i.outcome == "skipped" for i in items if isinstance(i, SourceProblem))


def test_import_logs_and_lists_the_paths_not_read(hostile_folder, tmp_path, capsys):
    folder, outside = hostile_folder
    store = tmp_path / "s.duckdb"
    code = main(["import", str(folder), "--store", str(store), "--workers", "1"])
    out = capsys.readouterr().out
    assert code == 0
    assert (
        "  skipped:     8  (not FIT files: GPX, TCX, CSV, JSON...; 8 not read, listed below)\n"
        in out
    )
    assert "Not read (links out of the folder, special files):\n" in out
    assert f"  {folder}/shadow.fit: " + NOT_READ["shadow.fit"] + "\n" in out
    assert f"  {folder}/sub/pipe.fit: not read: a FIFO (named pipe), not a file\n" in out
    with Store(store) as s:
        log = s.import_log()
    logged = dict(zip(log["source_name"], log["detail"], strict=True))
    assert logged[f"{folder}/zero.fit"] == NOT_READ["zero.fit"]
    assert logged[f"{folder}/dangling.fit"] == NOT_READ["dangling.fit"]
    assert (log["outcome"] == "imported").sum() == 1  # good.fit (the inside link: a duplicate)


def test_a_special_file_given_by_name_is_refused(tmp_path):
    os.mkfifo(tmp_path / "p.fit")
    (tmp_path / "z.fit").symlink_to("/dev/zero")
    for name, kind in (("p.fit", "a FIFO (named pipe)"), ("z.fit", "a device")):
        with pytest.raises(UnsupportedExport) as info:
            iter_payloads([tmp_path / name])
        assert str(info.value) == f"{tmp_path / name}: {kind}, not a file or folder: not opened"
