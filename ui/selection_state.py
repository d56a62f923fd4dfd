"""The Selection page's state between runs: the one owner of its private session keys.

Widget keys (``selection.shortlist_size``, ``selection.shortlist_pick`` …) belong to their
widgets; what the page must remember beyond a widget's life lives here, under ``selection._*``:
the shortlist's hand edits (a :class:`kamcore.shortlist.ShortlistState`), the rows last shown
in the pick list, the last chart pick, the remembered weights, the criteria added in this
workspace and the readiness answers. The rules (what a pick does, the saved format) are
``kamcore.shortlist``'s; this module only keeps them in ``st.session_state``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import streamlit as st

from kamcore import shortlist

# The hand edits are kept as three keys: ui.state.WORKSPACE_SCOPED_KEYS forgets them (by these
# names) when the user switches workspace, so the next workspace's saved shortlist loads.
_INCLUDE = "selection._include"
_EXCLUDE = "selection._exclude"
_SIZE = "selection._size"
_SHOWN = "selection._shown"  # ids in the pick list when it was last drawn
_LAST_PICK = "selection._last_pick"  # the chart's selection at the previous run
_WEIGHTS = "selection._weights"  # criterion name -> weight (sliders vanish on other pages)
_ADDED = "selection._added"  # "<workspace>|<scores name>" -> added criteria (dicts)
_READINESS = "selection._readiness"  # question -> answer, once the form was submitted
#: Widget keys the state has to write to (the number input and the pick list).
SIZE_KEY = "selection.shortlist_size"
PICK_KEY = "selection.shortlist_pick"


def shortlist_state() -> shortlist.ShortlistState:
    """The current hand edits (call :func:`load_shortlist` first in a session)."""
    return shortlist.ShortlistState(
        include=tuple(st.session_state[_INCLUDE]),
        exclude=tuple(st.session_state[_EXCLUDE]),
        size=int(st.session_state[_SIZE]),
    )


def set_shortlist_state(value: shortlist.ShortlistState) -> None:
    st.session_state[_INCLUDE] = list(value.include)
    st.session_state[_EXCLUDE] = list(value.exclude)
    st.session_state[_SIZE] = int(value.size)


def load_shortlist(saved: Any, recommended: int, known: Iterable[str]) -> shortlist.ShortlistState:
    """The hand edits of this session; on its first run, those of the saved shortlist ``saved``.

    ``saved`` is a callable returning the saved payload (read only when needed); hand-added
    accounts not in ``known`` (the accounts scored now) are dropped.
    """
    if _INCLUDE not in st.session_state:
        set_shortlist_state(shortlist.state_from_payload(saved(), recommended))
    value = shortlist.keep_known(shortlist_state(), known)
    set_shortlist_state(value)
    return value


def note_chart_pick(picked: list[str]) -> None:
    """Accounts picked in the matrix join the shortlist, once per change of the chart selection.

    A chart selection stays active across reruns: only a new selection changes the shortlist.
    """
    if picked and picked != st.session_state.get(_LAST_PICK):
        set_shortlist_state(shortlist.add_picked(shortlist_state(), picked))
    st.session_state[_LAST_PICK] = picked


def shortlist_size(n_scored: int) -> int:
    """The value the size input starts from, within 1..``n_scored``.

    With fewer accounts after a filter change, a stored size above the new maximum would raise.
    """
    if st.session_state.get(SIZE_KEY, 0) > n_scored:
        st.session_state[SIZE_KEY] = n_scored
    return min(max(1, shortlist_state().size), n_scored)


def set_size(size: int) -> None:
    st.session_state[_SIZE] = int(size)


def show_pick(chosen_ids: list[str]) -> None:
    """The pick list shows ``chosen_ids``; :func:`apply_pick_change` compares with them."""
    st.session_state[PICK_KEY] = chosen_ids
    st.session_state[_SHOWN] = chosen_ids


def apply_pick_change() -> None:
    """The pick list's on_change: additions become 'include', removals become 'exclude'."""
    new = st.session_state.get(PICK_KEY, [])
    shown = st.session_state.get(_SHOWN, [])
    set_shortlist_state(shortlist.apply_pick(shortlist_state(), new, shown))


def reset_shortlist(recommended: int) -> None:
    """The reset button's on_click: the top accounts by rank, without hand edits."""
    set_shortlist_state(shortlist.reset(recommended))
    st.session_state[SIZE_KEY] = recommended


def remembered_weights() -> dict[str, float]:
    """Weights chosen in this session (update it with the sliders' values)."""
    return st.session_state.setdefault(_WEIGHTS, {})


def held_criteria(slot: str, load: Any) -> list[dict]:
    """The criteria added in ``slot`` (workspace|scores name); ``load()`` reads them once."""
    held: dict[str, list[dict]] = st.session_state.setdefault(_ADDED, {})
    if slot not in held:
        held[slot] = list(load())
    return held[slot]


def hold_criteria(slot: str, criteria: list[dict]) -> None:
    st.session_state.setdefault(_ADDED, {})[slot] = criteria


def readiness_answers() -> dict[int, int] | None:
    return st.session_state.get(_READINESS)


def set_readiness_answers(answers: dict[int, int]) -> None:
    st.session_state[_READINESS] = answers
