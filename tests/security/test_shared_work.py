"""Load (issue 12): figures are built once per process for identical inputs, and a session can
only receive a figure built from exactly its own inputs."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pytest

from ui import charts


@pytest.fixture(autouse=True)
def _empty_memo():
    charts._FIGURE_MEMO.clear()
    yield
    charts._FIGURE_MEMO.clear()


def _builder_calls(monkeypatch, lang="en"):
    calls = []
    monkeypatch.setattr("ui.i18n.lang", lambda: lang)

    @charts.memo_figure
    def build(table: pd.DataFrame, measure: str, thresholds: tuple[float, float]) -> go.Figure:
        calls.append((table["value"].tolist(), measure, thresholds))
        return go.Figure(go.Bar(x=table["name"], y=table["value"]))

    return build, calls


def test_identical_inputs_build_once_and_each_caller_gets_its_own_figure(monkeypatch):
    build, calls = _builder_calls(monkeypatch)
    table = pd.DataFrame({"name": ["A", "B"], "value": [3.0, 1.0]})
    first = build(table, "revenue", (0.8, 0.95))
    second = build(table.copy(), "revenue", (0.8, 0.95))
    assert len(calls) == 1
    assert second is not first and second.to_json() == first.to_json()
    second.update_layout(title_text="changed by one session")
    assert build(table, "revenue", (0.8, 0.95)).layout.title.text is None
    assert len(calls) == 1


@pytest.mark.parametrize(
    "change",
    ["value", "name", "order", "measure", "threshold", "column"],
)
def test_any_difference_in_content_builds_anew(monkeypatch, change):
    build, calls = _builder_calls(monkeypatch)
    table = pd.DataFrame({"name": ["A", "B"], "value": [3.0, 1.0]})
    build(table, "revenue", (0.8, 0.95))
    other, measure, thresholds = table.copy(), "revenue", (0.8, 0.95)
    if change == "value":
        other.loc[1, "value"] = 1.5
    elif change == "name":
        other.loc[0, "name"] = "Hemmelig AS"
    elif change == "order":
        other = other.iloc[::-1]
    elif change == "measure":
        measure = "profit"
    elif change == "threshold":
        thresholds = (0.7, 0.95)
    else:
        other = other.rename(columns={"value": "value"}).assign(extra=1)
    build(other, measure, thresholds)
    assert len(calls) == 2


def test_the_language_is_part_of_the_key(monkeypatch):
    table = pd.DataFrame({"name": ["A"], "value": [1.0]})
    build_en, calls = _builder_calls(monkeypatch, "en")
    build_en(table, "revenue", (0.8, 0.95))
    monkeypatch.setattr("ui.i18n.lang", lambda: "nb")
    build_en(table, "revenue", (0.8, 0.95))
    assert len(calls) == 2


def test_the_memo_is_bounded(monkeypatch):
    build, calls = _builder_calls(monkeypatch)
    for i in range(charts.FIGURE_MEMO_SIZE + 10):
        build(pd.DataFrame({"name": ["A"], "value": [float(i)]}), "revenue", (0.8, 0.95))
    assert len(charts._FIGURE_MEMO) == charts.FIGURE_MEMO_SIZE


def test_shared_results_are_computed_once_and_copied(demo_root):
    """ui.shared.shared: one computation per identical input, each caller gets its own copy."""
    from streamlit.testing.v1 import AppTest

    script = (
        "import pandas as pd, streamlit as st\n"
        "from ui.shared import shared\n"
        "calls = st.session_state.setdefault('calls', [])\n"
        "def total(frame, column):\n"
        "    calls.append(len(frame))\n"
        "    return frame.groupby('k', as_index=False)[column].sum()\n"
        "a = shared(total, pd.DataFrame({'k': ['x', 'y', 'x'], 'v': [1, 2, 3]}), 'v')\n"
        "b = shared(total, pd.DataFrame({'k': ['x', 'y', 'x'], 'v': [1, 2, 3]}), 'v')\n"
        "c = shared(total, pd.DataFrame({'k': ['x', 'y', 'x'], 'v': [1, 2, 4]}), 'v')\n"
        "b.loc[0, 'v'] = 99\n"
        "d = shared(total, pd.DataFrame({'k': ['x', 'y', 'x'], 'v': [1, 2, 3]}), 'v')\n"
        "st.session_state['out'] = (a['v'].tolist(), c['v'].tolist(), d['v'].tolist())\n"
    )
    at = AppTest.from_string(script, default_timeout=60)
    at.run()
    assert not at.exception
    assert at.session_state["calls"] == [3, 3]  # the first and the changed input only
    assert at.session_state["out"] == ([4, 2], [5, 2], [4, 2])  # b's change did not reach d


def test_keyed_results_are_computed_once_per_key_and_changes_stay_with_the_session(demo_root):
    """ui.shared.keyed: one computation per key; a session changing its result in place
    changes nothing for the next session; another key computes anew."""
    from streamlit.testing.v1 import AppTest

    script = (
        "import pandas as pd, streamlit as st\n"
        "from ui.shared import keyed\n"
        "calls = st.session_state.setdefault('calls', [])\n"
        "def total(frame, column):\n"
        "    calls.append(column)\n"
        "    return frame.groupby('k', as_index=False)[column].sum(), {'n': len(frame)}\n"
        "frame = pd.DataFrame({'k': ['x', 'y', 'x'], 'v': [1, 2, 3], 'w': [5, 6, 7]})\n"
        "key = ('/ws/a.duckdb', 'sales', 'hash-1')\n"
        "a, info = keyed(key, total, frame, 'v')\n"
        "a.loc[0, 'v'] = 99\n"
        "info['n'] = 0\n"
        "b, info_b = keyed(key, total, frame, 'v')\n"
        "c, _ = keyed((*key, 'w'), total, frame, 'w')\n"
        "st.session_state['out'] = (b['v'].tolist(), info_b['n'], c['w'].tolist())\n"
    )
    at = AppTest.from_string(script, default_timeout=60)
    at.run()
    assert not at.exception
    assert at.session_state["calls"] == ["v", "w"]
    assert at.session_state["out"] == ([4, 2], 3, [12, 6])


def test_portfolio_sessions_with_the_same_data_and_choices_compute_the_classes_once(demo_root, monkeypatch):
    """Load (issue 12): twenty people on the Portfolio page with the same workspace, filters
    and choices get one ABC computation; a session with other statuses gets its own."""
    import kamcore.portfolio
    from tests.app.conftest import new_app

    real = kamcore.portfolio.abc_classes
    calls: list[int] = []
    monkeypatch.setattr(kamcore.portfolio, "abc_classes", lambda frame, *a, **k: calls.append(len(frame)) or real(frame, *a, **k))
    first = new_app("portfolio")
    assert not first.exception
    second = new_app("portfolio")
    assert not second.exception
    assert len(calls) == 1
    a_accounts = [m.value for m in second.metric if m.label == "A accounts"]
    assert a_accounts == [m.value for m in first.metric if m.label == "A accounts"] == ["72"]
    # Churned accounts too: other rows, so the classes are computed for this session.
    second.multiselect(key="portfolio.status").set_value(["active", "churned", "unknown"]).run()
    assert not second.exception
    assert len(calls) == 2 and calls[1] > calls[0]
    assert [m.value for m in second.metric if m.label == "A accounts"] != ["72"]


def test_the_table_list_is_read_once_per_run_and_again_after_a_write(demo_root, monkeypatch):
    """Load (issue 12): a Portfolio run asked DuckDB for the table list a dozen times; now
    once per run — and a run that writes to the workspace sees its own change at once."""
    from streamlit.testing.v1 import AppTest

    import kamcore.db
    from tests.app.conftest import new_app

    real = kamcore.db.Workspace.tables
    calls: list[int] = []
    monkeypatch.setattr(kamcore.db.Workspace, "tables", lambda self, kind=None: calls.append(1) or real(self, kind))
    at = new_app("portfolio")
    assert not at.exception
    assert [m.value for m in at.metric if m.label == "A accounts"] == ["72"]
    assert len(calls) == 1
    script = (
        "import pandas as pd, streamlit as st\n"
        "from ui import data, state\n"
        "state.init()\n"
        "before = data.table_names()\n"
        "state.workspace().import_table('ny', pd.DataFrame({'a': [1, 2]}), kind='other')\n"
        "st.session_state['out'] = (before, data.table_names(), data.table_names('other'))\n"
    )
    at = AppTest.from_string(script, default_timeout=60)
    at.run()
    assert not at.exception
    before, after, other = at.session_state["out"]
    assert "ny" not in before and after == [*before, "ny"] and other == ["ny"]
