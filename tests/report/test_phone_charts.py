"""Issue 21: the charts of the HTML report stay readable on a phone (390 px wide).

The report is written through ``analyzer report`` (in this process, so that every figure can be
read as it is saved); Chromium then lays the page out at 390 px. For each chart, the rendered text
size is the smallest font size of the text drawn in the figure [px of the PNG] times the chart's
rendered scale (its width on the page / the PNG's width). Every chart must render its smallest
text at :data:`MIN_TEXT_PX` or more (the issue measured ~5 px before).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from chromium import CHROMIUM, CHROMIUM_ARGS, MISSING

from analyzer.cli import main
from analyzer.report import views

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "imbalance"
PHONE = {"width": 390, "height": 844}
#: Smallest rendered text size a chart may have on a phone [CSS px].
MIN_TEXT_PX = 9.0

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=MISSING)


def _smallest_text_px(fig) -> float:
    """The smallest font size among the texts drawn in ``fig``, in pixels of its saved PNG."""
    from matplotlib.text import Text

    fig.canvas.draw()
    sizes = [
        t.get_fontsize()
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and t.get_figure() is fig
    ]
    assert sizes, "a chart without text"
    return min(sizes) * views.FIGURE_DPI / 72.0


@pytest.fixture(scope="module")
def phone_report(tmp_path_factory):
    """The report's HTML and, per embedded chart (its data URI), the smallest text [PNG px]."""
    root = tmp_path_factory.mktemp("phone")
    store, page = root / "store.duckdb", root / "report.html"
    assert main(["import", str(SAMPLE), "--store", str(store), "--workers", "1"]) == 0
    texts: dict[str, float] = {}
    save = views.figure_png

    def measured(fig):
        smallest = _smallest_text_px(fig)
        src = save(fig)
        texts[src] = smallest
        return src

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(views, "figure_png", measured)
        assert main(["report", "--store", str(store), "--out", str(page)]) == 0
    assert len(texts) >= 4
    return page, texts


def test_chart_text_is_readable_at_390_px(phone_report):
    from playwright.sync_api import sync_playwright

    page_path, texts = phone_report
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=PHONE)
            page.goto(page_path.resolve().as_uri(), wait_until="load")
            charts = page.evaluate(
                "() => Array.from(document.querySelectorAll('img.fig')).map(i => ({src: i.src,"
                " alt: i.alt, shown: i.getBoundingClientRect().width, natural: i.naturalWidth}))"
            )
            wide = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        finally:
            browser.close()
    assert len(charts) == len(texts)
    rendered = {}
    for c in charts:
        assert c["natural"] > 0 and c["src"] in texts, c["alt"]
        rendered[c["alt"]] = texts[c["src"]] * c["shown"] / c["natural"]
    small = {alt: round(px, 1) for alt, px in rendered.items() if px < MIN_TEXT_PX}
    assert not small, f"chart text under {MIN_TEXT_PX} px at 390 px: {small}"
    assert wide, "the page itself must not scroll sideways"
