"""The meeting pack of a real client export, uploaded as a client would upload it.

Two public exports (tests/fixtures/real/PROVENANCE.md): Tableau's Superstore order lines (one
file, with profit) and Microsoft's Northwind (the order lines a client exports from orders ×
order details, plus the customers file), each read by ``kamcore.ingest.load_file`` and imported
with the mapping ``guess_mapping`` proposes, nothing else in the workspace (no survey, no
shortlist, no plans). The pack is built in nb and en, anonymised and not, as PPTX and PDF, and
from ``manage.py pack``; its numbers are checked against sums of the raw files.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kamcore import db
from kamcore.ingest import guess_mapping, load_file
from kamcore.meeting_pack import content as pc

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / "tests" / "fixtures" / "real"
pytestmark = pytest.mark.skipif(not Path("/usr/bin/chromium").exists() and not shutil.which("chromium"),
                                reason="the meeting pack draws its charts with Chromium")
TODAY = dt.date(2026, 12, 5)


def _import(ws: db.Workspace, name: str, path: Path) -> None:
    parsed = load_file(path).tables[0]
    guess = guess_mapping(parsed.data)
    ws.import_table(name, parsed.data, kind=guess.kind, mapping=guess.mapping)


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("client-workspaces")
    db.create_workspace(root, "superstore")
    with db.Workspace.open(db.workspace_path(root, "superstore")) as ws:
        _import(ws, "superstore", REAL / "superstore.csv")
    # Northwind: the client's order lines (order header joined to its lines, the revenue of a
    # line = unit price × quantity × (1 − discount)), as a CSV, and the customers file
    with open(REAL / "northwind" / "orders.csv", encoding="utf-8") as f:
        orders = {r["order_id"]: r for r in csv.DictReader(f)}
    lines = root / "northwind_lines.csv"
    with open(REAL / "northwind" / "order_details.csv", encoding="utf-8") as f, \
            open(lines, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["order_id", "customer_id", "order_date", "employee_id", "product_id", "revenue"])
        for r in csv.DictReader(f):
            head = orders[r["order_id"]]
            revenue = float(r["unit_price"]) * float(r["quantity"]) * (1 - float(r["discount"]))
            writer.writerow([r["order_id"], head["customer_id"], head["order_date"], head["employee_id"],
                             r["product_id"], f"{revenue:.4f}"])
    db.create_workspace(root, "northwind")
    with db.Workspace.open(db.workspace_path(root, "northwind")) as ws:
        _import(ws, "order_lines", lines)
        _import(ws, "customers", REAL / "northwind" / "customers.csv")
    return root


def _raw_totals(name: str) -> dict[str, float]:
    """Revenue per customer summed straight from the raw files (no kamcore)."""
    totals: dict[str, float] = {}
    if name == "superstore":
        with open(REAL / "superstore.csv", encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                totals[r["Customer ID"]] = totals.get(r["Customer ID"], 0.0) + float(r["Sales"])
        return totals
    with open(REAL / "northwind" / "orders.csv", encoding="utf-8") as f:
        customer = {r["order_id"]: r["customer_id"] for r in csv.DictReader(f)}
    with open(REAL / "northwind" / "order_details.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            c = customer[r["order_id"]]
            totals[c] = totals.get(c, 0.0) + float(r["unit_price"]) * float(r["quantity"]) * (1 - float(r["discount"]))
    return totals


def _real_names(name: str) -> set[str]:
    """The export's company and contact names and its customer numbers."""
    found: set[str] = set()
    if name == "superstore":
        with open(REAL / "superstore.csv", encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                found |= {r["Customer Name"], r["Customer ID"]}
    else:
        with open(REAL / "northwind" / "customers.csv", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                found |= {r["company_name"], r["contact_name"], r["customer_id"]}
    return {n for n in found if len(n) >= 4}


def _build(root: Path, name: str) -> tuple[pc.Inputs, pc.Pack]:
    with db.Workspace.open(db.workspace_path(root, name)) as ws:
        inputs = pc.load_inputs(ws, name, today=TODAY)
        return inputs, pc.build(inputs)


def _a_count(totals: dict[str, float]) -> int:
    """Class-A accounts: largest first, an account is A while those before it hold < 80 %."""
    positive = sorted((v for v in totals.values() if v > 0), reverse=True)
    total, before, count = sum(positive), 0.0, 0
    for value in positive:
        count += before / total < 0.8 - 1e-9
        before += value
    return count


def _pptx_text(data: bytes) -> list[str]:
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


def _pdf_pages(data: bytes) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]


@pytest.mark.parametrize("name", ["superstore", "northwind"])
def test_sections_and_numbers_of_a_client_export(exports, name):
    inputs, pack = _build(exports, name)
    sections = [s.section for s in pack.slides]
    assert {"title", "portfolio", "selection", "segments", "accounts"} <= set(sections)
    # no survey in the export: no slide that only says so; the title slide says it instead
    assert "survey" not in sections
    assert pc.Msg("pack.no_survey") in pack.slides[0].findings
    assert all(s.findings for s in pack.slides) and all(s.visuals for s in pack.slides[1:])
    # the Pareto sentence against sums of the raw file (inactive accounts: none, no status column)
    totals = _raw_totals(name)
    params = next(f for f in next(s for s in pack.slides if s.title.key == "pack.pareto_title").findings
                  if f.key == "pack.pareto_finding").params
    assert params["total"] == pc.Num(len(totals))  # 793 and 89 customers
    assert params["n"] == pc.Num(_a_count(totals))
    # fifteen recommended key accounts, one slide each, each with its health and revenue trend
    accounts = [s for s in pack.slides if s.section == "accounts"]
    assert len(accounts) == 15
    assert all(any(f.key == "pack.account_health" for f in s.findings) for s in accounts)


def test_northwind_in_norwegian_and_english(exports):
    from ui import pack_render

    _inputs, pack = _build(exports, "northwind")
    nb = pack_render.render(pack, "nb")
    en = pack_render.render(pack, "en", ("pptx",))
    deck_nb, deck_en = _pptx_text(nb["pptx"]), _pptx_text(en["pptx"])
    pdf_nb = _pdf_pages(nb["pdf"])
    assert len(deck_nb) == len(deck_en) == len(pdf_nb) == len(pack.slides)
    assert deck_nb[0].startswith("Møtepakke") and deck_en[0].startswith("Meeting pack")
    # every slide's title in the language (no English left in nb), the PDF has the same titles
    for slide, text_nb, text_en, page in zip(pack.slides, deck_nb, deck_en, pdf_nb, strict=True):
        title_nb = text_nb.split("\n")[0]
        assert title_nb != text_en.split("\n")[0], title_nb
        assert " ".join(title_nb.split()[:2]) in " ".join(page.split())
    english = ("Key account", "accounts", "revenue", "Revenue", "Health ", "No plan", "Share of")
    assert not [w for w in english if w in "\n".join(deck_nb)]
    total = sum(_raw_totals("northwind").values())
    assert f"{round(total):,}".replace(",", "\u00a0") in deck_nb[0]  # 1 265 793 on the title slide


def test_no_text_runs_off_a_pdf_page(exports):
    """Every character of the PDF lies inside its page with a margin (a table header that could
    not wrap ran to the paper's edge)."""
    import pypdfium2 as pdfium

    from ui import pack_render

    _inputs, pack = _build(exports, "superstore")
    pdf = pdfium.PdfDocument(pack_render.render(pack, "nb", ("pdf",))["pdf"])
    margin = 0.2 * 72  # points
    for i in range(len(pdf)):
        page = pdf[i]
        width = page.get_width()
        text = page.get_textpage()
        right = max((text.get_charbox(j)[2] for j in range(text.count_chars())), default=0)
        assert right <= width - margin, (i, right, width)


@pytest.mark.parametrize("name", ["superstore", "northwind"])
def test_anonymised_pack_of_a_client_export_names_nobody(exports, name):
    from kamcore import anonymise
    from ui import pack_render

    with db.Workspace.open(db.workspace_path(exports, name)) as ws:
        inputs = pc.load_inputs(ws, name, today=TODAY)
        inputs.name = pc.Msg("pack.anonymised_workspace")
        pack = pc.build(inputs)
        pseudonymiser = anonymise.for_workspace(ws, "nb")
    files = pack_render.render(pack, "nb", pseudonymiser=pseudonymiser)
    text = "\n".join(_pptx_text(files["pptx"]) + _pdf_pages(files["pdf"]))
    assert "Kunde " in text
    leaked = sorted(n for n in _real_names(name) if n in text)
    assert leaked == [], leaked[:10]
    # the numbers stay: the title slide's total revenue is the same as without the mode
    plain = _pptx_text(pack_render.render(pack, "nb", ("pptx",))["pptx"])
    assert _pptx_text(files["pptx"])[0].split("\n")[-2:] == plain[0].split("\n")[-2:]


def test_manage_py_pack_on_a_client_workspace(exports, tmp_path):
    out = tmp_path / "northwind.pdf"
    env = {**os.environ, "KAMSTUDIO_WORKSPACES": str(exports), "PYTHONPATH": str(ROOT)}
    env.pop("KAMSTUDIO_AUTH", None)
    done = subprocess.run([sys.executable, "-m", "ui.pack_cli", "--workspace", "northwind", "--lang", "nb",
                           "--anonymise", "--out", str(out)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "slides, pdf, nb" in done.stdout
    pages = _pdf_pages(out.read_bytes())
    assert pages[0].startswith("Møtepakke")
    text = "\n".join(pages)
    assert not [n for n in _real_names("northwind") if n in text]
