"""The report: section builders, figures, HTML and terminal rendering from hand-built frames."""

from __future__ import annotations

import base64
import io
import json
import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from rich.console import Console

from analyzer.analysis import stale
from analyzer.metrics.trends import current_vs_baseline
from analyzer.report import (
    SCHEMA_VERSION,
    advice,
    athlete_filename,
    html,
    plots,
    quality,
    sections,
    team_from_reports,
    terminal,
)

EVIL = "<script>window.__xss=1</script><img src=x onerror=alert(1)>"


# ---------------------------------------------------------------------------------------------
# hand-built frames in the contract's shapes (Store.runs / Store.gait / trends.trends / load.weekly)
# ---------------------------------------------------------------------------------------------


def make_frames(n: int = 36, seed: int = 3, athlete: str = "ann", shift: float = 1.6):
    rng = np.random.default_rng(seed)
    start = pd.date_range("2026-01-05 07:00", periods=n, freq="2D", tz="UTC")
    runs = pd.DataFrame(
        {
            "run_id": [f"a{i}:0" for i in range(n)],
            "activity_id": [f"a{i}" for i in range(n)],
            "athlete": athlete,
            "source_name": [f"run{i}.fit" for i in range(n)],
            "start_time": start,
            "sport": "running",
            "sub_sport": "generic",
            "device": ["Forerunner 965"] * (n - 2) + ["Venu 3", "Venu 3"],
            "dynamics_source": ["chest_strap"] * (n - 2) + ["none", "none"],
            "distance_m": rng.uniform(5000, 15000, n),
            "timer_s": rng.uniform(1500, 4500, n),
        }
    )
    half = n // 2
    bal = 50.0 + np.r_[np.zeros(half), np.full(n - half, shift)] + rng.normal(0, 0.1, n)
    gait = runs[
        ["run_id", "athlete", "start_time", "dynamics_source", "distance_m", "timer_s"]
    ].copy()
    gait["n_running"] = 1500
    gait["speed_median_mps"] = rng.normal(3.0, 0.2, n)
    gait["gct_balance_left_median_pct"] = bal
    gait["gct_balance_outside_green_share"] = np.where(bal > 50.7, 0.8, 0.1)
    gait["cadence_median_spm"] = np.linspace(166, 172, n)
    gait["stance_time_median_ms"] = rng.normal(255, 4, n)
    gait["vertical_oscillation_median_mm"] = rng.normal(85, 2, n)
    gait["vertical_ratio_median_pct"] = rng.normal(8.0, 0.2, n)
    gait["step_length_median_mm"] = rng.normal(1080, 20, n)
    gait["drift_gct_balance_left_pts"] = 0.9
    gait["drift_stance_time_ms"] = 7.0
    gait["drift_cadence_spm"] = -1.5
    gait["drift_vertical_oscillation_mm"] = 1.2
    no_dyn = gait.index[-2:]
    cols = [c for c in gait.columns if c.endswith(("_pct", "_ms", "_mm", "_spm"))]
    gait.loc[no_dyn, cols] = np.nan
    trends = gait.copy()
    for stem, col in sections._MEDIAN_COLUMN.items():
        trends[f"{stem}_at_ref"] = trends[col]
    trends["gct_balance_baseline_pct"] = np.where(np.arange(n) > 5, 50.0, np.nan)
    trends["gct_balance_change_pts"] = trends["gct_balance_left_median_pct"] - 50.0
    trends["balance_shift_flag"] = trends["gct_balance_change_pts"] > 1.0
    trends["ref_speed_mps"] = 3.0
    flags = pd.DataFrame(
        {
            "metric": ["gct_balance_left_pct"],
            "onset": [start[half]],
            "side": ["left"],
            "size": [shift],
            "n_runs": [n - half - 2],
            "baseline": [50.0],
        }
    )
    weeks = pd.date_range("2026-01-05", periods=11, freq="7D", tz="UTC", name="week")
    weekly = pd.DataFrame(
        {
            "distance_km": rng.uniform(20, 50, 11),
            "time_h": rng.uniform(2, 5, 11),
            "n_runs": 3,
            "acwr_coupled": np.r_[[np.nan] * 3, rng.uniform(0.8, 1.6, 8)],
            "acwr_uncoupled": np.r_[[np.nan] * 3, rng.uniform(0.8, 1.6, 8)],
            "progression_2wk_pct": np.r_[np.nan, rng.normal(0, 20, 10)],
        },
        index=weeks,
    )
    return runs, gait, trends, flags, weekly


