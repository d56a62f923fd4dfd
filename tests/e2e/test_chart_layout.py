"""In real Chromium: chart titles, legends and panel titles never overlap or run out of the chart,
and numbers read as the chosen language writes them, on Portfolio, Selection and Segments."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 90_000
SIZES = ((1280, 720), (1440, 900))
PAGES = {
    "en": {"portfolio": "Portfolio", "selection": "Key-account selection", "segments": "Segments"},
    "nb": {"portfolio": "Portefølje", "selection": "Valg av nøkkelkunder", "segments": "Segmenter"},
}
LANGUAGE_OPTION = {"en": "English", "nb": "Norsk (bokmål)"}

# Bounding boxes (page coordinates) of each chart's svg, title, legend and annotations.
BOXES_JS = """
() => [...document.querySelectorAll('.js-plotly-plot')].map(plot => {
  const box = el => { if (!el) return null; const r = el.getBoundingClientRect();
    return r.width && r.height ? {l: r.left, r: r.right, t: r.top, b: r.bottom} : null; };
  return {
    svg: box(plot.querySelector('svg.main-svg')),
    title: box(plot.querySelector('.g-gtitle .gtitle')),
    titleText: (plot.querySelector('.g-gtitle .gtitle') || {}).textContent || '',
    legend: box(plot.querySelector('g.legend')),
    annotations: [...plot.querySelectorAll('.annotation-text-g')].map(a => ({box: box(a), text: a.textContent})),
    ticks: [...plot.querySelectorAll('.ytick text, .xtick text')].map(t => t.textContent),
    tickBoxes: [...plot.querySelectorAll('.xtick text')].map(box),
    axisTitles: [...plot.querySelectorAll('.infolayer text[class*="title"]:not(.gtitle)')]
      .map(a => ({box: box(a), text: a.textContent})),
  };
})
"""


def overlaps(a: dict | None, b: dict | None) -> bool:
    if a is None or b is None:
        return False
    return a["l"] < b["r"] and b["l"] < a["r"] and a["t"] < b["b"] and b["t"] < a["b"]


def inside(inner: dict | None, outer: dict | None, slack: float = 1.0) -> bool:
    if inner is None or outer is None:
        return True
    return (inner["l"] >= outer["l"] - slack and inner["r"] <= outer["r"] + slack
            and inner["t"] >= outer["t"] - slack and inner["b"] <= outer["b"] + slack)


def _shots_dir(screenshots: Path) -> Path:
    folder = os.environ.get("KAMSTUDIO_SCREENSHOTS")
    return Path(folder) if folder else screenshots


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lang", ["en", "nb"])
def test_charts_keep_titles_legends_and_panel_titles_apart(browser, server, screenshots, lang, size):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="en-US")
    page = context.new_page()
    problems: list[str] = []
    try:
        page.goto(server, wait_until="domcontentloaded")
        page.get_by_role("heading", name="KAM Studio").wait_for(timeout=TIMEOUT_MS)
        if lang != "en":
            page.locator(".st-key-app-lang [role=combobox]").click()
            page.get_by_role("option", name=LANGUAGE_OPTION[lang]).click()
        for name, link in PAGES[lang].items():
            page.get_by_role("link", name=re.compile(re.escape(link))).first.click()
            page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT_MS)
            page.wait_for_timeout(2500)  # let every chart finish drawing
            shots = _shots_dir(screenshots)
            page.screenshot(path=str(shots / f"{name}-{lang}-{size[0]}x{size[1]}.png"), full_page=True)
            plots = page.locator(".js-plotly-plot")
            for i in range(plots.count()):  # the page scrolls inside Streamlit: one shot per chart
                plots.nth(i).screenshot(path=str(shots / f"{name}-{lang}-{size[0]}x{size[1]}-chart{i}.png"))
            for chart in page.evaluate(BOXES_JS):
                label = f"{name}/{lang}/{size}: {chart['titleText'][:40]!r}"
                if overlaps(chart["title"], chart["legend"]):
                    problems.append(f"{label}: legend overlaps the title")
                if not inside(chart["title"], chart["svg"]):
                    problems.append(f"{label}: title runs out of the chart")
                for axis_title in chart["axisTitles"]:
                    if overlaps(chart["legend"], axis_title["box"]):
                        problems.append(f"{label}: legend overlaps the axis title {axis_title['text']!r}")
                if any(overlaps(chart["legend"], tick) for tick in chart["tickBoxes"]):
                    problems.append(f"{label}: legend overlaps tick labels")
                for annotation in chart["annotations"]:
                    if not inside(annotation["box"], chart["svg"]):
                        problems.append(f"{label}: {annotation['text']!r} is cut")
                    if overlaps(annotation["box"], chart["title"]):
                        problems.append(f"{label}: {annotation['text']!r} overlaps the title")
                if lang == "nb":
                    # Norwegian numbers: no "70M", no "1,234" thousands commas on the axes
                    bad = [t for t in chart["ticks"] if re.search(r"\d[kMG]$|\d,\d{3}\b", t)]
                    if bad:
                        problems.append(f"{label}: English-style tick labels {bad[:3]}")
        assert not problems, "\n".join(problems)
    finally:
        context.close()
