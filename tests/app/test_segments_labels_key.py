"""The Segments page's fingerprint of its clustering (which account is in which segment), made
once per clustering for the process instead of on every rerun (issue 19)."""

from __future__ import annotations

import hashlib
import uuid

import numpy as np
import pandas as pd

from kamcore import segments as sg
from ui import segment_views as views

TABLE = pd.DataFrame({"revenue": [1.0, 1.2, 0.9, 10.0, 11.0, 10.5, 30.0, 29.0],
                      "orders": [1.0, 2.0, 1.0, 8.0, 9.0, 8.5, 20.0, 21.0]},
                     index=pd.Index([f"A{i}" for i in range(8)], dtype="str"))


def _expected(result: sg.SegmentResult) -> str:
    hashed = pd.util.hash_pandas_object(result.labels, index=True).to_numpy()
    return hashlib.sha1(hashed.tobytes()).hexdigest()


def test_the_fingerprint_with_or_without_an_origin_is_the_labels_hash():
    result = sg.kmeans_segments(TABLE, ["revenue", "orders"], k=3)
    origin = views.result_origin(uuid.uuid4().hex, "hash", ("revenue", "orders"), 3, "standard", None, False)
    assert views.labels_key(result) == _expected(result)
    assert views.labels_key(result, origin) == _expected(result)
    other = sg.kmeans_segments(TABLE, ["revenue", "orders"], k=2)
    assert views.labels_key(other, (*origin[:4], 2, *origin[5:])) == _expected(other) != _expected(result)


def test_origins_name_every_input_of_the_clustering():
    base = ("ws", "hash", ("revenue",), 3, "standard", None, True)
    assert views.result_origin(*base) == ("cluster", "ws", "hash", ("revenue",), 3, "standard", None, True)
    assert views.result_origin(*base, scanned=True) == ("scan", "ws", "hash", ("revenue",), "standard", None)
    changed = [views.result_origin(*base[:i], value, *base[i + 1:])
               for i, value in enumerate(("ws2", "hash2", ("orders",), 4, "minmax", "median", False))]
    assert len({views.result_origin(*base), *changed}) == 8


def test_auto_origin_follows_result_or_pending():
    args = ("ws", "hash", ("revenue",), 4, "standard", None)
    small = views.BACKGROUND_ROWS
    assert views.auto_origin(small, None, *args) == ("cluster", "ws", "hash", ("revenue",), None, "standard", None, True)
    assert views.auto_origin(small + 1, None, *args) == ("scan", "ws", "hash", ("revenue",), "standard", None)
    assert views.auto_origin(small + 1, object(), *args) == ("cluster", "ws", "hash", ("revenue",), 4, "standard",
                                                             None, False)


def test_the_page_fingerprints_its_clustering_once_over_reruns(make_app, monkeypatch):
    made: list[int] = []
    real = views._labels_digest
    monkeypatch.setattr(views, "_labels_digest", lambda r: made.append(1) or real(r))
    at = make_app("segments", timeout=120)
    assert not at.exception
    shown = at.session_state[views.NAMES_SHOWN]
    assert len(made) == 1
    at.run(timeout=120)
    at.run(timeout=120)
    assert not at.exception
    assert len(made) == 1  # not again on the reruns
    assert at.session_state[views.NAMES_SHOWN] == shown
    held = at.session_state[views.LABELS_KEYS]
    assert list(held.values()) == [shown["labels"]] and next(iter(held))[0] in ("cluster", "scan")
    # another clustering (k fixed at another value): fingerprinted once more, then kept too
    at.segmented_control(key="segments.k_mode").set_value("fixed").run(timeout=120)
    assert not at.exception
    assert len(made) == 2 and len(at.session_state[views.LABELS_KEYS]) == 2
    assert isinstance(shown["labels"], str) and len(shown["labels"]) == 40 and np.all(shown["k"] >= 2)
