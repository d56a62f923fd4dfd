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


def _import_messy_workbook(at):
    content = messy_norwegian_workbook()
    _upload(at, "salg.xlsx", content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    prefix = f"data.pending.{upload_token(content)}.Salg 2025"
    at.selectbox(key=f"{prefix}.map.role.revenue").select("Beløp").run()
    at.segmented_control(key=f"{prefix}.kind").set_value("transactions").run()
    at.text_input(key=f"{prefix}.name").input("Salg").run()
    at.button(key=f"{prefix}.import").click().run()
    return prefix


def _keys(at) -> set[str]:
    return {widget.key for widget in at.get("button") if widget.key}


def test_an_import_consumes_its_upload_and_says_what_it_stored(demo_root):
    at = new_app("data")
    prefix = _import_messy_workbook(at)
    assert not at.exception and not at.error

    # What was imported: table name, rows, kind — and a link to the page that uses it.
    assert [s.value for s in at.success] == ["Imported table 'Salg': 9 rows, Transactions (many rows per account)."]
    # Also as a toast, seen wherever the page is scrolled to; once.
    assert [toast.value for toast in at.toast] == [at.success[0].value]
    links = [(link.value, link.proto.page) for link in at.page_link]
    assert ("3 · See it: open the Portfolio", "portfolio") in links

    # The upload is consumed: no preview, no Import button, an empty uploader under a new key.
    assert f"{prefix}.import" not in _keys(at)
    assert not [df for df in at.dataframe if df.key == f"{prefix}.preview"]
    assert at.session_state["data.pending"] == {}
    assert [u.key for u in at.file_uploader] == ["data.upload.1"]
    assert not at.file_uploader(key="data.upload.1").value

    # A rerun (what a second click would cause) does not bring the upload back.
    at.run()
    assert f"{prefix}.import" not in _keys(at)
    assert not any("already exists" in e.value for e in at.error)
    assert not at.toast
    with db.Workspace.open(db.workspace_path(demo_root, "demo")) as ws:
        assert ws.table_info("Salg").n_rows == 9


def test_the_import_summary_belongs_to_its_workspace_and_can_be_closed(demo_root):
    at = new_app("data")
    _import_messy_workbook(at)
    at.button(key="data.import_summary_dismiss").click().run()
    assert not at.success
    assert "data.last_import" not in at.session_state


def test_an_imported_survey_links_to_the_survey_page(demo_root):
    from pathlib import Path

    content = (Path(__file__).resolve().parents[2] / "data" / "demo" / "survey_dealer.csv").read_bytes()
    at = new_app("data", lang="nb")
    _upload(at, "forhandler.csv", content, "text/csv")
    parsed_name = at.session_state["data.pending"][upload_token(content)]["result"].tables[0].name
    prefix = f"data.pending.{upload_token(content)}.{parsed_name}"
    assert at.segmented_control(key=f"{prefix}.kind").value == "survey"
    at.text_input(key=f"{prefix}.name").input("forhandlere").run()
    at.button(key=f"{prefix}.import").click().run()
    assert not at.exception and not at.error
    assert [s.value for s in at.success] == ["Importerte tabellen «forhandlere»: 146 rader, Spørreundersøkelse."]
    assert [(link.value, link.proto.page) for link in at.page_link if "Undersøkelse" in link.value] == [
        ("3 · Se resultatet: åpne Undersøkelse og gap", "survey")]


def test_a_dismissed_upload_does_not_come_back(demo_root):
    at = new_app("data")
    _upload(at, "tom.csv", b"", "text/csv")
    assert len(at.error) == 1
    token = upload_token(b"")
    at.button(key=f"data.dismiss.{token}").click().run()
    assert not at.exception
    assert not at.error
    assert at.session_state["data.pending"] == {}


def test_creating_a_workspace_is_a_visible_first_step(demo_root):
    at = new_app("data", lang="sv")
    headers = [h.value for h in at.subheader]
    assert headers[:3] == ["1 · Kundens arbetsyta", "2 · Ladda upp och importera kundens exporter",
                           "Tabeller i den här arbetsytan"]
    # The create form is not inside the collapsed workspace manager.
    for expander in at.expander:
        assert "data.new_workspace" not in {w.key for w in expander.text_input}
    at.text_input(key="data.new_workspace").input("Kund Syd")
    at.button(key="data.create").click().run()
    assert at.session_state["workspace_name"] == "Kund Syd"


def test_the_tables_overview_fits_short_lines(demo_root):
    # The list of mapped roles ran off the right of its cell; the overview now counts them and
    # names only what the analysis still needs.
    at = new_app("data")
    overview = next(df.value for df in at.dataframe if "Roles mapped" in df.value.columns)
    assert overview.columns.tolist() == ["Name", "Table type", "Rows", "Columns", "Roles mapped", "Still to map"]
    rows = overview.set_index("Name")
    assert rows.loc["transactions", "Roles mapped"] == "11 of 15"
    assert rows.loc["customers", "Roles mapped"] == "7 of 15"  # Kundenr … Kunde siden: 7 columns with a role
    assert rows.loc["transactions", "Still to map"] == "—"
    assert max(len(str(v)) for v in overview.to_numpy().ravel()) <= 40


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
    assert "(a credit note)" in messages["Omsetning"]  # one negative value: the singular
    assert "sold at a loss" in messages["Dekningsbidrag"]
    assert "credit" not in messages["Dekningsbidrag"]
    shown = dataframe_util.convert_arrow_bytes_to_pandas_df(issues.proto.arrow_data.styler.display_values)
    assert not shown.isin(["None", "<NA>", "nan"]).any().any()
    assert (shown["Row"] == "–").any()  # a note about a whole column has no row
    # the browser's grid draws a missing cell as "None" whatever the Styler says: none in the data
    assert not issues.value.isna().any().any()
    assert (issues.value["Row"] == "–").any()
    # the uploader's English words are said again in the page's language
    at_nb = new_app("data", lang="nb")
    assert any(c.value.startswith("Dra filene inn i feltet over") for c in at_nb.caption)


def test_quality_counts_are_written_in_the_users_language():
    """1,000,000 rows read: the report's counts carry the language's thousands separator."""
    from kamcore.ingest import QualityIssue, QualityReport
    from ui import i18n
    from ui.upload_views import quality_table

    report = QualityReport(rows_read=1_234_567, rows_kept=1_234_560, rows_rejected=7, empty_rows=0)
    report.issues = [
        QualityIssue(code="rows_summary", params={"rows_read": 1_234_567, "rows_kept": 1_234_560,
                                                  "rows_rejected": 7, "empty_rows": 0}),
        QualityIssue(code="missing_values", params={"column": "Omsetning", "n": 12_000}, column="Omsetning", row=None),
    ]
    with i18n.language("nb"):
        table = quality_table(report)
    summary, missing = table.iloc[:, -1].tolist()
    nbsp = "\u00a0"  # the thousands separator of nb and sv (a line never breaks inside a number)
    assert summary == f"1{nbsp}234{nbsp}567 rader lest: 1{nbsp}234{nbsp}560 beholdt, 7 avvist, 0 tomme rader hoppet over."
    assert missing == f"Kolonnen «Omsetning» har 12{nbsp}000 tomme celler."
    assert table.iloc[:, 1].tolist() == ["–", "–"]
    with i18n.language("en"):
        english = quality_table(report).iloc[0, -1]
    assert english == "1,234,567 rows read: 1,234,560 kept, 7 rejected, 0 empty rows skipped."


def test_the_mapping_is_guessed_once_per_upload_not_on_every_rerun(demo_root, monkeypatch):
    import kamcore.ingest

    guessed = []
    guess = kamcore.ingest.guess_mapping

    def counting_guess(table):
        guessed.append(len(table))
        return guess(table)

    monkeypatch.setattr(kamcore.ingest, "guess_mapping", counting_guess)
    content = messy_norwegian_workbook()
    at = new_app("data")
    _upload(at, "salg.xlsx", content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    prefix = f"data.pending.{upload_token(content)}.Salg 2025"
    at.selectbox(key=f"{prefix}.map.role.revenue").select("Beløp").run()
    at.text_input(key=f"{prefix}.name").input("salg 2025").run()
    assert not at.exception
    assert guessed == [9]  # one guess for the one table, over three runs of the page
    # The user's choice is kept over the guess on the later runs.
    assert at.selectbox(key=f"{prefix}.map.role.revenue").value == "Beløp"


def test_the_detected_format_quotes_the_decimal_mark_and_counts_one_cell_in_the_singular(demo_root):
    content = "Kundenr;Beløp;Selger\n0101;12 500,00;Kari\n0102;4 250,50;\n".encode()
    at = new_app("data", lang="nb")
    _upload(at, "salg.csv", content, "text/csv")
    assert not at.exception
    found = [c.value for c in at.caption if c.value.startswith("Funnet:")]
    assert found == ["Funnet: csv, tegnkoding utf-8, skilletegn ';', desimaltegn ',', overskrift på rad 1."]
    (issues,) = [d for d in at.dataframe if "Hva vi fant" in d.value.columns]
    assert "Kolonnen «Selger» har 1 tom celle." in issues.value["Hva vi fant"].tolist()
