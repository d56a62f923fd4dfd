"""Two browser sessions share nothing but the workspaces they open on purpose."""

from __future__ import annotations

import copy
import inspect
import re
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.app.conftest import new_app

ROOT = Path(__file__).resolve().parents[2]
SECRET = "Hemmelig Kunde AS"
CSV = (
    "Kundenr;Kundenavn;Fakturadato;Omsetning\n"
    f"S-001;{SECRET};03.01.2025;1 000,50\n"
    f"S-001;{SECRET};04.02.2025;250,00\n"
    "S-002;Åpen Kunde AS;05.03.2025;-75,25\n"
).encode()


def _texts(at) -> list[str]:
    """Every piece of text the session rendered: element values, labels, options, table cells."""
    found: list[str] = []

    def walk(node) -> None:
        for attribute in ("value", "label", "help", "options", "placeholder"):
            try:
                value = getattr(node, attribute, None)
            except Exception:  # noqa: BLE001 - some element types raise for missing fields
                continue
            if isinstance(value, pd.DataFrame):
                found.extend(str(v) for v in value.astype(str).to_numpy().ravel())
                found.extend(str(c) for c in value.columns)
            elif isinstance(value, list | tuple):
                found.extend(str(v) for v in value)
            elif value is not None:
                found.append(str(value))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def _import_button(at) -> str:
    keys = [b.key for b in at.button if b.key and b.key.endswith(".import")]
    assert len(keys) == 1, keys
    return keys[0]


#: Process-wide registries that exist on purpose and hold no data from a file or a page:
#: which workspace files are open (paths, locks) so renames can coordinate, and which
#: session ids have signed in (for the upload guard), and figures keyed by the content of
#: their inputs (ui.charts.memo_figure: a session only gets the figure it would build itself),
#: and customer codes keyed by the identity of an immutable Arrow column
#: (kamcore.portfolio._factorized: only a caller that already holds that very column gets them back).
SHARED_BY_DESIGN = {"kamcore.db._FILES", "ui.server_guard._signed_in", "ui.server_guard._installed_on",
                    "ui.charts._FIGURE_MEMO", "kamcore.portfolio._FACTORIZED"}


def _mutable_globals() -> dict[str, object]:
    """Deep copies of every module-level dict/list/set in ui.* and kamcore.*."""
    snapshot = {}
    for name, module in list(sys.modules.items()):
        if not (name.startswith(("ui.", "kamcore.")) or name in ("ui", "kamcore")):
            continue
        for attribute, value in vars(module).items():
            if attribute.startswith("__") or inspect.ismodule(value) or f"{name}.{attribute}" in SHARED_BY_DESIGN:
                continue
            if isinstance(value, dict | list | set):
                snapshot[f"{name}.{attribute}"] = copy.deepcopy(value)
    return snapshot


def test_upload_and_import_stay_in_their_session(demo_root, server_routing):
    a = new_app("data")
    b = new_app("data")
    before = _mutable_globals()

    a.file_uploader(key="data.upload").upload("hemmelig.csv", CSV, "text/csv").run()
    assert not a.exception
    assert len(a.session_state["data.pending"]) == 1
    assert any(SECRET in text for text in _texts(a))  # A sees its own preview

    b.run()
    assert not b.exception
    assert b.session_state["data.pending"] == {}
    assert not any(SECRET in text for text in _texts(b))

    # A creates a workspace of its own and imports the upload there.
    a.text_input(key="data.new_workspace").input("alfa")
    a.button(key="data.create").click()
    a.run()
    assert a.session_state["workspace_name"] == "alfa"
    a.button(key=_import_button(a)).click()
    a.run()
    assert not a.exception
    assert a.session_state["_workspace"].tables()[0].name == "hemmelig"
    assert a.session_state["_workspace"].tables()[0].n_rows == 3

    b.run()
    assert not b.exception
    assert b.session_state["workspace_name"] == "demo"
    assert "hemmelig" not in [info.name for info in b.session_state["_workspace"].tables()]
    assert not any(SECRET in text or "hemmelig" == text for text in _texts(b))
    for page in ("home", "portfolio"):
        b.switch_page(f"pages/{page}.py").run()
        assert not b.exception
        assert not any(SECRET in text for text in _texts(b))

    # Nothing from either session was written into module-level state.
    after = _mutable_globals()
    assert before.keys() <= after.keys()  # pages imported later may add modules
    changed = [name for name in before if before[name] != after[name]]
    assert changed == []
    assert SECRET not in repr(after)