def make_records(seconds: int = 2400, seed: int = 1, walk: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(seconds, dtype=float)
    rec = pd.DataFrame(
        {
            "elapsed_s": t,
            "speed_mps": 3.0 + rng.normal(0, 0.05, t.size),
            "cadence_spm": 170 + rng.normal(0, 1, t.size),
            "gct_balance_left_pct": 50.2 + 1.2 * t / seconds + rng.normal(0, 0.3, t.size),
            "stance_time_ms": 250 + 10 * t / seconds + rng.normal(0, 3, t.size),
            "vertical_oscillation_mm": 85 + rng.normal(0, 1, t.size),
        }
    )
    if walk:
        # A walking break in the first third with wild balance: must not reach the thirds.
        w = (t > 300) & (t < 500)
        rec.loc[w, ["speed_mps", "cadence_spm", "gct_balance_left_pct"]] = [1.2, 110.0, 60.0]
    return rec


ASSESSMENT = {
    "athlete": "ann",
    "asof": "2026-03-14",
    "index": 58.25,
    "level": "high",
    "baseline_index": 11.0,
    "model": "priors.json",
    "drivers": [
        {
            "feature": "cadence_deficit_pct",
            "label": "Low cadence",
            "value": 0.0,
            "unit": "%",
            "contribution": 0.0,
            "text": "cadence fine",
            "grade": "B",
            "source": "Heiderscheit 2011",
            "note": "",
            "flagged": False,
        },
        {
            "feature": "balance_shift_pts",
            "label": "GCT balance shift",
            "value": 1.6,
            "unit": "pts",
            "contribution": 30.5,
            "text": "balance moved from 50.0 % to 51.6 % L",
            "grade": "C",
            "source": "Garmin (unpublished)",
            "note": "contested",
            "flagged": True,
        },
    ],
}


def real_advice(trends, weekly, athlete="ann"):
    """The assessment and plan dicts from the real model and recommender."""
    from analyzer import risk
    from analyzer.plan import exercises

    found = risk.assess_frames(trends, weekly, athlete=athlete)
    return found.to_dict(), exercises.recommend(found).to_dict()


def make_report(
    athlete: str = "ann",
    *,
    device: str | None = None,
    dev_fields=("Leg Spring",),
    assessment="real",
    plan="real",
) -> dict:
    runs, gait, trends, flags, weekly = make_frames(athlete=athlete)
    if device is not None:
        runs["device"] = device
        runs["source_name"] = device + ".fit"
    if assessment == "real":
        assessment, plan = real_advice(trends, weekly, athlete)
    last = runs.iloc[-3]
    warn = stale(runs, pd.Timestamp("2026-03-15T08:00:00Z"))
    return sections.clean(
        {
            "schema_version": SCHEMA_VERSION,
            "kind": "athlete_report",
            "generated_at": "2026-03-15T08:00:00Z",
            "athlete": athlete,
            "period": sections.period(runs, "2026-03-15T08:00:00Z", stale=warn),
            "stale": warn,
            "risk": advice.risk_section(assessment),
            "balance": sections.balance(trends),
            "trends": sections.trends(trends, current_vs_baseline(trends)),
            "flags": sections.flags(flags),
            "latest_run": sections.latest_run(
                last.to_dict(), gait.iloc[-3].to_dict(), make_records()
            ),
            "load": sections.load_section(weekly),
            "plan": advice.plan_section(plan),
            "data_quality": quality.data_quality(runs, gait, list(dev_fields)),
            "plan_so_far": None,  # no diary (tests/report/test_followup_report.py has one)
            "disclaimer": list(advice.DISCLAIMER),
        }
    )


@pytest.fixture(scope="module")
def report() -> dict:
    return make_report()


@pytest.fixture(scope="module")
def page(report) -> str:
    return html.render(report)


# ---------------------------------------------------------------------------------------------
# sections
# ---------------------------------------------------------------------------------------------


def test_report_is_strict_json(report):
    text = json.dumps(report, allow_nan=False)
    assert json.loads(text) == report


def test_balance_weeks_use_garmin_bands(report):
    b = report["balance"]
    assert [x["name"] for x in b["bands"]] == ["red", "orange", "green", "orange", "red"]
    assert b["bands"][2]["low"] == 49.3 and b["bands"][2]["high"] == 50.7
    assert b["bands"][1]["low"] == 47.8 and b["bands"][3]["high"] == 52.2
    first, last = b["weeks"][0], b["weeks"][-1]
    assert first["band"] == "green" and first["text"] in {"50.0 % even", "50.1 % L", "50.1 % R"}
    assert last["band"] == "orange" and last["text"].endswith("% L")
    assert sum(w["n_runs"] for w in b["weeks"]) == 34  # the two runs without dynamics drop out
    assert 51.3 < b["latest_pct"] < 51.9 and b["latest_band"] == "orange"
    assert b["baseline_pct"] == 50.0
    # weeks start on Monday
    assert all(pd.Timestamp(w["week"]).weekday() == 0 for w in b["weeks"])


def test_balance_band_edges():
    from analyzer.report.band_shapes import balance_band, balance_text

    assert [balance_band(x) for x in (49.3, 50.7, 50.9, 52.2, 52.4, 47.6)] == [
        "green",
        "green",
        "orange",
        "orange",
        "red",
        "red",
    ]
    assert balance_band(float("nan")) is None and balance_band(None) is None
    assert balance_text(51.3) == "51.3 % L" and balance_text(48.0) == "52.0 % R"


def test_trends_report_change_at_reference_speed(report):
    t = report["trends"]
    assert t["ref_speed_mps"] == 3.0
    names = [m["metric"] for m in t["metrics"]]
    assert names == [
        "cadence_spm",
        "stance_time_ms",
        "vertical_oscillation_mm",
        "vertical_ratio_pct",
    ]
    cad = t["metrics"][0]
    assert len(cad["runs"]) == 36 and cad["runs"][-1]["at_ref"] is None
    # the change is the one comparison of the analysis (trends.current_vs_baseline), with
    # its dates: 166 -> 172 spm in the hand-built history
    from analyzer.metrics import trends as metric_trends

    _, gait, *_ = make_frames()
    tr = metric_trends.trends(gait)
    real = sections.trends(tr, current_vs_baseline(tr))["metrics"][0]
    cmp = current_vs_baseline(tr).loc["cadence_spm"]
    assert real["change_at_ref"] == round(cmp["change"], 2) and real["change_at_ref"] > 4.0
    assert real["first_at_ref"] == round(cmp["baseline"], 2)
    assert real["reference_start"].startswith("2026-01-05") and real["recent_end"]


def test_latest_run_thirds_ignore_walking_and_show_drift(report):
    lr = report["latest_run"]
    assert [t["third"] for t in lr["thirds"]] == [1, 2, 3]
    first, last = lr["thirds"][0], lr["thirds"][2]
    assert first["gct_balance_left_pct"] < 50.8  # the walking break (60 %) is not counted
    assert last["gct_balance_left_pct"] - first["gct_balance_left_pct"] > 0.6
    assert last["stance_time_ms"] > first["stance_time_ms"]
    assert lr["drift"]["gct_balance_left_pts"] == 0.9
    s = lr["series"]
    assert 100 < len(s["elapsed_min"]) <= sections.SERIES_POINTS + 1
    assert len(s["gct_balance_left_pct"]) == len(s["elapsed_min"])
    assert max(v for v in s["gct_balance_left_pct"] if v is not None) < 55


def test_latest_run_without_records():
    lr = sections.latest_run(
        {
            "run_id": "x:0",
            "start_time": pd.Timestamp("2026-01-01", tz="UTC"),
            "distance_m": 5000.0,
            "timer_s": 1800.0,
        },
        None,
        None,
    )
    assert lr["distance_km"] == 5.0 and lr["thirds"] == [] and lr["gct_balance_left_pct"] is None


def test_load_section_from_week_index(report):
    ld = report["load"]
    assert len(ld["weeks"]) == 11 and ld["latest"] == ld["weeks"][-1]
    assert ld["weeks"][0]["acwr_uncoupled"] is None and ld["weeks"][-1]["acwr_uncoupled"] > 0
    assert ld["weeks"][0]["week"].startswith("2026-01-05")


def test_data_quality_counts_and_notes(report):
    q = report["data_quality"]
    assert (q["n_runs"], q["n_with_dynamics"], q["n_without_dynamics"]) == (36, 34, 2)
    assert q["dynamics_sources"] == {"chest_strap": 34, "none": 2}
    assert {d["device"] for d in q["devices"]} == {"Forerunner 965", "Venu 3"}
    assert [r["source_name"] for r in q["runs_without_dynamics"]] == ["run34.fit", "run35.fit"]
    assert any("2 of 36" in n for n in q["notes"])
    assert any("chest strap" in n for n in q["notes"])


def test_data_quality_warns_on_mixed_sensors():
    runs, gait, *_ = make_frames()
    runs.loc[:5, "dynamics_source"] = "pod"
    notes = " ".join(quality.data_quality(runs, gait)["notes"])
    assert "More than one sensor" in notes and "Running Dynamics Pod" in notes


def test_risk_section_normalises_a_hand_built_assessment():
    r = advice.risk_section(ASSESSMENT)
    assert r["available"] and r["index"] == pytest.approx(58.25, abs=0.06)
    assert r["level"] == "high" and r["baseline_index"] == 11.0
    # largest contribution first, grade → evidence
    assert [d["feature"] for d in r["drivers"]] == ["balance_shift_pts", "cadence_deficit_pct"]
    assert r["drivers"][0]["evidence"] == "C" and r["drivers"][0]["flagged"] is True


def test_real_assessment_and_plan_reach_the_report(report):
    r, p = report["risk"], report["plan"]
    assert r["available"] and 0 <= r["index"] <= 100 and r["level"] in {"low", "moderate", "high"}
    top = r["drivers"][0]
    assert top["feature"] == "balance_shift_pts" and top["flagged"] and top["evidence"]
    assert "51.6" in top["text"]  # the runner's own numbers
    contributions = [d["contribution"] for d in r["drivers"]]
    assert contributions == sorted(contributions, reverse=True)
    assert p["available"] and [i["rank"] for i in p["items"]] == list(range(1, len(p["items"]) + 1))
    first = p["items"][0]
    assert first["name"] and first["dose"] and first["progression"] and len(first["how_to"]) >= 2
    assert "51.6" in first["why"]
    assert p["weekly_plan"]["sessions"] and p["safety_note"]


def test_missing_assessment_gives_reason():
    r = advice.risk_section(None, reason="only 2 runs")
    p = advice.plan_section(None, reason="only 2 runs")
    assert not r["available"] and r["reason"] == "only 2 runs" and r["drivers"] == []
    assert not p["available"] and p["items"] == []
    data = make_report(assessment=None, plan=None)
    assert data["plan"]["items"] == []
    assert "No score yet" in html.render(data)
    out = io.StringIO()
    terminal.render(data, Console(file=out, width=100))
    assert "No index" in out.getvalue()


def test_disclaimer_says_index_not_diagnosis(report):
    text = " ".join(report["disclaimer"])
    assert "not a diagnosis" in text and "Malisoux" in text and "physiotherapist" in text


# ---------------------------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "func,key",
    [
        (plots.balance, "balance"),
        (plots.trends, "trends"),
        (plots.within_run, "latest_run"),
        (plots.load, "load"),
        (plots.drivers, "risk"),
    ],
)
def test_figures_draw_and_accept_empty_input(report, func, key):
    fig = func(report[key])
    assert isinstance(fig, Figure) and fig.axes
    assert sum(len(ax.lines) + len(ax.patches) + len(ax.collections) for ax in fig.axes) > 0
    empty = func(None)
    assert isinstance(empty, Figure)
    plots.close(fig)
    plots.close(empty)


