"""The Data page: upload a messy Norwegian export, fix the mapping, read the quality report, import."""

from __future__ import annotations

import io

import openpyxl
import pytest

from kamcore import db
from tests.app.conftest import new_app


def upload_token(content: bytes) -> str:
    import hashlib

    return hashlib.sha256(content).hexdigest()[:12]


def messy_norwegian_workbook() -> bytes:
    """What a Norwegian ERP gives a sales director: title rows, kr amounts, a typo in a number."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Salg 2025"
    sheet.append(["Salgsrapport – Nordvik Engros AS"])
    sheet.append([])
    sheet.append(["Kundenr", "Kundenavn", "Fakturadato", "Beløp", "Kostnad", "Selger"])
    rows = [
        ("0101", "Fjordkraft Bygg AS", "03.01.2025", "12 500,00 kr", "9 000,00", "Kari Nordmann"),
        ("0102", "Bjørnsen Elektro AS", "15.01.2025", "4 250,50 kr", "3 100,00", "Ola Hansen"),
        ("0101", "Fjordkraft Bygg AS", "01.02.2025", "-1 250,00 kr", "-900,00", "Kari Nordmann"),
        ("0103", "Ås Transport AS", "20.02.2025", "tolv", "1 000,00", "Ola Hansen"),
        ("0102", "Bjørnsen Elektro AS", "05.03.2025", "7 000,00 kr", "5 600,00", "Ola Hansen"),
        ("0104", "Lindås Rør AS", "06.03.2025", "NOK 2 000", "1 500,00", "Kari Nordmann"),
        ("0104", "Lindås Rør AS", "07.03.2025", "kr 1.000,-", "800,00", "Kari Nordmann"),
        ("0105", "Sørlandet Maskin AS", "10.03.2025", "3 000,00 kr", "2 000,00", "Ola Hansen"),
        ("0105", "Sørlandet Maskin AS", "11.03.2025", "500,00 kr", "400,00", "Ola Hansen"),
        ("0101", "Fjordkraft Bygg AS", "12.03.2025", "250,00 kr", "200,00", "Kari Nordmann"),
    ]
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _upload(at, name: str, content: bytes, mime: str):
    at.file_uploader(key="data.upload").upload(name, content, mime).run()
    return at


def test_upload_fix_mapping_and_import_a_messy_norwegian_export(demo_root):
    content = messy_norwegian_workbook()
    at = new_app("data")
    _upload(at, "salg.xlsx", content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert not at.exception
    token = upload_token(content)
    prefix = f"data.pending.{token}.Salg 2025"

    # The quality report: 10 rows read, the 'tolv' row rejected with its row and column named.
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rows read"] == "10"
    assert metrics["Rows kept"] == "9"
    assert metrics["Rows rejected"] == "1"
    rejected = [df.value for df in at.dataframe if "reason" in df.value.columns]
    assert len(rejected) == 1
    assert rejected[0]["Beløp"].tolist() == ["tolv"]
    assert rejected[0]["source_row"].tolist() == [7]

    # 'Beløp' is not a header the guesser knows for sure; the user maps it to revenue.
    at.selectbox(key=f"{prefix}.map.role.revenue").select("Beløp").run()
    at.selectbox(key=f"{prefix}.map.role.customer_id").select("Kundenr").run()
    at.selectbox(key=f"{prefix}.map.role.date").select("Fakturadato").run()
    at.segmented_control(key=f"{prefix}.kind").set_value("transactions").run()
    at.text_input(key=f"{prefix}.name").input("salg 2025").run()
    at.button(key=f"{prefix}.import").click().run()
    assert not at.exception
    assert not at.error

    with db.Workspace.open(db.workspace_path(demo_root, "demo")) as ws:
        info = ws.table_info("salg 2025")
        assert info.n_rows == 9
        assert info.mapping.get("revenue") == "Beløp"
        stored = ws.read_table("salg 2025")
        assert sorted(stored["Beløp"].tolist()) == [-1250.0, 250.0, 500.0, 1000.0, 2000.0, 3000.0, 4250.5,
                                                    7000.0, 12500.0]


@pytest.mark.parametrize("lang", ["nb", "sv"])
def test_quality_report_speaks_the_chosen_language(demo_root, lang):
    content = messy_norwegian_workbook()
    at = new_app("data", lang=lang)
    _upload(at, "salg.xlsx", content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    labels = [m.label for m in at.metric]
    assert ("Rader lest" if lang == "nb" else "Rader lästa") in labels
    assert not at.exception


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("tom.csv", b""),
        ("bilde.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4),
        ("ødelagt.xlsx", b"this is not a zip file at all"),
    ],
)
def test_bad_files_show_one_sentence_and_leave_the_workspace_unchanged(demo_root, name, content):
    path = db.workspace_path(demo_root, "demo")
    with db.Workspace.open(path) as ws:
        before = [(i.name, i.n_rows, i.content_hash) for i in ws.tables()]
    at = new_app("data")
    _upload(at, name, content, "application/octet-stream")
    assert not at.exception
    assert len(at.error) == 1
    assert "Traceback" not in at.error[0].value
    at.session_state["_workspace"].close()
    del at.session_state["_workspace"]
    with db.Workspace.open(path) as ws:
        assert [(i.name, i.n_rows, i.content_hash) for i in ws.tables()] == before


def test_workspace_can_be_created_and_switched_to(demo_root):
    at = new_app("data")
    at.text_input(key="data.new_workspace").input("Kunde Vest")
    at.button(key="data.create").click().run()
    assert not at.exception
    assert at.session_state["workspace_name"] == "Kunde Vest"
    assert (demo_root / "Kunde Vest.duckdb").exists()


def test_a_whitespace_aligned_export_is_recognised_mapped_and_imported(demo_root):
    from pathlib import Path

    content = (Path(__file__).resolve().parents[1] / "fixtures" / "real" / "cdnow_master.txt").read_bytes()
    at = new_app("data")
    _upload(at, "cdnow_master.txt", content, "text/plain")
    assert not at.exception
    assert any("separator spaces (aligned columns)" in c.value for c in at.caption)
    assert {m.label: m.value for m in at.metric}["Rows kept"] == "69,659"
    prefix = f"data.pending.{upload_token(content)}.cdnow_master"
    # Guessed without help: the user only confirms.
    assert at.selectbox(key=f"{prefix}.map.role.revenue").value == "dollar_value"
    assert at.selectbox(key=f"{prefix}.map.role.date").value == "date"
    at.button(key=f"{prefix}.import").click().run()
    assert not at.exception and not at.error
    with db.Workspace.open(db.workspace_path(demo_root, "demo")) as ws:
        info = ws.table_info("cdnow_master")
        assert info.n_rows == 69_659
        assert info.mapping.get("quantity") == "number_of_cds"


def test_quality_table_names_negative_values_by_role_and_never_shows_none(demo_root):
    """Negative revenue is a credit note, negative profit a loss-making line; empty cells are a dash."""
    from streamlit import dataframe_util

    content = (
        b"Kundenr;Fakturadato;Omsetning;Dekningsbidrag\n"
        b"0101;03.01.2025;1000,00;200,00\n"
        b"0101;04.01.2025;-250,00;-50,00\n"
        b"0102;05.01.2025;800,00;-10,00\n"
        b"0102;05.01.2025;800,00;-10,00\n"
    )
    at = new_app("data")
    _upload(at, "salg.csv", content, "text/csv")
    assert not at.exception
    (issues,) = [d for d in at.dataframe if "What we found" in d.value.columns]
    messages = dict(zip(issues.value["Column"], issues.value["What we found"], strict=False))
    assert "credit notes" in messages["Omsetning"]
    assert "sold at a loss" in messages["Dekningsbidrag"]
    assert "credit" not in messages["Dekningsbidrag"]
    shown = dataframe_util.convert_arrow_bytes_to_pandas_df(issues.proto.arrow_data.styler.display_values)
    assert not shown.isin(["None", "<NA>", "nan"]).any().any()
    assert (shown["Row"] == "–").any()  # a note about a whole column has no row
    # the uploader's English words are said again in the page's language
    at_nb = new_app("data", lang="nb")
    assert any(c.value.startswith("Dra filene inn i feltet over") for c in at_nb.caption)
