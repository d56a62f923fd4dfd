"""Every page in en/nb/sv at 1440×900 and 1280×720 in real Chromium: screenshots, no clipped
button, no table cut at the right, no chart title under its legend.

Screenshots go to the pytest tmp folder, or to ``$KAMSTUDIO_SCREENSHOTS`` when set (to look at
them). What is measured is DOM geometry: a button label whose text is wider than its box is
clipped (Streamlit cuts it with an ellipsis); a data grid whose columns are wider than the grid
must be scrolled sideways to be read; a Plotly title box that intersects the legend box is
overlapping text.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 120_000
VIEWPORTS = {"1440x900": (1440, 900), "1280x720": (1280, 720)}
LANGUAGES = ("en", "nb", "sv")
PAGES = ("", "data", "portfolio", "selection", "segments", "survey")
#: Pages whose every data grid must show all its columns without sideways scrolling, and whose
#: text is never cut with an ellipsis (grids on the analysis pages may hold many measures and
#: scroll; those pages are checked for buttons).
WHOLE_TABLE_PAGES = ("home", "data")

# Text inside a button whose content is wider than the room it has: clipped.
CLIPPED_BUTTONS_JS = """
() => {
  const found = [];
  for (const button of document.querySelectorAll('button')) {
    const box = button.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (button.closest('[data-testid="stSidebarCollapsedControl"], [data-testid="stToolbar"]')) continue;
    for (const el of [button, ...button.querySelectorAll('*')]) {
      const style = getComputedStyle(el);
      const hides = style.overflow !== 'visible' || style.overflowX !== 'visible' || style.textOverflow === 'ellipsis';
      if (hides && el.scrollWidth > el.clientWidth + 1 && el.textContent.trim()) {
        found.push(button.innerText.trim() || button.getAttribute('aria-label') || '?');
        break;
      }
    }
    // A button pushed out of sight by a container that scrolls or hides what overflows
    // (a row of segmented options too wide for its column).
    for (let parent = button.parentElement; parent && parent !== document.body; parent = parent.parentElement) {
      if (parent.matches('[data-testid="stMain"], [data-testid="stSidebar"], [data-testid="stAppViewContainer"]')) break;
      const style = getComputedStyle(parent);
      if (style.overflowX === 'visible') continue;
      const room = parent.getBoundingClientRect();
      if (box.left < room.left - 1 || box.right > room.right + 1) {
        found.push(button.innerText.trim());
        break;
      }
    }
    // A label running out of the button itself.
    const label = button.querySelector('[data-testid="stMarkdownContainer"]');
    if (label) {
      const inner = label.getBoundingClientRect();
      if (inner.right > box.right + 1 || inner.left < box.left - 1) found.push(button.innerText.trim());
    }
  }
  return [...new Set(found)];
}
"""

# Text cut short with an ellipsis (a metric label too long for its card, for instance).
CUT_TEXT_JS = """
() => {
  const found = [];
  for (const el of document.querySelectorAll('[data-testid="stMain"] *')) {
    if (el.textContent.trim() && el.scrollWidth > el.clientWidth + 1) {
      const style = getComputedStyle(el);
      if (style.textOverflow === 'ellipsis' && el.getBoundingClientRect().width > 0) found.push(el.textContent.trim());
    }
  }
  return found;
}
"""

# Data grids whose columns are wider than the grid (a sideways scrollbar: cut at the right).
# Returns [index of the grid on the page, content width, visible width] per cut grid.
CUT_TABLES_JS = """
() => {
  const found = [];
  document.querySelectorAll('[data-testid="stDataFrame"]').forEach((frame, index) => {
    const box = frame.getBoundingClientRect();
    if (box.width === 0) return;  // in a collapsed expander
    for (const scroller of frame.querySelectorAll('.dvn-scroller')) {
      if (scroller.scrollWidth > scroller.clientWidth + 2) found.push([index, scroller.scrollWidth, scroller.clientWidth]);
    }
  });
  return found;
}
"""

# Plotly: a title box that intersects the legend box, or a title / annotation cut by the chart edge.
CHART_OVERLAPS_JS = """
() => {
  const found = [];
  const meets = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  document.querySelectorAll('.js-plotly-plot').forEach((plot, index) => {
    const svg = plot.querySelector('.main-svg');
    if (!svg) return;
    const frame = svg.getBoundingClientRect();
    const title = plot.querySelector('.infolayer .gtitle');
    const legend = plot.querySelector('.infolayer .legend');
    const name = title ? title.textContent : 'chart ' + index;
    if (title && legend && meets(title.getBoundingClientRect(), legend.getBoundingClientRect())) {
      found.push(['title under legend', name]);
    }
    for (const text of plot.querySelectorAll('.infolayer .gtitle, .infolayer .annotation-text')) {
      const box = text.getBoundingClientRect();
      if (box.width === 0) continue;
      if (box.left < frame.left - 1 || box.right > frame.right + 1 || box.top < frame.top - 1) {
        found.push(['cut at the edge', text.textContent]);
      }
    }
  });
  return found;
}
"""


def _shots_dir(default: Path) -> Path:
    folder = Path(os.environ.get("KAMSTUDIO_SCREENSHOTS") or default)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _settle(page) -> None:
    """Wait until the script run is over and nothing is still drawing."""
    page.locator(".st-key-app-lang").wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && !document.querySelector('[data-testid=\"stSkeleton\"]')",
        timeout=TIMEOUT_MS, polling=500,
    )
    page.wait_for_timeout(1500)


#: What each visit measured, by (size, lang): {page: {"buttons", "tables", "text", "charts", "shortlist"}}.
#: The chart and shortlist tests read the same visits instead of loading every page again.
_MEASURED: dict[tuple[str, str], dict[str, dict[str, list]]] = {}

MEASURE_JS = {
    "buttons": CLIPPED_BUTTONS_JS,
    "tables": CUT_TABLES_JS,
    "text": CUT_TEXT_JS,
    "charts": CHART_OVERLAPS_JS,
}


def _measure(browser, server, size: str, lang: str, shots: Path) -> dict[str, dict[str, list]]:
    """Open every page at ``size`` in ``lang`` (once per test session), screenshot and measure it."""
    if (size, lang) in _MEASURED:
        return _MEASURED[(size, lang)]
    width, height = VIEWPORTS[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    measured: dict[str, dict[str, list]] = {}
    try:
        for path in PAGES:
            # The language comes from the URL (as a reload or a shared link would carry it).
            page.goto(f"{server}/{path}?lang={lang}", wait_until="domcontentloaded")
            _settle(page)
            name = path or "home"
            page.screenshot(path=str(shots / f"{name}-{lang}-{size}.png"))
            found = {what: page.evaluate(js) for what, js in MEASURE_JS.items()}
            grids = page.locator('[data-testid="stDataFrame"]').count()
            found["shortlist"] = [cut for cut in found["tables"] if path == "selection" and cut[0] == grids - 1]
            measured[name] = found
            # The whole page in one picture (the app scrolls inside its own container): a taller
            # window of the same width.
            page.set_viewport_size({"width": width, "height": 4000})
            page.wait_for_timeout(1500)
            page.screenshot(path=str(shots / f"{name}-{lang}-{size}-whole.png"))
            page.set_viewport_size({"width": width, "height": height})
    finally:
        context.close()
    _MEASURED[(size, lang)] = measured
    return measured


def _problems(measured: dict[str, dict[str, list]], kinds: tuple[str, ...], pages=None) -> dict[str, list]:
    return {
        name: found
        for name, per_page in measured.items()
        if (pages is None or name in pages)
        and (found := [item for kind in kinds for item in per_page[kind]])
    }


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_no_clipped_button_and_no_table_cut_at_the_right(browser, server, screenshots, size, lang):
    measured = _measure(browser, server, size, lang, _shots_dir(screenshots))
    assert _problems(measured, ("buttons",)) == {}
    assert _problems(measured, ("tables", "text"), pages=WHOLE_TABLE_PAGES) == {}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_shortlist_is_not_cut_at_the_right(browser, server, screenshots, lang):
    """The shortlist (the last grid on the Selection page) shows every column at 1280×720."""
    measured = _measure(browser, server, "1280x720", lang, _shots_dir(screenshots))
    assert _problems(measured, ("shortlist",)) == {}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_chart_titles_are_not_under_legends_or_cut(browser, server, screenshots, lang):
    """Chart layout (ui/charts.py, the figure builders) — the narrower viewport is the harder one."""
    measured = _measure(browser, server, "1280x720", lang, _shots_dir(screenshots))
    assert _problems(measured, ("charts",)) == {}
