"""Tests for kamcore.shortlist: the hand edits, the saved format and the fragile cut-off."""

from __future__ import annotations

import datetime as dt
import json

from kamcore import selection, shortlist
from kamcore.shortlist import ShortlistState


def test_state_from_a_saved_payload_and_from_nothing():
    saved = {"include": ["0042", 7], "exclude": ["0013"], "size": "9", "customer_ids": ["x"]}
    assert shortlist.state_from_payload(saved, recommended=12) == ShortlistState(("0042", "7"), ("0013",), 9)
    assert shortlist.state_from_payload(None, recommended=12) == ShortlistState((), (), 12)
    assert shortlist.state_from_payload({}, recommended=3) == ShortlistState((), (), 3)


def test_keep_known_drops_only_hand_additions_that_are_not_scored():
    state = ShortlistState(include=("1", "2", "3"), exclude=("4", "5"), size=6)
    assert shortlist.keep_known(state, ["2", "9"]) == ShortlistState(("2",), ("4", "5"), 6)


def test_a_pick_list_change_includes_additions_and_excludes_removals():
    state = ShortlistState(include=("8",), exclude=("1", "6"), size=3)
    # shown 1..3; the user removes 2 and adds 6 (removed by hand earlier) and 7
    after = shortlist.apply_pick(state, new=["1", "3", "6", "7"], shown=["1", "2", "3"])
    assert after == ShortlistState(include=("6", "7", "8"), exclude=("1", "2"), size=3)
    # nothing changed: nothing moves
    assert shortlist.apply_pick(state, new=["1", "2"], shown=["2", "1"]) == state


def test_matrix_picks_join_and_reset_forgets_every_hand_edit():
    state = ShortlistState(include=("2",), exclude=("5", "6"), size=4)
    assert shortlist.add_picked(state, ["6", "1", "1"]) == ShortlistState(("1", "2", "6"), ("5",), 4)
    assert shortlist.reset(11) == ShortlistState((), (), 11)


def test_fragile_is_below_half_of_the_runs_and_exactly_half_is_not():
    assert shortlist.FRAGILE_SHARE == 0.5
    shares = {"a": 0.49, "b": 0.5, "c": 1.0, "d": 0.0, "e": float("nan")}
    # order of the chosen list kept; an account the runs did not see is not fragile
    assert shortlist.fragile_accounts(["d", "c", "b", "a", "e", "zz"], shares) == ["d", "a"]
    assert shortlist.fragile_accounts(["a", "b", "c"], shares, threshold=0.75) == ["a", "b"]


def test_the_saved_payload_has_every_field_and_is_json():
    model = selection.default_model().model_copy(update={"normalisation": "minmax", "missing": "exclude"})
    state = ShortlistState(include=("0042",), exclude=("0007", "0013"), size=5)
    at = dt.datetime(2026, 12, 5, 1, 2, 3, 456789, tzinfo=dt.UTC)
    payload = shortlist.shortlist_payload(
        ["0001", "0042"], state, model, (55.25, 40.0), {"active", "lost"}, "kari", at
    )
    assert payload == {
        "customer_ids": ["0001", "0042"],
        "include": ["0042"],
        "exclude": ["0007", "0013"],
        "size": 5,
        "weights": {c.name: c.weight for c in model.criteria},
        "normalisation": "minmax",
        "missing": "exclude",
        "cuts": [55.25, 40.0],
        "statuses": ["active", "lost"],
        "saved_by": "kari",
        "saved_at": "2026-12-05T01:02:03+00:00",
    }
    assert json.loads(json.dumps(payload)) == payload
    # without a status column the statuses are None; the state round-trips through the payload
    no_status = shortlist.shortlist_payload([], state, model, (1, 2), None, "ola", at)
    assert no_status["statuses"] is None
    assert shortlist.state_from_payload(no_status, recommended=99) == state
