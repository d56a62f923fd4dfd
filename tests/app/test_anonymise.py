"""Anonymised mode in the app: no real name on any page, view or download; every total unchanged.

Every page of the app is opened on the demo with the sidebar switch on, every main view
(segmented control) of it too; everything the run would send to the browser is collected —
texts, labels, options, help, tables (every cell, index and header), chart JSON (hover texts,
axis labels) and the bytes of every download — and searched for the demo's real account
numbers, account names, contacts and salespeople (read from the demo files here).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
import streamlit
from google.protobuf.json_format import MessageToDict
from streamlit.delta_generator import DeltaGenerator
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Dataframe

from kamcore.demo import DEMO_TABLES
from kamcore.ingest import load_file
from tests.app.conftest import APP, DEMO_DATA, RouterAppTest

PAGES = ["home", "data", "portfolio", "selection", "segments", "survey", "relationships", "plans", "account"]
KEY = "app.anonymise"


def real_values() -> tuple[set[str], set[str]]:
    """(account numbers, every other real name: accounts, contacts, salespeople) in the demo files."""
    ids: set[str] = set()
    names: set[str] = set()
    for file_name, _kind, roles in DEMO_TABLES.values():
        frame = load_file(DEMO_DATA / file_name).tables[0].data
        for role, column in roles.items():
            values = {str(v).strip() for v in frame[column].dropna()}
            if role in ("customer_id", "account"):
                ids |= values
            elif role in ("customer_name", "owner", "person", "contact"):
                names |= values
        if "Kundenavn" in frame.columns:  # the contacts export carries the name unmapped
            names |= {str(v).strip() for v in frame["Kundenavn"].dropna()}
    return ids, names


IDS, NAMES = real_values()
_ID_PATTERN = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, sorted(IDS))) + r")(?!\w)")


def leaks(texts: list[str]) -> set[str]:
    """The real values found in ``texts``."""
    found: set[str] = set()
    for text in texts:
        found |= set(_ID_PATTERN.findall(text))
        lowered = text.lower()
        found |= {name for name in NAMES if name.lower() in lowered}
    return found


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
        stripped = node.strip()
        if stripped[:1] in "{[":
            try:
                yield from _strings(json.loads(stripped))
            except ValueError:
                pass
    elif isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from _strings(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from _strings(value)
    elif node is not None:
        yield str(node)


def _frame_strings(frame: pd.DataFrame) -> Iterator[str]:
    yield from (str(c) for c in frame.columns)
    yield from (str(i) for i in frame.index)
    for column in range(frame.shape[1]):
        yield from (str(v) for v in frame.iloc[:, column].tolist())


def rendered(at: AppTest) -> list[str]:
    """Every text the run sends to the browser: element protos, table cells, chart JSON, URL."""
    texts: list[str] = []

    def walk(node: Any) -> None:
        proto = getattr(node, "proto", None)
        if isinstance(node, Dataframe):
            texts.extend(_frame_strings(node.value))
            message = MessageToDict(proto)
            message.pop("data", None)
            texts.extend(_strings(message))
        elif proto is not None:
            texts.extend(_strings(MessageToDict(proto)))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    texts.extend(_strings(dict(at.query_params)))
    return texts


class Downloads:
    """Records the bytes of every download button the runs create (callables called)."""

    def __init__(self) -> None:
        self.files: list[tuple[str, bytes]] = []

    def texts(self) -> list[str]:
        out: list[str] = []
        for name, payload in self.files:
            out.append(name)
            if name.endswith(".xlsx"):
                book = openpyxl.load_workbook(io.BytesIO(payload), read_only=True)
                for sheet in book.worksheets:
                    out.append(sheet.title)
                    for row in sheet.iter_rows(values_only=True):
                        out.extend(str(v) for v in row if v is not None)
            elif name.endswith(".duckdb"):
                continue  # the workspace file: its button is disabled in anonymised mode (see test)
            else:
                out.append(payload.decode("utf-8-sig", errors="replace"))
        return out


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> Downloads:
    record = Downloads()
    original = DeltaGenerator.download_button

    def spy(self, label, data, file_name=None, *args, **kwargs):
        disabled = kwargs.get("disabled", False)
        if not disabled:
            payload = data() if callable(data) else data
            if isinstance(payload, str):
                payload = payload.encode("utf-8")
            record.files.append((str(file_name), bytes(payload)))
        return original(self, label, data, file_name, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", spy)
    # st.download_button is the main container's method, bound when streamlit was imported
    monkeypatch.setattr(streamlit, "download_button", lambda *args, **kwargs: spy(streamlit._main, *args, **kwargs))
    return record


def open_page(page: str, lang: str = "en", anonymised: bool = True) -> AppTest:
    """``page`` through the router, with the switch set before the first run."""
    at = RouterAppTest(Path(APP), default_timeout=120)
    at.session_state["lang"] = lang
    at.session_state["app.start_page"] = page
    at.session_state[KEY] = anonymised
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def views(at: AppTest) -> set[tuple[str, str]]:
    """(key, option) of every view choice the page shows now (segmented controls)."""
    return {(control.key, option) for control in at.get("segmented_control") for option in control.options}


def every_view(at: AppTest) -> Iterator[tuple[str, str]]:
    """Switch to every view choice the page offers — also those that appear in another view —
    yielding each after its run."""
    tried: set[tuple[str, str]] = set()
    waiting = sorted(views(at))
    while waiting:
        key, option = waiting.pop(0)
        if (key, option) in tried:
            continue
        tried.add((key, option))
        present = [c for c in at.get("segmented_control") if c.key == key]
        if not present:
            continue
        present[0].set_value(option).run()
        assert not at.exception, (key, option, [e.value for e in at.exception])
        yield key, option
        waiting.extend(sorted(views(at) - tried))


@pytest.mark.parametrize("page", PAGES)
def test_no_real_name_on_any_page_view_or_download(demo_root, downloads, page):
    at = open_page(page, lang="en")
    assert at.toggle(key=KEY).value is True
    seen = rendered(at)
    for _view in every_view(at):
        seen.extend(rendered(at))
    # the pages really show data: the test would pass on an empty page otherwise
    assert any(re.search(r"Customer \d{3}|Salesperson [A-Z]", s) for s in seen) or page in ("home", "data"), page
    assert leaks(seen) == set(), page
    if page in ("portfolio", "selection", "segments", "relationships"):
        assert downloads.files, page  # the downloads were really made and read
    assert leaks(downloads.texts()) == set(), page


def test_the_check_finds_real_names_with_the_switch_off(demo_root, downloads):
    """The same collection with the switch off finds the names (the search is not blind)."""
    at = open_page("portfolio", lang="nb", anonymised=False)
    at.segmented_control(key="portfolio.view").set_value("accounts").run()
    found = leaks(rendered(at))
    assert len(found & IDS) > 50
    assert len(found - IDS) > 50
    assert leaks(downloads.texts())


# ------------------------------------------------------------------ plans, contacts, free text
ACCOUNT = "015233"  # Tangen & Sørensen Byggservice AS: has a buying centre in the demo
CONTACT = "Cecilie Johansen"
SELLER = "Erik Lunde"


def add_plan(root: Path) -> None:
    """A plan whose owners are real people and whose texts name the customer and a contact."""
    import datetime as dt

    from kamcore import plans
    from kamcore.db import Workspace

    with Workspace.open(root / "demo.duckdb") as ws:
        objective = plans.Objective(account=ACCOUNT, title=f"Vokse med {CONTACT}", metric="revenue", target=1e6,
                                    start=dt.date(2026, 1, 1), due=dt.date(2026, 12, 31), owner=SELLER)
        plans.save_item(ws, objective, "local")
        plans.save_item(ws, plans.Action(account=ACCOUNT, what=f"Ring {CONTACT} om Tangen & Sørensen Byggservice AS",
                                         owner="Nora Nyansatt", due=dt.date(2026, 1, 15),
                                         objective_id=objective.id), "local")
        plans.save_item(ws, plans.StrategyNotes(account=ACCOUNT, relationship=f"{CONTACT} er tilhenger; {SELLER} eier"),
                        "local")


@pytest.mark.parametrize("page", ["account", "plans"])
def test_plan_texts_owners_and_history_are_pseudonymised(demo_root, downloads, page):
    add_plan(demo_root)
    at = RouterAppTest(Path(APP), default_timeout=120)
    at.session_state["lang"] = "nb"
    at.session_state["app.start_page"] = page
    at.session_state["account._selected"] = ACCOUNT
    at.session_state[KEY] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    seen = rendered(at)
    for _view in every_view(at):
        seen.extend(rendered(at))
    # the plan is there, in pseudonyms: "Ring Kontakt 0xx om Kunde 0yy"
    assert any(re.search(r"Ring Kontakt \d{3} om Kunde \d{3}", s) for s in seen), page
    assert leaks(seen) == set()
    assert not {"Nora Nyansatt"} & set(" ".join(seen).split("|"))
    assert "Nora Nyansatt" not in " ".join(seen)
    assert leaks(downloads.texts()) == set()
    assert "Nora Nyansatt" not in " ".join(downloads.texts())
    if page == "account":
        assert at.query_params["account"].startswith("Kunde ")  # the link carries the pseudonym
        assert any(name.startswith("plan_Kunde_") for name, _ in downloads.files)


def test_plan_cannot_be_changed_while_anonymised(demo_root):
    add_plan(demo_root)
    from kamcore.db import Workspace

    at = RouterAppTest(Path(APP), default_timeout=120)
    at.session_state["app.start_page"] = "account"
    at.session_state["account._selected"] = ACCOUNT
    at.session_state[KEY] = True
    at.run()
    # The saved notes are shown (pseudonymised) but no form offers to change them: a form
    # would show pseudonyms, and saving it would write them over the real text.
    notes_table = " ".join(str(v) for df in at.dataframe for v in df.value.to_numpy().ravel())
    assert CONTACT not in notes_table and "Contact " in notes_table
    assert not [a for a in at.text_area if a.key == f"account.note_relationship_{ACCOUNT}"]
    assert not [b for b in at.button if b.key in ("account.save_notes", "account.save_objective",
                                                  "account.save_action", "account.import_button")]
    assert any("anonymised mode" in w.value for w in at.warning)
    with Workspace.open(demo_root / "demo.duckdb") as ws:
        saved = ws.plan_items("notes", ACCOUNT)[-1]["payload"]["relationship"]
    assert saved == f"{CONTACT} er tilhenger; {SELLER} eier"


def test_manual_scores_entered_in_anonymised_mode_are_saved_under_the_real_account(demo_root):
    from kamcore.anonymise import for_workspace
    from kamcore.db import Workspace

    at = open_page("selection")
    at.segmented_control(key="selection.view").set_value("scores").run()
    editor = at.data_editor[0] if hasattr(at, "data_editor") else None
    assert editor is not None
    shown = editor.value
    assert str(shown.index[0]).startswith("Customer ")
    first_real = None
    with Workspace.open(demo_root / "demo.duckdb") as ws:
        first_real = for_workspace(ws).real_account(shown.index[0])
        before = ws.load_object("manual_scores", "customers")
    assert first_real is not None
    column = [c for c in shown.columns if c not in ("customer_name", "revenue", "note", "by", "at")][0]
    old = shown.iloc[0][column]
    new = 1 if old != 1 else 2
    at.session_state["selection.editor"] = {"edited_rows": {0: {column: new}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    with Workspace.open(demo_root / "demo.duckdb") as ws:
        after = ws.load_object("manual_scores", "customers")
    assert after != before
    text = json.dumps(after, ensure_ascii=False)
    assert "Customer " not in text  # no pseudonym was saved
    assert first_real in text


# ------------------------------------------------------------------ totals and stability
def numbers(at: AppTest) -> list[Any]:
    """Every metric value and every number cell of every table, in page order."""
    out: list[Any] = [m.value for m in at.metric]
    for table in at.dataframe:
        frame = table.value
        for column in frame.columns:
            if pd.api.types.is_numeric_dtype(frame[column]):
                out.append((str(len(frame)), round(float(frame[column].sum()), 6)))
    return out


@pytest.mark.parametrize(("page", "view"), [("portfolio", "pareto"), ("portfolio", "accounts"),
                                            ("selection", "matrix"), ("selection", "ranking"),
                                            ("segments", None), ("survey", None), ("plans", None)])
def test_every_total_is_the_same_with_the_switch_on_and_off(demo_root, page, view):
    results = []
    for anonymised in (False, True):
        at = open_page(page, anonymised=anonymised)
        if view is not None:
            at.segmented_control(key=f"{page}.view").set_value(view).run()
        results.append((numbers(at), [s.value for s in at.caption if any(ch.isdigit() for ch in s.value)]))
    off, on = results
    assert off[0] == on[0]
    assert len(off[0]) >= 1
    # sentences with numbers (e.g. "17 accounts carry 80 % of revenue") read the same
    assert off[1] == on[1]


def test_pseudonyms_are_the_same_on_every_page_and_run(demo_root):
    from kamcore.anonymise import for_workspace
    from kamcore.db import Workspace

    at = open_page("portfolio")
    at.segmented_control(key="portfolio.view").set_value("accounts").run()
    with Workspace.open(demo_root / "demo.duckdb") as ws:
        pseudo = for_workspace(ws)  # the stored assignment the app made on first use
    sales = load_file(DEMO_DATA / "transactions.csv").tables[0].data
    top = sales.assign(r=sales["Omsetning"]).groupby("Kundenr")["r"].sum().idxmax()
    expected = pseudo.account(top)
    assert re.fullmatch(r"Customer \d{3}", expected)
    portfolio_text = rendered(at)
    assert any(expected in s for s in portfolio_text)
    # the account page of that account, opened from a link with the pseudonym
    account = RouterAppTest(Path(APP), default_timeout=120)
    account.session_state["app.start_page"] = "account"
    account.session_state[KEY] = True
    account.query_params["account"] = expected
    account.run()
    assert account.selectbox(key="account.pick").value == top
    assert account.query_params["account"] == expected
    assert any(expected in s for s in rendered(account))
    # a second run, and a new session, give the same pseudonym
    account.run()
    assert account.query_params["account"] == expected
    again = open_page("selection")
    again.segmented_control(key="selection.view").set_value("ranking").run()
    assert any(expected in s for s in rendered(again))
    with Workspace.open(demo_root / "demo.duckdb") as ws:
        assert for_workspace(ws).payload() == pseudo.payload()


def test_filter_by_a_pseudonymous_salesperson_gives_the_real_salespersons_accounts(demo_root):
    on = open_page("portfolio")
    owner = on.multiselect(key="filters.owner")
    labels = owner.options
    assert all(re.fullmatch(r"Salesperson [A-Z]+", label) for label in labels)
    assert labels == sorted(labels)
    real = sorted(NAMES & set(load_file(DEMO_DATA / "transactions.csv").tables[0].data["Selger"]))
    off = open_page("portfolio", anonymised=False)
    for at in (on, off):
        at.multiselect(key="filters.owner").select(real[0]).run()
    assert numbers(on) == numbers(off)
