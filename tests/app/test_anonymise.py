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
    assert leaks(downloads.texts()) == set(), page


def test_the_check_finds_real_names_with_the_switch_off(demo_root, downloads):
    """The same collection with the switch off finds the names (the search is not blind)."""
    at = open_page("portfolio", lang="nb", anonymised=False)
    at.segmented_control(key="portfolio.view").set_value("accounts").run()
    found = leaks(rendered(at))
    assert len(found & IDS) > 50
    assert len(found - IDS) > 50
    assert leaks(downloads.texts())
