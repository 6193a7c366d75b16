"""The whole pipeline on the bundled sample data: import, score, recommend, write the reports.

``sample_data/`` (written by :func:`analyzer.simulate.write_sample_data`) holds one folder per
athlete; each folder's FIT files are imported under that athlete's name. When the package runs
from an installation without the repository's ``sample_data/``, the same files are generated
into the output folder first.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from analyzer.errors import NotFound

#: Where the committed sample data sits in a source checkout (next to the package).
SAMPLE_DATA = Path(__file__).resolve().parents[1] / "sample_data"

#: A sample athlete's training diary (imported, and its plan started, by the demo).
DIARY_FILE = "diary.csv"
#: Sub-folder of sample_data/ with account-export zips of the same runs (not an athlete).
EXPORTS_DIR = "exports"

#: File name of the demo's team page inside the output folder.
TEAM_PAGE = "index.html"

#: File name of the demo's store inside the output folder.
STORE_FILE = "demo.duckdb"


@dataclass
class DemoResult:
    """What :func:`run_demo` produced.

    Attributes
    ----------
    out_dir : Path
        The folder holding the store and every HTML file.
    store_path : Path
        The demo's DuckDB store.
    team_html : Path
        The team page (links to each athlete's report).
    athlete_html : dict[str, Path]
        Each athlete's report file.
    team : dict
        The team dict (shape in :mod:`analyzer.report`).
    reports : dict[str, dict | str]
        Each athlete's report dict, or the reason it could not be built.
    import_seconds, report_seconds : float
        Wall-clock time of the two stages [s].
    """

    out_dir: Path
    store_path: Path
    team_html: Path
    athlete_html: dict[str, Path] = field(default_factory=dict)
    team: dict = field(default_factory=dict)
    reports: dict = field(default_factory=dict)
    import_seconds: float = 0.0
    report_seconds: float = 0.0

    @property
    def reports_ok(self) -> bool:
        """True when every athlete got a report."""
        return bool(self.reports) and all(isinstance(r, dict) for r in self.reports.values())

    def highlight(self) -> dict | None:
        """The report with the highest index (the most interesting one to print), if any."""
        scored = [r for r in self.reports.values() if isinstance(r, dict)]
        if not scored:
            return None
        return max(
            scored, key=lambda r: r["risk"]["index"] if r["risk"]["index"] is not None else -1.0
        )


def athlete_folders(sample_dir: Path) -> dict[str, Path]:
    """Athlete name → folder: each sub-folder of ``sample_dir`` holding FIT files (not exports/)."""
    out = {}
    for sub in sorted(p for p in sample_dir.iterdir() if p.is_dir()):
        # exports/ holds the same runs again as account-export zips: not an athlete.
        if sub.name == EXPORTS_DIR:
            continue
        names = (f.name.lower() for f in sub.rglob("*") if f.is_file())
        if any(n.endswith((".fit", ".fit.gz")) for n in names):
            out[sub.name] = sub
    return out


def sample_data_dir(fallback: str | Path, say: Callable[[str], None] | None = None) -> Path:
    """The bundled ``sample_data/``; when it is not there (an installed package), the same files
    generated into ``fallback/sample_data`` (about 15 s).

    Parameters
    ----------
    fallback : path
        Folder to generate the sample data into when the bundled copy is missing.
    say : callable, optional
        Told (one line) when the data has to be generated.
    """
    if SAMPLE_DATA.is_dir() and athlete_folders(SAMPLE_DATA):
        return SAMPLE_DATA
    from analyzer import simulate

    target = Path(fallback) / "sample_data"
    if target.is_dir() and athlete_folders(target):
        return target
    if say is not None:
        say(f"sample_data/ not found next to the package; generating it in {target}")
    simulate.write_sample_data(target)
    return target


def run_demo(
    out_dir: str | Path | None = None,
    *,
    sample_dir: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
    workers: int | None = None,
) -> DemoResult:
    """Import the sample data into a fresh store and write the team page and athlete reports.

    Parameters
    ----------
    out_dir : path, optional
        Folder for the store and reports; a new temporary folder when omitted (left in place so
        the report can be opened). An existing store there is reused (imports are idempotent).
    sample_dir : path, optional
        Folder with one sub-folder per athlete (default: the bundled ``sample_data/``).
    progress : callable, optional
        Called with one line of text per stage.
    workers : int, optional
        Decoder processes for the import (default: the store's choice).

    Returns
    -------
    DemoResult

    Raises
    ------
    NotFound
        The sample folder holds no athlete folders with FIT files.
    """
    from analyzer import report
    from analyzer.ingest.importer import import_paths
    from analyzer.store.database import Store

    say = progress or (lambda _msg: None)
    out = Path(out_dir) if out_dir is not None else Path(tempfile.mkdtemp(prefix="analyzer-demo-"))
    out.mkdir(parents=True, exist_ok=True)
    src = Path(sample_dir) if sample_dir is not None else sample_data_dir(out, say)
    folders = athlete_folders(src)
    if not folders:
        raise NotFound(f"{src} holds no athlete folders with FIT files (run `make sample-data`)")
    store_path = out / STORE_FILE
    t0 = time.perf_counter()
    with Store(store_path) as store:
        for name, folder in folders.items():
            rep = import_paths(store, [folder], athlete=name, workers=workers)
            say(f"imported {name}: {_import_text(rep)}")
            if (folder / DIARY_FILE).is_file():
                say(f"{name}'s diary: {_start_from_diary(store, name, folder / DIARY_FILE)}")
        t1 = time.perf_counter()
        # the bundled sample ends on a fixed day: judge it as of its last run, not as of today
        # (which would make a newcomer's first report "stale")
        asof = sample_asof(store)
        if asof is not None:
            say(f"sample data, judged as of its last run: {asof:%Y-%m-%d}")
        reports = report.build_all(store, now=asof)
        team_path, team, reports = report.write_team(store, out / TEAM_PAGE, reports=reports)
    t2 = time.perf_counter()
    files = {a["athlete"]: out / a["file"] for a in team["athletes"] if a.get("file")}
    say(f"wrote {len(files)} athlete reports and the team page in {t2 - t1:.1f} s")
    return DemoResult(
        out_dir=out,
        store_path=store_path,
        team_html=team_path,
        athlete_html=files,
        team=team,
        reports=reports,
        import_seconds=t1 - t0,
        report_seconds=t2 - t1,
    )


def sample_asof(store):
    """The end of the day of the sample's last run (UTC), or None for an empty store."""
    import pandas as pd

    last = pd.to_datetime(store.runs()["start_time"], utc=True).max() if store.athletes() else None
    if last is None or pd.isna(last):
        return None
    return last.normalize() + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)


def _start_from_diary(store, athlete: str, path: Path) -> str:
    """Import a sample diary and start the plan it follows on its first day (the loop)."""
    import pandas as pd

    from analyzer.analysis import analyse
    from analyzer.analysis.plan_so_far import plan_record
    from analyzer.store.diary import Diary

    diary = Diary(store)
    added = diary.import_csv(path, athlete=athlete)
    entries = diary.exercises(athlete)
    if entries.empty:
        return f"{added} entries, no exercise sessions"
    start = pd.Timestamp(entries["date"].min())
    current = diary.current_plan(athlete)
    if current is not None and current["start_date"] == start:  # the demo run again
        return f"{added} new entries; the plan started on {start.date()}"
    an = analyse(store, athlete, asof=start - pd.Timedelta(1, "us"))
    record = plan_record(an.plan.to_dict(), an.assessment.to_dict())
    diary.save_plan(athlete, record, start.date())
    return f"{added} entries; the plan started on {start.date()}"


def _import_text(rep) -> str:
    parts = []
    for attr in ("imported", "duplicates", "not_run", "failed"):
        value = getattr(rep, attr, None)
        if callable(value):
            value = value()
        if value:
            parts.append(f"{value} {attr.replace('_', ' ')}")
    return ", ".join(parts) or "nothing new"
