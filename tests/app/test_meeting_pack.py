"""The meeting pack on paper: the PPTX (python-pptx) and the PDF (pypdf) of the demo, and the CLI.

Chart images and the PDF need Chromium (``manage.py test`` installs Debian's).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kamcore import db, portfolio
from kamcore.demo import DEMO_NAME
from kamcore.meeting_pack import content as pc
from ui.i18n import fmt_num, fmt_pct, translate

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not Path("/usr/bin/chromium").exists() and not shutil.which("chromium"),
                                reason="the meeting pack draws its charts with Chromium")
NBSP = "\u00a0"


@pytest.fixture(scope="module")
def demo_pack(_demo_template: Path):
    ws = db.Workspace.open(_demo_template)
    try:
        inputs = pc.load_inputs(ws, "demo", today=dt.date(2026, 12, 5))
        pack = pc.build(inputs)
    finally:
        ws.close()
    return inputs, pack


@pytest.fixture(scope="module")
def nb_files(demo_pack):
    from ui import pack_render

    return pack_render.render(demo_pack[1], "nb")


def _slides_text(data: bytes) -> list[list[str]]:
    from pptx import Presentation

    deck = Presentation(io.BytesIO(data))
    out = []
    for slide in deck.slides:
        texts = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                texts.append(shape.text_frame.text)
            if shape.has_table:
                texts += [cell.text for row in shape.table.rows for cell in row.cells]
        out.append(texts)
    return out


def test_pptx_is_16_9_with_every_section_native_tables_and_pictures(demo_pack, nb_files):
    from pptx import Presentation
    from pptx.util import Inches

    _, pack = demo_pack
    deck = Presentation(io.BytesIO(nb_files["pptx"]))
    assert (deck.slide_width, deck.slide_height) == (Inches(13.333), Inches(7.5))
    assert len(deck.slides) == len(pack.slides)
    titles = [next(s.text_frame.text for s in slide.shapes if s.has_text_frame) for slide in deck.slides]
    for key in ("pack.deck_title", "pack.pareto_title", "pack.whale_title", "pack.concentration_title",
                "pack.movement_title", "pack.selection_title", "pack.shortlist_title", "pack.segments_title",
                "pack.survey_title", "pack.ipa_title"):
        assert translate(key, "nb") in titles, key
    assert sum(t.startswith("Nøkkelkunde: ") for t in titles) == sum(s.section == "accounts" for s in pack.slides)
    tables = sum(shape.has_table for slide in deck.slides for shape in slide.shapes)
    pictures = sum(shape.shape_type == 13 for slide in deck.slides for shape in slide.shapes)  # PICTURE
    charts = sum(isinstance(v, pc.Chart) for s in pack.slides for v in s.visuals)
    assert tables == sum(isinstance(v, pc.Table) for s in pack.slides for v in s.visuals)
    assert pictures == charts > 10
    # every slide but the title has a finding under its title
    assert all(len(texts) >= 2 for texts in _slides_text(nb_files["pptx"]))


def test_pptx_numbers_are_kamcores_in_norwegian_format(demo_pack, nb_files):
    inputs, _ = demo_pack
    classes = portfolio.abc_classes(inputs.transactions, "customer_id", "revenue", (0.8, 0.95))
    summary = portfolio.abc_summary(classes).set_index("abc_class")
    a = summary.loc["A"]
    texts = _slides_text(nb_files["pptx"])
    pareto = next(t for t in texts if t[0] == translate("pack.pareto_title", "nb"))
    finding = translate("pack.pareto_finding", "nb", n=fmt_num(a["accounts"], 0, "nb"),
                        total=fmt_num(len(classes), 0, "nb"), accounts=fmt_pct(a["account_share"], 1, "nb"),
                        value=fmt_pct(a["value_share"], 1, "nb"), limit=fmt_pct(0.8, 0, "nb"))
    assert "• " + finding in pareto[1].split("\n")
    # the class table: native cells, shares as 19,5 % (decimal comma, no-break space before %)
    assert fmt_pct(a["account_share"], 1, "nb") in pareto
    assert re.fullmatch(r"\d+,\d" + NBSP + "%", fmt_pct(a["account_share"], 1, "nb"))
    title = texts[0]
    revenue = fmt_num(float(inputs.transactions["revenue"].sum()), 0, "nb")
    assert NBSP in revenue and any(revenue in t for t in title)
    assert any("05.12.2026" in t for t in title)


def test_pdf_has_the_same_pages_and_text(demo_pack, nb_files):
    from pypdf import PdfReader

    _, pack = demo_pack
    reader = PdfReader(io.BytesIO(nb_files["pdf"]))
    assert len(reader.pages) == len(pack.slides)
    box = reader.pages[0].mediabox
    assert abs(float(box.width) / float(box.height) - 16 / 9) < 0.01
    pptx_titles = [t[0] for t in _slides_text(nb_files["pptx"])]
    for page, title in zip(reader.pages, pptx_titles, strict=True):
        text = " ".join(page.extract_text().split())
        assert " ".join(title.split()) in text
    assert "Få kunder står for omsetningen" in reader.pages[1].extract_text()


def test_pdf_pages_show_the_chart_pictures(nb_files):
    import numpy as np
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(nb_files["pdf"])
    image = np.asarray(pdf[1].render(scale=1).to_pil().convert("L"))  # the Pareto slide, 960 x 540 pt
    height, width = image.shape
    assert abs(width / height - 16 / 9) < 0.01
    chart = image[int(height * 0.35):int(height * 0.9), int(width * 0.05):int(width * 0.45)]
    assert (chart < 200).mean() > 0.05  # bars and axes drawn, not an empty box
    margin = image[:, int(width * 0.985):]
    assert (margin < 250).mean() < 0.01  # nothing runs off the right edge


@pytest.mark.parametrize(("language", "title", "word"), [
    ("en", "Few accounts carry the revenue", "Share of accounts"),
    ("sv", "Få kunder står för omsättningen", "Andel av kunderna"),
])
def test_other_languages(demo_pack, language, title, word):
    from ui import pack_render

    small = pc.Pack("demo", [s for s in demo_pack[1].slides if s.section in ("title", "portfolio")][:2],
                    demo_pack[1].filters, demo_pack[1].created, ("title", "portfolio"))
    files = pack_render.render(small, language, ("pptx",))
    texts = _slides_text(files["pptx"])
    assert texts[1][0] == title
    assert word in texts[1]
    if language == "sv":
        assert any("2026-12-05" in t for t in texts[0])
    else:
        assert any("5 Dec 2026" in t for t in texts[0])


def test_user_text_is_never_markup_in_the_pdf_html():
    from ui import pack_render

    page = pack_render.Page("portfolio", "<b>Kunde & Co</b>", ["<script>alert(1)</script>"],
                            [("table", (["Navn"], [["<img src=x onerror=alert(1)>"]], [False]),
                              pack_render.Box(0.5, 2, 6, 3))], None)
    html = pack_render.to_html([page], "nb")
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>Kunde" not in html
    assert "&lt;b&gt;Kunde &amp; Co&lt;/b&gt;" in html
    assert "default-src 'none'" in html


# ------------------------------------------------------------------------------------ CLI
def _cli(args: list[str], workspaces: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, "KAMSTUDIO_WORKSPACES": str(workspaces), "PYTHONPATH": str(ROOT), **env}
    return subprocess.run([sys.executable, "-m", "ui.pack_cli", *args], capture_output=True, text=True,
                          cwd=ROOT, env=environ, timeout=600)


def test_cli_refuses_a_missing_workspace_with_the_apps_sentence(tmp_path):
    done = _cli(["--workspace", "Kunde Vest", "--lang", "nb", "--out", str(tmp_path / "x.pptx")], tmp_path)
    assert done.returncode == 1
    assert "You do not have access to the workspace 'Kunde Vest'" in done.stderr
    assert not (tmp_path / "x.pptx").exists()


def test_cli_refuses_a_workspace_another_user_owns(_demo_template, tmp_path):
    from kamcore import access

    shutil.copyfile(_demo_template, tmp_path / "Klient.duckdb")
    access.write_access(tmp_path, "Klient", access.WorkspaceAccess(owner="kari", visibility="private"))
    out = tmp_path / "x.pdf"
    denied = _cli(["--workspace", "Klient", "--lang", "nb", "--out", str(out), "--user", "ola"], tmp_path,
                  KAMSTUDIO_AUTH="password")
    assert denied.returncode == 1 and "You do not have access to the workspace 'Klient'" in denied.stderr
    no_user = _cli(["--workspace", "Klient", "--lang", "nb", "--out", str(out)], tmp_path, KAMSTUDIO_AUTH="password")
    assert no_user.returncode == 2 and "--user" in no_user.stderr
    assert not out.exists()


def test_cli_needs_a_known_format(tmp_path):
    done = _cli(["--workspace", "demo", "--lang", "nb", "--out", str(tmp_path / "pack.key")], tmp_path)
    assert done.returncode == 2 and "--format" in done.stderr
    bad = _cli(["--workspace", "demo", "--lang", "de", "--out", str(tmp_path / "pack.pdf")], tmp_path)
    assert bad.returncode == 2


def test_cli_builds_the_demo_first_and_writes_the_pdf(tmp_path):
    root = tmp_path / "workspaces"
    out = tmp_path / "pakke.pdf"
    done = _cli(["--workspace", "demo", "--lang", "nb", "--format", "pdf", "--out", str(out),
                 "--sections", "title,portfolio"], root)
    assert done.returncode == 0, done.stderr
    assert (root / f"{DEMO_NAME}.duckdb").is_file()
    from pypdf import PdfReader

    reader = PdfReader(out)
    assert len(reader.pages) == 5  # title, Pareto, whale, concentration, movement
    assert "Møtepakke" in reader.pages[0].extract_text()


def test_manage_py_pack_runs_the_cli_in_the_venv(monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("kam_manage_pack", ROOT / "manage.py")
    manage = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(manage)
    calls = []
    monkeypatch.setattr(manage, "ensure_venv", lambda: calls.append("venv"))
    monkeypatch.setattr(manage, "ensure_requirements", lambda name: calls.append(name))
    monkeypatch.setattr(manage, "ensure_chromium", lambda *a, **k: calls.append(("chromium", k)))
    monkeypatch.setattr(manage.subprocess, "call", lambda command, **kw: calls.append(command) or 0)
    assert manage.pack(["--workspace", "demo", "--lang", "sv", "--out", "x.pptx"]) == 0
    assert calls[:3] == ["venv", "requirements.txt", ("chromium", {"any_browser": True})]
    assert calls[3][1:] == ["-m", "ui.pack_cli", "--workspace", "demo", "--lang", "sv", "--out", "x.pptx"]


# ------------------------------------------------------------------------------ the app's panel
def test_panel_builds_the_pack_of_the_current_view_in_the_session_language(make_app):
    at = make_app("portfolio", lang="nb")
    for section in pc.SECTIONS[1:]:
        at.checkbox(key=f"pack.section_{section}").uncheck()
    at.run()
    assert not at.exception
    at.button(key="pack.build").click().run(timeout=300)
    assert not at.exception and not at.error
    downloads = at.get("download_button")
    assert len(downloads) == 2
    labels = [d.proto.label for d in downloads]
    assert labels == ["Last ned PowerPoint", "Last ned PDF"]
    held = at.session_state["pack._files"]
    deck = _slides_text(held["files"]["pptx"])
    assert len(deck) == 1 and deck[0][0] == "Møtepakke"
    assert held["names"]["pdf"].startswith("meeting_pack_demo_") and held["names"]["pdf"].endswith(".pdf")
    # a filter change makes the files stale: the buttons go until the pack is built again
    region = at.multiselect(key="filters.region")
    region.select(region.options[0]).run()
    assert not at.exception
    assert len(at.get("download_button")) == 0


def test_panel_strings_come_from_the_catalogue(make_app):
    at = make_app("home", lang="qps")
    labels = [at.checkbox(key=f"pack.section_{s}").label for s in pc.SECTIONS]
    assert all(label.startswith("⟦") and label.endswith("⟧") for label in labels)
    assert at.button(key="pack.build").label == "⟦Build the pack⟧"


# ------------------------------------------------------------------------------ anonymised mode
def _real_names() -> tuple[set[str], set[str]]:
    """Every account name, salesperson, contact and our person of the demo; every account number."""
    import pandas as pd

    demo = ROOT / "data" / "demo"

    def read(name: str) -> pd.DataFrame:
        return pd.read_csv(demo / name, sep=";", dtype=str, encoding="utf-8-sig")

    customers, sales = read("customers.csv"), read("transactions.csv")
    names = set(customers["Kundenavn"]) | set(sales["Kundenavn"]) | set(sales["Selger"]) | set(customers["Selger"])
    names |= set(read("contacts.csv")["Kontaktperson"]) | set(read("our_people.csv")["Medarbeider"])
    ids = set(customers["Kundenr"]) | set(sales["Kundenr"])
    return {n for n in names if isinstance(n, str) and n.strip()}, ids


def test_anonymised_pack_shows_no_real_name_and_the_same_numbers(_demo_template, demo_pack, tmp_path):
    import json

    anonymise = pytest.importorskip("kamcore.anonymise")
    from pypdf import PdfReader

    from ui import i18n, pack_render

    path = tmp_path / "demo.duckdb"
    shutil.copyfile(_demo_template, path)  # the pseudonyms are stored in the workspace
    ws = db.Workspace.open(path)
    try:
        pseudo = anonymise.for_workspace(ws, "nb")
        inputs = pc.load_inputs(ws, "demo", today=dt.date(2026, 12, 5))
        inputs.name = pc.Msg("pack.anonymised_workspace")
        pack = pc.build(inputs)
    finally:
        ws.close()
    files = pack_render.render(pack, "nb", pseudonymiser=pseudo)
    slides = _slides_text(files["pptx"])
    words = "\n".join(t for slide in slides for t in slide)
    words += "\n" + "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(files["pdf"])).pages)
    names, ids = _real_names()
    leaked = sorted(n for n in names if n.lower() in words.lower())
    assert not leaked, leaked[:5]
    leaked_ids = sorted(i for i in ids if re.search(rf"(?<![\d]){re.escape(i)}(?![\d])", words))
    assert not leaked_ids, leaked_ids[:5]
    assert "Kunde " in words  # the pseudonyms are there instead
    # The chart texts drawn into the pictures (hover texts, labels) are pseudonymised too.
    with i18n.language("nb"):
        matrix = next(v for s in pack.slides for v in s.visuals if isinstance(v, pc.Chart) and v.kind == "matrix")
        drawn = json.dumps(pack_render._anonymised(pack_render.figure(matrix).to_dict(), pseudo), default=str)
    assert not [n for n in names if n in drawn]
    # Every number is the same as without the mode: the slides differ only where names were.
    plain = _slides_text(pack_render.render(demo_pack[1], "nb", ("pptx",))["pptx"])
    for hidden, shown in zip(slides[1:11], plain[1:11], strict=True):
        numbers = [re.findall(r"\d[\d\u00a0,.%]*", t) for t in hidden]
        assert numbers == [re.findall(r"\d[\d\u00a0,.%]*", pseudo.text(t)) for t in shown]


def test_pdf_falls_back_to_a_browser_of_its_own(monkeypatch):
    from pypdf import PdfReader

    from ui import pack_render

    def broken(url):
        raise RuntimeError("tab crashed")

    monkeypatch.setattr(pack_render._BROWSER, "print_pdf", broken)
    page = pack_render.Page("title", "Møtepakke", ["Arbeidsområde: Æ Ø Å"], [], None, is_title=True)
    reader = PdfReader(io.BytesIO(pack_render.to_pdf([page, page], "nb")))
    assert len(reader.pages) == 2
    assert "Arbeidsområde: Æ Ø Å" in reader.pages[0].extract_text()


def test_cli_anonymise_writes_pseudonyms_only(_demo_template, tmp_path):
    pytest.importorskip("kamcore.anonymise")
    shutil.copyfile(_demo_template, tmp_path / "demo.duckdb")
    out = tmp_path / "anon.pptx"
    done = _cli(["--workspace", "demo", "--lang", "nb", "--anonymise", "--out", str(out),
                 "--sections", "title,portfolio"], tmp_path)
    assert done.returncode == 0, done.stderr
    words = "\n".join(t for slide in _slides_text(out.read_bytes()) for t in slide)
    names, ids = _real_names()
    assert not sorted(n for n in names if n.lower() in words.lower())
    assert "Kunde " in words  # the movement slide's accounts at risk, by pseudonym
    assert "(anonymisert)" in words and "demo" not in words


def test_panel_with_the_anonymised_switch_on_builds_a_pack_without_real_names(make_app):
    pytest.importorskip("kamcore.anonymise")
    at = make_app("portfolio", lang="nb")
    at.toggle(key="app.anonymise").set_value(True)
    for section in ("selection", "segments", "survey", "accounts"):
        at.checkbox(key=f"pack.section_{section}").uncheck()
    at.run()
    at.button(key="pack.build").click().run(timeout=300)
    assert not at.exception and not at.error
    held = at.session_state["pack._files"]
    words = "\n".join(t for slide in _slides_text(held["files"]["pptx"]) for t in slide)
    names, _ = _real_names()
    assert not sorted(n for n in names if n.lower() in words.lower())
    assert "Kunde " in words and "(anonymisert)" in words
    assert held["names"]["pptx"].startswith("meeting_pack_anonymised_")
    # switching the mode off makes the files stale
    at.toggle(key="app.anonymise").set_value(False).run()
    assert len(at.get("download_button")) == 0