def test_figures_draw_on_given_axes(report):
    fig = Figure()
    ax = fig.add_subplot()
    assert plots.balance(report["balance"], ax=ax) is fig
    assert len(ax.lines) >= 2
    fig2 = Figure()
    axes = fig2.subplots(1, 4)
    assert plots.trends(report["trends"], ax=axes) is fig2
    assert sum(len(ax.lines) for ax in axes) >= 4  # something drawn on the axes given


def test_balance_figure_shades_five_bands(report):
    fig = plots.balance(report["balance"])
    spans = fig.axes[0].patches
    assert len(spans) == 5  # red, orange, green, orange, red


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------


def test_html_has_every_section_and_embedded_pngs(page):
    for sid in html.SECTION_IDS:
        assert f'<section id="{sid}">' in page
    imgs = re.findall(r'<img class="fig" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(imgs) == 5
    for b64 in imgs:
        png = base64.b64decode(b64)
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


def test_html_is_self_contained(page):
    assert "<script" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_html_shows_numbers_and_plan(report, page):
    first = report["plan"]["items"][0]
    assert html.esc(first["name"]) in page and html.esc(first["dose"]) in page
    assert html.esc(first["how_to"][0]) in page
    assert "51.6 % L" in page
    assert html.esc(report["risk"]["drivers"][0]["text"]) in page
    assert "Malisoux" in page


def test_html_escapes_every_file_string():
    data = make_report(athlete=EVIL, device=EVIL, dev_fields=(EVIL,))
    data["risk"]["drivers"][0]["text"] = EVIL
    data["plan"]["items"][0]["name"] = EVIL
    data["plan"]["items"][0]["how_to"] = [EVIL]
    page = html.render(data)
    assert "<script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_team_page_links_and_escapes():
    reports = {"ann": make_report("ann"), EVIL: make_report(EVIL), "bob": "only 2 runs"}
    files = {"ann": athlete_filename("ann"), EVIL: athlete_filename(EVIL)}
    team = team_from_reports(reports, files)
    assert [a["athlete"] for a in team["athletes"]] == sorted(reports)
    row = {a["athlete"]: a for a in team["athletes"]}
    assert row["ann"]["level"] == reports["ann"]["risk"]["level"]
    assert row["ann"]["top_exercise"] == reports["ann"]["plan"]["items"][0]["name"]
    assert row["bob"]["error"] == "only 2 runs" and row["bob"]["file"] is None
    page = html.render_team(team)
    assert f'href="{files["ann"]}"' in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert '<section id="team">' in page


@pytest.mark.parametrize("name", ["ann", "../../etc/passwd", EVIL, "Zoë Ñ", "a b", ""])
def test_athlete_filename_is_safe_and_unique(name):
    f = athlete_filename(name)
    assert re.fullmatch(r"report-[A-Za-z0-9_-]+-[0-9a-f]{8}\.html", f)
    assert f != athlete_filename(name + "x")


# ---------------------------------------------------------------------------------------------
# terminal
# ---------------------------------------------------------------------------------------------


def test_terminal_summary(report):
    out = io.StringIO()
    terminal.render(report, Console(file=out, width=120))
    text = out.getvalue()
    r = report["risk"]
    assert "ann" in text and f"{r['index']:.0f}/100" in text and r["level"] in text
    assert report["plan"]["items"][0]["name"] in text and r["drivers"][0]["label"][:20] in text
    assert "not a diagnosis" in text
    assert "2 of 36 runs" in text


def test_terminal_prints_markup_literally():
    data = make_report(athlete="[bold red]x[/]")
    out = io.StringIO()
    terminal.render(data, Console(file=out, width=120))
    assert "[bold red]x[/]" in out.getvalue()
    team = team_from_reports({"[red]y[/red]": data})
    out = io.StringIO()
    terminal.render_team(team, Console(file=out, width=120))
    assert "[red]y[/red]" in out.getvalue()


def test_flags_read_in_the_runners_terms(report):
    (flag,) = report["flags"]
    assert flag["side"] == "left" and flag["size"] == 1.6 and flag["baseline"] == 50.0
    assert flag["text"].startswith("GCT balance moved 1.6 points further onto the left foot")
    assert "% R" not in flag["text"]  # one side throughout
    assert "since 2026-02-10" in flag["text"]


def test_sensor_names_are_listed():
    runs, gait, *_ = make_frames()
    runs["dynamics_sensor"] = "garmin hrm_pro"
    q = quality.data_quality(runs, gait)
    assert q["sensors"] == [{"sensor": "garmin hrm_pro", "n_runs": 34}]


def test_report_without_any_dynamics_still_renders():
    from analyzer.metrics import trends as metric_trends

    runs, gait, trends, flags, weekly = make_frames()
    runs["dynamics_source"] = "none"
    cols = [c for c in gait.columns if c.endswith(("_pct", "_ms", "_mm", "_spm"))]
    gait[cols] = np.nan
    trends = metric_trends.trends(gait)
    assessment, plan = real_advice(trends, weekly)
    records = make_records()[["elapsed_s", "speed_mps", "cadence_spm"]]
    data = sections.clean(
        {
            **make_report(),
            "risk": advice.risk_section(assessment),
            "balance": sections.balance(trends),
            "trends": sections.trends(trends, current_vs_baseline(trends)),
            "flags": sections.flags(metric_trends.flag_changes(trends)),
            "latest_run": sections.latest_run(
                runs.iloc[-1].to_dict(), gait.iloc[-1].to_dict(), records
            ),
            "plan": advice.plan_section(plan),
            "data_quality": quality.data_quality(runs, gait),
        }
    )
    assert data["balance"]["weeks"] == [] and data["latest_run"]["thirds"] == []
    # missing data is never evidence of risk, nor an all-clear: no level, and the state says why
    assert data["risk"]["level"] is None
    assert data["risk"]["status"]["state"] == "balance_not_judged"
    assert "does not measure it" in data["risk"]["status"]["text"]
    assert data["data_quality"]["notes"][0].startswith("None of the 36 runs")
    page = html.render(data)
    # no empty chart frames: the load chart, and one line for each chart there is no data for
    assert page.count('<img class="fig"') == 1
    assert page.count('class="muted no-figure"') == 4
    assert "No run carries a left/right balance reading" in page
    terminal.render(data, Console(file=io.StringIO(), width=100))


def _keys(obj, out: set[str]) -> set[str]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.add(k)
            _keys(v, out)
    elif isinstance(obj, list):
        for v in obj:
            _keys(v, out)
    return out


def test_every_key_is_documented_in_the_json_shape(report):
    """The module docstring documents the JSON shape; it must name every key the report has."""
    import analyzer.report as mod

    doc = mod.__doc__
    top = set(re.findall(r'^      "(\w+)":', doc, flags=re.M))
    assert top == set(report)
    from analyzer.schema import DYNAMICS_SOURCES

    # dynamics_sources is keyed by data (the sensor kinds), documented as {source: n_runs}
    keys = _keys(report, set()) - set(DYNAMICS_SOURCES)
    assert sorted(k for k in keys if f'"{k}"' not in doc) == []
    team = team_from_reports({"ann": report}, {"ann": "a.html"})
    assert sorted(k for k in _keys(team, set()) - _keys(report, set()) if f'"{k}"' not in doc) == []


@pytest.mark.slow
def test_reports_render_in_parallel_processes_as_they_do_here(tmp_path):
    """``report --all`` renders athletes in a process pool: same pages as rendering here."""
    from analyzer.report import write_athletes

    datas = [make_report(name) for name in ("ann", "bob", "cyd")]
    here = [tmp_path / "here" / f"{d['athlete']}.html" for d in datas]
    pool = [tmp_path / "pool" / f"{d['athlete']}.html" for d in datas]
    write_athletes(list(zip(datas, here, strict=True)), workers=1)
    write_athletes(list(zip(datas, pool, strict=True)), workers=2)

    def visible(path):  # the page without the SVG ids matplotlib draws at random
        return re.sub(r'id="[^"]*"|#[A-Za-z0-9_]{8,}\)?|xlink:href="[^"]*"', "", path.read_text())

    for a, b, d in zip(here, pool, datas, strict=True):
        assert d["athlete"] in b.read_text()
        assert visible(a) == visible(b)
