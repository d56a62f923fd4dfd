"""The meeting pack built from the app's panel shows what the session's pages show: the account
page's health figure on each key-account slide, the Portfolio page's ABC thresholds.

The panel draws the charts with Chromium (``manage.py test`` installs Debian's).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
from pathlib import Path

import pytest

from kamcore import db, health, portfolio
from kamcore.meeting_pack import content as pc
from tests.app.conftest import new_app
from ui.i18n import fmt_num, fmt_pct

pytestmark = pytest.mark.skipif(not Path("/usr/bin/chromium").exists() and not shutil.which("chromium"),
                                reason="the meeting pack draws its charts with Chromium")


def _slides_text(data: bytes) -> list[str]:
    from pptx import Presentation

    out = []
    for slide in Presentation(io.BytesIO(data)).slides:
        texts = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                texts.append(shape.text_frame.text)
            if shape.has_table:
                texts += [cell.text for row in shape.table.rows for cell in row.cells]
        out.append("\n".join(texts))
    return out


def _only(at, section: str) -> None:
    for other in pc.SECTIONS[1:]:
        if other != section:
            at.checkbox(key=f"pack.section_{other}").uncheck()


def _health_on_slide(deck: list[str], account: str) -> str:
    slide = next(s for s in deck if f"({account})" in s.split("\n")[0])
    return re.search(r"Health (\d+) of 100", slide).group(1)


def test_health_on_a_key_account_slide_is_the_account_pages_figure(demo_root: Path):
    # The accounts whose health moves most when P(alive) and buying-centre coverage are left out
    # (as the pack did before): there the two figures would differ.
    with db.Workspace.open(demo_root / "demo.duckdb") as ws:
        inputs = pc.load_inputs(ws, "demo")
        shortlist = pc.selection_result(inputs).shortlist
        scored_with = pc.health_inputs_for(inputs, pc.health_survey(pc.survey_result(inputs)))
    assert scored_with.survey is not None
    txn = inputs.everything.assign(customer_id=inputs.everything["customer_id"].astype(str))
    assert {"p_alive", "buying_centre_coverage"} <= set(scored_with.accounts.columns)
    full = health.health_scores(txn, accounts=scored_with.accounts, survey=scored_with.survey).set_index("account")
    without = scored_with.accounts.drop(columns=["p_alive", "buying_centre_coverage"])
    partial = health.health_scores(txn, accounts=without, survey=scored_with.survey).set_index("account")
    moved = (full["health"] - partial["health"]).abs().reindex(shortlist).sort_values(ascending=False)
    chosen = moved.index[:2].tolist()
    assert (moved.iloc[:2] >= 1).all(), moved.head()

    for account in chosen:
        at = new_app("home", timeout=300)
        at.session_state["app.start_page"] = "account"
        at.session_state["account._selected"] = account
        at.run(timeout=300)
        page_figure = next(m.value for m in at.metric if m.label == "Health score (0–100)")
        assert page_figure == fmt_num(full.loc[account, "health"], 0, "en")
        # the panel on the same page builds the key-account slides with the page's inputs
        _only(at, "accounts")
        at.run(timeout=300)
        at.button(key="pack.build").click().run(timeout=300)
        assert not at.exception and not at.error, [e.value for e in at.exception]
        deck = _slides_text(at.session_state["pack._files"]["files"]["pptx"])
        assert _health_on_slide(deck, account) == page_figure
        assert page_figure != fmt_num(partial.loc[account, "health"], 0, "en")

    # manage.py pack (no session) reads the same inputs from the workspace
    with db.Workspace.open(demo_root / "demo.duckdb") as ws:
        pack = pc.build(pc.load_inputs(ws, "demo", today=dt.date(2026, 12, 5)), ["accounts"])
    for account in chosen:
        slide = next(s for s in pack.slides
                     if s.section == "accounts" and s.title.params["account"].endswith(f"({account})"))
        finding = next(f for f in slide.findings if f.key == "pack.account_health")
        assert finding.params["score"] == pc.Num(full.loc[account, "health"])


def test_the_portfolio_pages_thresholds_reach_the_pack_from_another_page(demo_root: Path):
    at = new_app("portfolio", timeout=300)
    at.slider(key="portfolio.a_threshold").set_value(60).run(timeout=300)
    at.slider(key="portfolio.b_threshold").set_value(90).run(timeout=300)
    # the user moves on to the home page (the sliders are gone) and builds the pack there
    at.session_state["app.start_page"] = "home"
    at.run(timeout=300)
    assert at.title[0].value != "Portfolio" and not [s for s in at.slider if s.key.startswith("portfolio.")]
    _only(at, "portfolio")
    at.run(timeout=300)
    at.button(key="pack.build").click().run(timeout=300)
    assert not at.exception and not at.error, [e.value for e in at.exception]
    deck = _slides_text(at.session_state["pack._files"]["files"]["pptx"])
    pareto = next(s for s in deck if "the A accounts up to" in s)
    assert f"the A accounts up to {fmt_pct(0.6, 0, 'en')}." in pareto
    # the number of A accounts is kamcore's with 60 %/90 % on the page's data (active accounts)
    with db.Workspace.open(demo_root / "demo.duckdb") as ws:
        frame = pc.load_inputs(ws, "demo").transactions
    classes = portfolio.abc_classes(frame.assign(customer_id=frame["customer_id"].astype("string")),
                                    "customer_id", "revenue", (0.6, 0.9))
    n_a = int((classes["abc_class"] == "A").sum())
    default_a = int((portfolio.abc_classes(frame, "customer_id", "revenue", (0.8, 0.95))["abc_class"] == "A").sum())
    assert n_a < default_a
    assert f"{fmt_num(n_a, 0, 'en')} of {fmt_num(len(classes), 0, 'en')} accounts" in pareto


def test_the_segments_pages_k_reaches_the_pack_from_another_page(demo_root: Path):
    from kamcore import segments

    at = new_app("segments", timeout=300)
    at.segmented_control(key="segments.k_mode").set_value("fixed").run(timeout=300)
    at.slider(key="segments.k").set_value(5).run(timeout=300)
    assert not at.exception, [e.value for e in at.exception]
    shown = at.data_editor(key="segments.names").value
    assert len(shown) == 5
    # the user moves on to the home page (the Segments widgets are gone) and builds the pack there
    at.session_state["app.start_page"] = "home"
    at.run(timeout=300)
    assert at.title[0].value != "Segments" and not [s for s in at.slider if s.key.startswith("segments.")]
    _only(at, "segments")
    at.run(timeout=300)
    at.button(key="pack.build").click().run(timeout=300)
    assert not at.exception and not at.error, [e.value for e in at.exception]
    deck = _slides_text(at.session_state["pack._files"]["files"]["pptx"])
    slide = next(s for s in deck if s.startswith("Segments as on the Segments page"))
    # the accounts per segment: the page's editor and kamcore's at k = 5 on the page's rows
    with db.Workspace.open(demo_root / "demo.duckdb") as ws:
        rows = pc.load_inputs(ws, "demo").every_status
    result = segments.kmeans_segments(segments.account_features(rows), ["r_score", "f_score", "m_score"], k=5)
    assert sorted(result.sizes.tolist()) == sorted(int(n) for n in shown["n"])
    assert (f"{fmt_num(result.sizes.sum(), 0, 'en')} accounts in 5 segments by Recency score (1–5), "
            "Frequency score (1–5), Monetary score (1–5);") in slide
    # each segment under the name the page suggests, with the page's number of accounts
    for suggested, n in zip(shown["suggested"], shown["n"], strict=True):
        assert f"\n{suggested}\n{fmt_num(n, 0, 'en')}\n" in slide


def _segment_slide(at) -> str:
    deck = _slides_text(at.session_state["pack._files"]["files"]["pptx"])
    return next(s for s in deck if s.startswith("Segments as on the Segments page"))


def _build_from_home(at) -> str:
    at.session_state["app.start_page"] = "home"
    at.run(timeout=300)
    _only(at, "segments")
    at.run(timeout=300)
    at.button(key="pack.build").click().run(timeout=300)
    assert not at.exception and not at.error, [e.value for e in at.exception]
    return _segment_slide(at)


def test_names_typed_on_the_segments_page_reach_the_pack_without_saving(demo_root: Path):
    at = new_app("segments", timeout=300)
    at.segmented_control(key="segments.k_mode").set_value("fixed").run(timeout=300)
    at.slider(key="segments.k").set_value(4).run(timeout=300)
    # AppTest re-sends the editor's state on every run (in a browser the edit stays in the editor)
    at.session_state["segments.names"] = {"edited_rows": {1: {"name": "Storkunder i vekst"}},
                                          "added_rows": [], "deleted_rows": []}
    at.run(timeout=300)
    assert not at.exception, [e.value for e in at.exception]
    # (the editor's element holds the frame sent to the browser; the edit is applied in the app)
    shown = at.data_editor(key="segments.names").value
    with db.Workspace.open(demo_root / "demo.duckdb") as ws:
        assert ws.list_objects("segment_assignment") == []  # typed, not saved
    slide = _build_from_home(at)
    assert "\nStorkunder i vekst\n" in slide
    # the other three under the names the page shows (its suggestions), with the page's counts
    assert shown["name"].tolist() == shown["suggested"].tolist()  # nothing saved before
    for i, (name, n) in enumerate(zip(shown["name"], shown["n"], strict=True)):
        assert f"\n{'Storkunder i vekst' if i == 1 else name}\n{fmt_num(n, 0, 'en')}\n" in slide
    assert f"\n{shown['name'].iloc[1]}\n" not in slide


def test_a_name_typed_over_a_saved_one_is_the_packs(demo_root: Path):
    at = new_app("segments", timeout=300)
    at.segmented_control(key="segments.k_mode").set_value("fixed").run(timeout=300)
    at.slider(key="segments.k").set_value(3).run(timeout=300)
    at.session_state["segments.names"] = {"edited_rows": {0: {"name": "Lagret navn"}},
                                          "added_rows": [], "deleted_rows": []}
    at.button(key="segments.save").click().run(timeout=300)
    assert at.success
    # the saved name reaches the pack while the page shows it ...
    assert "\nLagret navn\n" in _build_from_home(at)
    # ... and the name typed over it (not saved) once the page shows that
    at.session_state["app.start_page"] = "segments"
    at.run(timeout=300)
    at.segmented_control(key="segments.k_mode").set_value("fixed").run(timeout=300)  # the page forgot them
    at.slider(key="segments.k").set_value(3).run(timeout=300)
    assert at.data_editor(key="segments.names").value["name"].tolist()[0] == "Lagret navn"  # from the save
    at.session_state["segments.names"] = {"edited_rows": {0: {"name": "Ny, ikke lagret"}},
                                          "added_rows": [], "deleted_rows": []}
    at.run(timeout=300)
    slide = _build_from_home(at)
    assert "\nNy, ikke lagret\n" in slide and "Lagret navn" not in slide
    with db.Workspace.open(demo_root / "demo.duckdb") as ws:
        assert ws.load_object("segment_assignment", "transactions")["names"]["1"] == "Lagret navn"


def test_a_pack_built_while_the_automatic_k_scan_runs_shows_the_pages_k(demo_root: Path, monkeypatch):
    """The scan over every k runs in the background above ui.segment_views.BACKGROUND_ROWS rows
    (here lowered to 100 for the demo's 400 accounts) while the page shows the slider's k = 3;
    the pack waits for that very scan (k = 5 on the demo) instead of showing another k, and the
    page shows the same k once the scan is done. The scan runs once, not again for the pack."""
    import threading

    from kamcore import segments
    from ui import segment_views

    monkeypatch.setattr(segment_views, "BACKGROUND_ROWS", 100)
    release = threading.Event()
    automatic: list[int] = []
    real = segments.kmeans_segments

    def gated(table, features, k=None, *args, **kwargs):
        if k is None:  # the scan: held until the test lets it go
            automatic.append(len(table))
            assert release.wait(120)
        return real(table, features, k, *args, **kwargs)

    monkeypatch.setattr(segment_views.sg, "kmeans_segments", gated)
    at = new_app("segments", timeout=300)
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Segments"] == "3"  # meanwhile: the slider's k
    assert len(automatic) == 1  # the scan is running
    _only(at, "segments")
    at.run(timeout=300)
    # the user builds the pack while the scan runs; it ends two seconds later
    timer = threading.Timer(2.0, release.set)
    timer.start()
    at.button(key="pack.build").click().run(timeout=300)
    timer.join()
    assert not at.exception and not at.error, [e.value for e in at.exception]
    assert any("Waiting for the Segments page's automatic choice" in m.value for m in at.markdown)
    slide = _segment_slide(at)
    assert "accounts in 5 segments by" in slide
    assert len(automatic) == 1  # the pack used the page's scan
    # the page, run again, shows the scan's result: the same k and segments as the slide
    at.run(timeout=300)
    assert {m.label: m.value for m in at.metric}["Segments"] == "5"
    shown = at.data_editor(key="segments.names").value
    assert len(shown) == 5
    for name, n in zip(shown["name"], shown["n"], strict=True):
        assert f"\n{name}\n{fmt_num(n, 0, 'en')}\n" in slide
