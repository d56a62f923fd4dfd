"""AppTest for the segments page: sources, k, naming, saving back to the workspace."""

from __future__ import annotations

from kamcore import db
from kamcore.demo import DEMO_NAME


def no_problems(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def profile_table(at):
    return next(d.value for d in at.dataframe if "Segment mean" in d.value.columns)


def segment_table(at):
    editor = at.data_editor[0]
    assert editor.key == "segments.names"
    return editor.value


def open_dealer_survey(make_app, k: int | None = 3):
    at = make_app("segments")
    at.segmented_control(key="segments.source").set_value("survey").run()
    at.selectbox(key="segments.survey_table").set_value("survey_dealer").run()
    if k is not None:
        at.segmented_control(key="segments.k_mode").set_value("fixed").run()
        at.slider(key="segments.k").set_value(k).run()
    return at


def saved(demo_root, name: str) -> dict | None:
    ws = db.Workspace.open(db.workspace_path(demo_root, DEMO_NAME))
    try:
        return ws.load_object("segment_assignment", name)
    finally:
        ws.close()


def test_loads_on_the_demo_with_account_segments(make_app):
    at = make_app("segments")
    no_problems(at)
    assert at.title[0].value == "Segments"
    assert at.segmented_control(key="segments.source").value == "accounts"
    assert list(at.multiselect(key="segments.features").value) == ["r_score", "f_score", "m_score"]
    k = int(metric(at, "Segments"))
    assert 2 <= k <= 8
    assert len(segment_table(at)) == k
    assert int(metric(at, "Rows segmented")) == segment_table(at)["n"].sum()
    # k chart, PCA scatter, centroid profile
    assert len(at.get("plotly_chart")) == 3
    assert any("chosen by" in c.value for c in at.caption)


def test_dealer_survey_with_k3_shows_three_segments(make_app):
    at = open_dealer_survey(make_app, k=3)
    no_problems(at)
    assert list(at.multiselect(key="segments.features").value) == ["Q6", "Q7", "Q8", "Q9", "Q10"]
    assert metric(at, "Segments") == "3"
    table = segment_table(at)
    assert len(table) == 3
    # Case B's groups (41 / 45 / 58): segment ids follow Q6, so the order is known.
    assert abs(table["n"].tolist()[0] - 41) <= 5
    assert abs(table["n"].tolist()[1] - 45) <= 5
    assert abs(table["n"].tolist()[2] - 58) <= 5
    assert metric(at, "Left out (missing values)") == "1"
    assert table["name"].tolist()[2].startswith("high")
    profile = profile_table(at)
    assert len(profile) == 3 * 5
    assert any("as you chose" in c.value for c in at.caption)


def test_auto_k_on_the_dealer_survey_proposes_three(make_app):
    at = open_dealer_survey(make_app, k=None)
    no_problems(at)
    assert metric(at, "Segments") == "3"


def test_changing_k_changes_the_number_of_segments(make_app):
    at = open_dealer_survey(make_app, k=3)
    assert len(segment_table(at)) == 3
    at.slider(key="segments.k").set_value(5).run()
    no_problems(at)
    assert metric(at, "Segments") == "5"
    assert len(segment_table(at)) == 5
    assert len(profile_table(at)) == 5 * 5


def test_saving_writes_the_assignment_to_the_workspace(make_app, demo_root):
    at = open_dealer_survey(make_app, k=3)
    # AppTest re-sends the editor's tree state on every run, so the edit and the click go
    # into the same run (in a browser the edit stays in the editor).
    at.session_state["segments.names"] = {
        "edited_rows": {0: {"name": "Economists"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.button(key="segments.save").click().run()
    no_problems(at)
    assert at.success, "no confirmation shown"
    payload = saved(demo_root, "survey_dealer")
    assert payload is not None
    assert payload["key"] == "Respondent"
    assert payload["k"] == 3
    assert payload["features"] == ["Q6", "Q7", "Q8", "Q9", "Q10"]
    assert len(payload["names"]) == 3
    assert payload["names"]["1"] == "Economists"
    # 146 respondents, one without all of Q6–Q10
    assert len(payload["labels"]) == 145
    assert set(payload["labels"].values()) == set(payload["names"].values())
    assert "1" in payload["labels"] and "1.0" not in payload["labels"]

    # A new session starts from the saved names.
    again = open_dealer_survey(make_app, k=3)
    no_problems(again)
    assert segment_table(again)["name"].tolist()[0] == "Economists"


def test_saved_account_segments_become_a_sidebar_filter(make_app, demo_root):
    at = make_app("segments")
    at.segmented_control(key="segments.k_mode").set_value("fixed").run()
    at.slider(key="segments.k").set_value(3).run()
    at.button(key="segments.save").click().run()
    no_problems(at)
    payload = saved(demo_root, "transactions")
    assert payload is not None and payload["key"] == "customer_id"
    assert len(payload["labels"]) == int(metric(at, "Rows segmented"))
    at.run()
    cluster = at.multiselect(key="filters.cluster")
    assert sorted(cluster.options) == sorted(payload["names"].values())
    # Filtering on one saved segment leaves exactly its accounts to segment again.
    first = payload["names"]["1"]
    cluster.select(first).run()
    no_problems(at)
    members = sum(1 for name in payload["labels"].values() if name == first)
    assert int(metric(at, "Rows segmented")) == members


def test_too_few_distinct_answers_is_an_error_not_a_crash(make_app):
    at = make_app("segments")
    at.segmented_control(key="segments.source").set_value("survey").run()
    at.selectbox(key="segments.survey_table").set_value("survey_keyareas").run()
    at.multiselect(key="segments.features").set_value(["E_acc1"]).run()
    at.segmented_control(key="segments.k_mode").set_value("fixed").run()
    at.slider(key="segments.k").set_value(8).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("too few for 8 segments" in e.value for e in at.error)


def test_histograms_and_rfm_views_behind_toggles(make_app):
    at = make_app("segments")
    charts_before = len(at.get("plotly_chart"))
    at.toggle(key="segments.rfm").set_value(True).run()
    no_problems(at)
    assert len(at.get("plotly_chart")) == charts_before + 1
    at.toggle(key="segments.histograms").set_value(True).run()
    no_problems(at)
    # one histogram per feature (r, f, m scores)
    assert len(at.get("plotly_chart")) == charts_before + 1 + 3


def test_log_scaling_of_raw_money_features_changes_the_segments(make_app):
    at = make_app("segments")
    at.multiselect(key="segments.features").set_value(["monetary", "frequency"])
    at.segmented_control(key="segments.k_mode").set_value("fixed")
    at.run()
    at.slider(key="segments.k").set_value(3)
    at.run()
    no_problems(at)
    standard = sorted(segment_table(at)["n"].tolist())
    at.selectbox(key="segments.scale").set_value("log")
    at.run()
    no_problems(at)
    logged = sorted(segment_table(at)["n"].tolist())
    assert sum(logged) == sum(standard)
    assert logged != standard
    # z-scores leave the largest accounts as a small segment of their own; logs spread them out.
    assert min(logged) > min(standard)


def chart_series(at, title_part: str) -> dict[str, tuple[list[int], list[float]]]:
    """The lines of the chart whose title contains ``title_part``: {trace name: (x, y)}."""
    import base64
    import json

    import numpy as np

    def values(data):
        if isinstance(data, dict):  # plotly's binary encoding
            return np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"]).tolist()
        return list(data)

    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        if title_part in spec["layout"]["title"]["text"]:
            return {
                trace["name"]: (values(trace["x"]), values(trace["y"]))
                for trace in spec["data"]
                if trace.get("mode") == "lines+markers"
            }
    raise AssertionError(f"no chart titled {title_part!r}")


def test_every_index_sentence_names_the_k_its_chart_panel_shows(make_app):
    """The demo's accounts: the gap statistic picks k; each other index's k is read off the chart."""
    import re

    at = make_app("segments")
    no_problems(at)
    reason = next(c.value for c in at.caption if "chosen by" in c.value)
    lines = chart_series(at, "How well each number of segments fits")
    stated = dict(re.findall(r"(Silhouette|Calinski–Harabasz|Davies–Bouldin) is (?:highest|lowest) at k = (\d+)", reason))
    for name, pick in (("Silhouette", max), ("Calinski–Harabasz", max), ("Davies–Bouldin", min)):
        if name not in lines:
            continue
        ks, ys = lines[name]
        best = ks[ys.index(pick(ys))]
        if f"{name} is" in reason:
            assert int(stated[name]) == best, (name, reason, ks, ys)
    # no sentence that can be read as agreeing with another index's number
    assert "agrees" not in reason
    chosen = int(metric(at, "Segments"))
    assert f"k = {chosen} chosen by" in reason


def test_k_chart_panel_titles_are_wrapped_not_cut(make_app):
    import json

    at = make_app("segments")
    spec = next(json.loads(c.proto.spec) for c in at.get("plotly_chart")
                if "How well each number" in json.loads(c.proto.spec)["layout"]["title"]["text"])
    titles = [a["text"] for a in spec["layout"]["annotations"]]
    assert "Gap statistic<br>(look for the elbow)" in titles
    assert all(len(line) <= 20 for title in titles for line in title.split("<br>"))


def test_method_caption_in_norwegian_has_no_english(make_app):
    # The demo's account scores (r/f/m 1–5) repeat a lot: k-means runs on the distinct rows weighted by
    # count, and the page writes that sentence from the catalogue, not kamcore's technical name.
    at = make_app("segments", lang="nb")
    no_problems(at)
    method = [c.value for c in at.caption if c.value.startswith("Metode:")]
    assert len(method) == 1, [c.value for c in at.caption]
    note = method[0]
    assert "KMeans(n_init=10) på " in note and "ulike rader, vektet etter hvor ofte hver forekommer" in note
    words = set(note.replace(";", " ").replace(",", " ").replace(".", " ").split())
    assert not words & {"on", "distinct", "rows", "weighted", "by", "count", "computed", "all", "sample"}, note


def test_fingerprint_is_hashed_once_per_content_key_and_features(monkeypatch):
    """The account features carry their data key (issue 19): the page's cache key for them is
    hashed once per key and features, and is the frame's own fingerprint."""
    import uuid

    import pandas as pd

    from kamcore import segment_inputs as inputs
    from ui import segment_views as views

    table = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.5, 0.25, 0.0]},
                         index=pd.Index(["001", "002", "010"], dtype="str", name="customer_id"))
    real = inputs.frame_fingerprint
    assert views.fingerprint(table, ["a"]) == real(table[["a"]])  # no key: hashed as it is
    calls = []
    monkeypatch.setattr(inputs, "frame_fingerprint", lambda frame: calls.append(list(frame.columns)) or real(frame))
    keyed_table = table.copy()
    keyed_table.attrs[views.CONTENT_KEY] = ("workspace", str(uuid.uuid4()), "account_features")
    assert views.fingerprint(keyed_table, ["a"]) == real(table[["a"]])
    assert views.fingerprint(keyed_table, ["a"]) == real(table[["a"]])
    assert views.fingerprint(keyed_table, ["a", "b"]) == real(table[["a", "b"]])
    assert calls == [["a"], ["a", "b"]]  # once per features
    assert real(table[["a"]]) != real(table[["b"]])