def test_cache_keys_name_the_workspace_and_the_content():
    """ui.data caches only through functions whose key holds workspace path and content hash
    (directly, or as ``key``: the tuple ``_canonical`` builds from both)."""
    source = (ROOT / "ui" / "data.py").read_text(encoding="utf-8")
    cached = re.findall(r"@st\.cache_(?:data|resource)\([^)]*\)\ndef (\w+)\(([^)]*)\)", source)
    assert cached, "no cached loaders found: the pattern is out of date"
    assert "key = (\n        state.workspace_key(),\n        name,\n        info.content_hash," in source
    for name, params in cached:
        names = [p.split(":")[0].strip() for p in params.replace("\n", " ").split(",") if p.strip()]
        assert ("workspace_key" in names and "content_hash" in names) or "key" in names, name
        # The workspace object and frames are excluded from hashing (leading underscore), so the
        # path string and content hash are what separate two workspaces.
        assert all(n.startswith("_") or n in {"workspace_key", "content_hash", "name", "mapping_json",
                                                "assignment_json", "key", "filters_json", "apply_period",
                                                "status_key", "chosen"}
                   for n in names), (name, names)


@pytest.mark.parametrize("folder", ["ui", "kamcore", "pages"])
def test_no_cache_resource_anywhere(folder):
    """Secondary check: cache_resource shares one object between all sessions. Allowed only in
    ui/data.py, for frames keyed by workspace path and content hash (see the test above), and
    in ui/shared.py's ``keyed`` (see the test below); both hand out shallow copies."""
    # ui/anonymity.py: one pseudonym assignment per workspace key (the same for every reader
    # of that workspace by design: "Kunde 017" on every page, in every session).
    allowed = {ROOT / "ui" / "data.py", ROOT / "ui" / "shared.py", ROOT / "ui" / "anonymity.py"}
    offenders = [
        str(path.relative_to(ROOT)) for path in (ROOT / folder).rglob("*.py")
        if "cache_resource" in path.read_text(encoding="utf-8") and path not in allowed
    ]
    assert offenders == []


def test_keyed_work_is_keyed_by_the_data_key():
    """Every ``keyed(...)`` call passes, first, the content key that ui.data handed out with
    the frame (``frame_key``, alone or spread into a longer tuple), never a key of its own."""
    calls = []
    for path in [*(ROOT / "pages").glob("*.py"), *(ROOT / "ui").rglob("*.py")]:
        source = path.read_text(encoding="utf-8")
        calls += [(path.name, m) for m in re.findall(r"(?<!def )(?<![\w.])keyed\(\s*(\(\*\w+|\w+)", source)
                  if path.name != "shared.py"]
    assert calls, "no keyed work found: the pattern is out of date"
    for name, first in calls:
        assert first in ("frame_key", "(*frame_key"), (name, first)


def test_same_workspace_different_sessions_do_not_share_choices(demo_root, server_routing):
    """Session state (active tables, filters, language) is per session even on one workspace."""
    # (A runs before B exists: AppTest evaluates format_func outside the script run, in
    # whichever session ran last, so interleaving two languages trips AppTest itself.)
    a = new_app("data", lang="nb")
    a.session_state["active.transactions"] = "A-only"
    a.session_state["data.pending"]["token"] = {"filename": "x.csv", "result": ValueError("x")}
    a.run()
    b = new_app("data", lang="sv")
    b.run()
    assert a.session_state["lang"] == "nb" and b.session_state["lang"] == "sv"
    assert list(a.session_state["data.pending"]) == ["token"]
    assert b.session_state["data.pending"] == {}
    assert "active.transactions" not in b.session_state or b.session_state["active.transactions"] != "A-only"
