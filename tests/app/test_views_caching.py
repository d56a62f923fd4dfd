"""Issue 19 (Views): work a page already did is not done again, and cached results are the ones
the page computes without a cache.

Counts calls with monkeypatched wrappers around the expensive functions; never timed.
"""

from __future__ import annotations

import threading

import pandas as pd

import kamcore.segments
import kamcore.selection
from tests.app.conftest import new_app


def counting(monkeypatch, module, name: str) -> list:
    """Replace ``module.name`` by a wrapper that records each call's positional arguments."""
    real = getattr(module, name)
    calls: list = []

    def wrapper(*args, **kwargs):
        calls.append((args, kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls


def shortlist_of(at) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "Stays on list when weights move ±20 %" in d.value.columns)


def test_selection_measures_scores_sensitivity_and_matrix_are_computed_once(demo_root, monkeypatch):
    measures = counting(monkeypatch, kamcore.selection, "account_measures")
    scores = counting(monkeypatch, kamcore.selection, "scoring")  # coverage, exclusions and scores in one pass
    sensitivity = counting(monkeypatch, kamcore.selection, "sensitivity")
    import ui.figures.selection as figures

    matrix = counting(monkeypatch, figures, "matrix_figure")

    first = new_app("selection")
    assert not first.exception
    assert (len(measures), len(scores), len(sensitivity), len(matrix)) == (1, 1, 1, 1)
    table = shortlist_of(first)

    first.run()  # a rerun that changes nothing
    second = new_app("selection")  # another session on the same workspace and filters
    assert not second.exception
    assert (len(measures), len(scores), len(sensitivity), len(matrix)) == (1, 1, 1, 1)
    # the cached results give the same page
    pd.testing.assert_frame_equal(shortlist_of(second), table)
    assert [m.value for m in second.metric] == [m.value for m in first.metric]

    # a change of the model scores again, the measures stay
    second.radio(key="selection.normalisation").set_value("minmax").run()
    assert not second.exception
    assert (len(measures), len(scores), len(sensitivity), len(matrix)) == (1, 2, 2, 2)


def test_selection_pages_from_the_cache_equal_pages_computed_without_it(demo_root, monkeypatch):
    """The page a session gets from the cache is the page computed with no cache at all."""
    import ui.selection_work

    new_app("selection")  # fills the cache
    cached = new_app("selection")
    monkeypatch.setattr(ui.selection_work, "keyed", lambda key, fn, *args, **kwargs: fn(*args, **kwargs))
    uncached = new_app("selection")
    assert not cached.exception and not uncached.exception
    pd.testing.assert_frame_equal(shortlist_of(cached), shortlist_of(uncached))
    for name in ("metric", "caption"):
        assert [e.value for e in getattr(cached, name)] == [e.value for e in getattr(uncached, name)]
    # the matrix (hover texts, ids, bubbles) as sent to the browser
    assert [c.proto.spec for c in cached.get("plotly_chart")] == [c.proto.spec for c in uncached.get("plotly_chart")]


def test_the_sensitivity_report_is_the_same_with_and_without_pruning(monkeypatch):
    """kamcore.selection.sensitivity scores run by run only the accounts that can reach the top
    N; forcing it to score every account gives the same report."""
    import numpy as np

    rng = np.random.default_rng(7)
    n = 400
    frame = pd.DataFrame({
        "customer_id": [f"{i:04d}" for i in range(n)],
        "customer_name": "x",
        "revenue": rng.integers(0, 50, n).astype(float) * 1000,
        "profit": rng.integers(0, 10, n).astype(float) * 100,
        "growth_pct": rng.integers(-5, 5, n).astype(float),
        "margin_pct": rng.integers(0, 5, n).astype(float),
        "purchase_frequency": rng.integers(0, 12, n),
        "portfolio_share": rng.integers(0, 50, n) / 1000,
        "years_as_customer": rng.integers(0, 10, n).astype(float),
    })  # fmt: skip
    model = kamcore.selection.default_model()
    pruned = kamcore.selection.sensitivity(frame, model, 10, n_runs=100, spread=0.3, random_state=3)
    kept = kamcore.selection._possible_top(
        kamcore.selection._scores_in_use(frame, model)[0].sort_index()[[c.name for c in model.criteria]].to_numpy(),
        np.random.default_rng(3).uniform(0.7, 1.3, (100, len(model.criteria))) * kamcore.selection._weights(model),
        10,
    )
    assert 10 <= len(kept) < n  # some accounts were left out (else this test shows nothing)
    monkeypatch.setattr(kamcore.selection, "_possible_top", lambda matrix, weights, size: np.arange(len(matrix)))
    everyone = kamcore.selection.sensitivity(frame, model, 10, n_runs=100, spread=0.3, random_state=3)
    pd.testing.assert_frame_equal(pruned, everyone)


def _finish_scans() -> None:
    for thread in threading.enumerate():
        if thread.name == "kam-segments-scan":
            thread.join(timeout=120)


def test_segments_scan_runs_once_in_the_background_and_the_page_shows_its_result(demo_root, monkeypatch):
    """Above ``BACKGROUND_ROWS`` the automatic k is chosen in the background: the first render
    shows the slider's k with a status; once done, every rerun and session gets the scan's result,
    computed once, equal to kmeans_segments without any cache."""
    from ui import segment_views

    monkeypatch.setattr(segment_views, "BACKGROUND_ROWS", 0)  # the demo's 400 accounts count as large
    features = counting(monkeypatch, kamcore.segments, "account_features")
    fits: list = []
    go = threading.Event()
    real = kamcore.segments.kmeans_segments

    def held_scan(*args, **kwargs):  # the scan waits until the first render is checked
        if kwargs.get("k", "given") is None:
            go.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(kamcore.segments, "kmeans_segments", lambda *a, **k: fits.append((a, k)) or held_scan(*a, **k))

    at = new_app("segments")
    assert not at.exception
    assert next(m.value for m in at.metric if m.label == "Segments") == "3"  # the slider's k meanwhile
    assert any("Choosing the number of segments for 400 rows" in s.label for s in at.status)
    go.set()
    _finish_scans()

    at.run()
    other = new_app("segments")
    for page in (at, other):
        assert not page.exception
        assert not page.status
    scans = [call for call in fits if call[1].get("k", "given") is None]
    assert len(scans) == 1  # one scan for both sessions and every rerun
    assert len(features) == 1  # the account features once per data key
    table = scans[0][0][0]
    expected = real(table, ["r_score", "f_score", "m_score"], k=None, scale="standard", impute=None)
    shown_k = next(m.value for m in other.metric if m.label == "Segments")
    assert shown_k == str(expected.k)
    assert any("chosen by" in c.value for c in other.caption)
