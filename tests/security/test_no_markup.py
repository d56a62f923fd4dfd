"""Text from a user's file is never rendered as HTML or Markdown.

A workspace holds a transactions table whose customer names, a column header, a region and the
table name carry an ``<img onerror>`` tag and ``**bold**`` Markdown. Every page is run on it;
no element that renders Markdown/HTML (titles, captions, alerts, labels, help, radio and
segmented-control options, st.html) may contain the raw text; tables show it literally;
Plotly figure specs contain it only escaped (ui.charts.safe()).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from kamcore.db import Workspace, workspace_path

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
IMG = "<img src=x onerror=alert(1)>"
IMG_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
BOLD = "**bold**"
TABLE = f"salg {BOLD} {IMG}"
# Element types whose text Streamlit renders as Markdown (or HTML, for "html").
MARKUP_TYPES = {"markdown", "caption", "title", "header", "subheader", "error", "warning", "info",
                "success", "toast", "latex", "html", "exception"}
# Widgets whose options are rendered as Markdown (selectbox/multiselect options are plain text).
MARKDOWN_OPTION_TYPES = {"radio", "button_group"}
PAGES = sorted(p.stem for p in (ROOT / "pages").glob("*.py"))
# Pages that, on this workspace and without any clicks, put account names into a chart or a
# table (measured 2026-11-23); keeps the checks from passing on an empty page.
SHOWS_ACCOUNTS_IN_CHARTS = {"portfolio", "segments", "selection"}
SHOWS_ACCOUNTS_IN_TABLES = {"selection"}


def hostile_transactions() -> pd.DataFrame:
    """24 accounts over two years; two of them named with HTML and Markdown."""
    rng = np.random.default_rng(7)
    names = [f"Kunde {i:02d} AS" for i in range(24)]
    names[0] = IMG
    names[1] = f"{BOLD} AS"
    rows = []
    for index, name in enumerate(names):
        for month in range(1, 25, 2):
            revenue = float(rng.integers(1_000, 50_000)) * (3 if index < 3 else 1)
            rows.append({
                "Kundenr": f"{index:04d}",
                "Kundenavn": name,
                "Fakturadato": pd.Timestamp(2024 + (month - 1) // 12, (month - 1) % 12 + 1, 15),
                "Omsetning": revenue,
                "Kostnad": round(revenue * rng.uniform(0.5, 1.1), 2),
                BOLD: IMG if index % 5 == 0 else ("Nord" if index % 2 else "Sør"),
                "Selger": "Kari" if index % 3 else BOLD,
            })
    return pd.DataFrame(rows)


@pytest.fixture
def hostile_root(demo_root: Path) -> Path:
    with Workspace.open(workspace_path(demo_root, "xss")) as ws:
        ws.import_table(TABLE, hostile_transactions(), kind="transactions", mapping={
            "customer_id": "Kundenr", "customer_name": "Kundenavn", "date": "Fakturadato",
            "revenue": "Omsetning", "cost": "Kostnad", "region": BOLD, "owner": "Selger",
        })
    return demo_root


def _run_page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["lang"] = "en"
    at.session_state["workspace_name"] = "xss"
    at.run()
    at.switch_page(f"pages/{page}.py")
    return at.run()


def _walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def _attr(node, name):
    try:
        return getattr(node, name, None)
    except Exception:  # noqa: BLE001 - AppTest raises for fields an element does not have
        return None


def markup_violations(at: AppTest) -> list[str]:
    """Where raw user text sits in something Streamlit renders as Markdown or HTML."""
    found = []
    for node in _walk(at._tree):
        kind = getattr(node, "type", "")
        texts = []
        if kind in MARKUP_TYPES:
            texts.append(_attr(node, "value") if kind != "html" else _attr(node, "proto").body)
        for attribute in ("label", "help", "placeholder"):
            texts.append(_attr(node, attribute))
        if kind in MARKDOWN_OPTION_TYPES:
            texts.extend(_attr(node, "options") or [])
        for text in texts:
            if isinstance(text, str) and (IMG in text or BOLD in text):
                found.append(f"{kind} key={_attr(node, 'key')!r}: {text[:120]!r}")
    return found


def plotly_strings(at: AppTest) -> list[str]:
    """Every string in every Plotly figure spec the page sent."""
    strings: list[str] = []

    def collect(value) -> None:
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    for node in _walk(at._tree):
        if getattr(node, "type", "") == "plotly_chart":
            collect(json.loads(node.proto.spec))
    return strings


def dataframe_cells(at: AppTest) -> list[str]:
    cells: list[str] = []
    for frame in at.dataframe:
        value = frame.value
        cells.extend(str(c) for c in value.columns)
        cells.extend(str(v) for v in value.astype(str).to_numpy().ravel())
    return cells


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_user_text_literally(hostile_root, server_routing, page):
    at = _run_page(page)
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["_workspace"].name == "xss"
    assert markup_violations(at) == []
    cells = dataframe_cells(at)
    # A table never shows the escaped form (that would be charts.safe() used on a table).
    assert not any(IMG_ESCAPED in cell for cell in cells)
    figure_text = plotly_strings(at)
    for text in figure_text:
        assert IMG not in text, f"raw HTML in a Plotly figure on {page}: {text[:120]!r}"
    if page in SHOWS_ACCOUNTS_IN_CHARTS:
        # The hostile account is really in a figure, escaped: the check above is not vacuous.
        assert any(IMG_ESCAPED in text for text in figure_text)
    if page in SHOWS_ACCOUNTS_IN_TABLES:
        assert any(IMG in cell for cell in cells)


def test_data_page_lists_the_table_name_literally(hostile_root, server_routing):
    at = _run_page("data")
    # (AppTest does not expose the key of a read-only dataframe: find the table list by content.)
    listed = [f.value.iloc[:, 0].tolist() for f in at.dataframe if len(f.value.columns)]
    assert [TABLE] in listed
    # The column header is offered as a plain-text selectbox option in the mapping editor.
    assert BOLD in at.selectbox(key=f"data.mapping.{TABLE}.role.region").options


def test_upload_preview_shows_cells_and_headers_literally(hostile_root, server_routing):
    csv = f"Kundenr;Kundenavn;{BOLD}\n0001;{IMG};Nord\n0002;Vanlig AS;Sør\n".encode()
    at = _run_page("data")
    at.file_uploader(key="data.upload").upload(f"{IMG}.csv", csv, "text/csv").run()
    assert not at.exception
    assert markup_violations(at) == []
    previews = [f.value for f in at.dataframe if list(f.value.columns) == ["Kundenr", "Kundenavn", BOLD]]
    assert len(previews) == 1
    assert previews[0]["Kundenavn"].tolist() == [IMG, "Vanlig AS"]
    assert f"{IMG}.csv" in [t.value for t in at.text]


def test_charts_safe_escapes_what_plotly_would_render():
    from ui import charts

    assert charts.safe(IMG) == IMG_ESCAPED
    assert charts.safe("<b>Fet</b> & Co") == "&lt;b&gt;Fet&lt;/b&gt; &amp; Co"
    assert charts.safe(None) == ""
    assert charts.safe_series(pd.Series([IMG, BOLD])).tolist() == [IMG_ESCAPED, BOLD]


def test_error_sentences_show_user_text_literally(hostile_root, server_routing):
    csv = b"Kundenr;Kundenavn\n0001;Vanlig AS\n"
    at = _run_page("data")
    at.file_uploader(key="data.upload").upload("ny.csv", csv, "text/csv").run()
    name_key = next(w.key for w in at.text_input if w.key and w.key.endswith(".name"))
    at.text_input(key=name_key).input(TABLE).run()
    at.button(key=name_key.removesuffix(".name") + ".import").click()
    at.run()
    assert not at.exception
    assert len(at.error) == 1  # "A table called '…' already exists"
    assert markup_violations(at) == []
