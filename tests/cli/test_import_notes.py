"""The import summary says one line per kind of note, in words a runner can act on; the details
of every file are behind --verbose (and in the import log)."""

from __future__ import annotations

from analyzer.cli.imports import note_kinds
from analyzer.store.rows import LogEntry


def _entry(name, *notes):
    return LogEntry(name, "imported", "; ".join(["1 run", *notes]), "id-" + name)


def test_notes_are_grouped_by_kind():
    entries = [
        _entry(f"c{i}.fit", "field 3 of message 21 read as bytes (size 1 is not a multiple of uint32)",
               "field 4 of message 21 read as bytes (size 1 is not a multiple of uint32)")
        for i in range(20)
    ] + [
        _entry("e.fit", "2 implausible samples masked (vertical_ratio_pct 2)"),
        _entry("f.fit", "something new"),
    ]  # fmt: skip
    lines = note_kinds(entries)
    assert lines[0].startswith("20 files with a field stored in an unexpected size")
    assert lines[1].startswith("1 file with a few implausible samples")
    assert lines[2] == "1 file: something new"
    assert not any("message 21" in ln for ln in lines)


def test_verbose_lists_every_file(capsys):
    from pathlib import Path

    from analyzer.cli.imports import _print_summary
    from analyzer.ingest.importer import ImportReport

    note = "field 3 of message 21 read as bytes (size 1 is not a multiple of uint32)"
    report = ImportReport("imp", "a", 1, [_entry(f"c{i}.fit", note) for i in range(30)])
    _print_summary(report, Path("s.duckdb"))
    short = capsys.readouterr().out.splitlines()
    assert short[-1].startswith("  30 files with a field stored in an unexpected size")
    assert not any("message 21" in ln for ln in short)
    _print_summary(report, Path("s.duckdb"), verbose=True)
    full = capsys.readouterr().out.splitlines()
    assert "Imported with notes:" in full
    assert sum("message 21" in ln for ln in full) == 30  # every file, no "... and N more"
