"""The key-account shortlist as the team edits and saves it (no Streamlit here).

The ranking itself is :func:`kamcore.selection.shortlist`; this module owns what the Selection
page keeps between runs and writes to the workspace:

* :class:`ShortlistState` — the accounts added or removed by hand and the size asked for;
  how a pick in the multiselect or the matrix changes it (:func:`apply_pick`,
  :func:`add_picked`), and how a saved shortlist is read back (:func:`state_from_payload`).
* :func:`shortlist_payload` — the saved format (``save_object("shortlist", <accounts table>,
  payload)``), the same treatment as the manual scores' format in ``kamcore.selection``.
* :data:`FRAGILE_SHARE` and :func:`fragile_accounts` — which chosen accounts the sensitivity
  runs call fragile.

>>> state = state_from_payload({"include": ["7"], "exclude": ["3"], "size": 4}, recommended=10)
>>> state
ShortlistState(include=('7',), exclude=('3',), size=4)
>>> apply_pick(state, new=["1", "2", "9"], shown=["1", "2", "3"]).include
('7', '9')
>>> fragile_accounts(["1", "2", "9"], {"1": 0.95, "2": 0.5, "9": 0.3})
['9']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from kamcore.selection import SelectionModel

#: An account on the shortlist is *fragile* when it stays on the list in fewer than this share
#: of the sensitivity runs (weights jittered by ``SENSITIVITY_SPREAD``): in most re-weightings
#: the room could as well have dropped it. 0.5 = "less often than not"; an account at exactly
#: half of the runs is not fragile.
FRAGILE_SHARE = 0.5


@dataclass(frozen=True)
class ShortlistState:
    """The team's hand edits to the ranked shortlist.

    ``include`` are accounts added by hand (wherever they rank), ``exclude`` accounts removed by
    hand, ``size`` how many to take by rank. Both id tuples are sorted and never overlap.
    """

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    size: int = 1


def state_from_payload(payload: Mapping[str, Any] | None, recommended: int) -> ShortlistState:
    """The state a saved shortlist payload starts from; ``recommended`` when nothing was saved.

    >>> state_from_payload(None, recommended=12)
    ShortlistState(include=(), exclude=(), size=12)
    """
    payload = payload or {}
    return ShortlistState(
        include=tuple(str(c) for c in payload.get("include", [])),
        exclude=tuple(str(c) for c in payload.get("exclude", [])),
        size=int(payload.get("size", recommended)),
    )


def keep_known(state: ShortlistState, known: Iterable[str]) -> ShortlistState:
    """Drop hand-added accounts that are not scored any more (another filter, another table).

    Hand removals stay: an account removed by hand stays removed when it comes back.
    """
    known = set(known)
    return replace(state, include=tuple(c for c in state.include if c in known))


def apply_pick(state: ShortlistState, new: Iterable[str], shown: Iterable[str]) -> ShortlistState:
    """The multiselect changed from ``shown`` to ``new``: additions are included, removals excluded."""
    new, shown = set(new), set(shown)
    include, exclude = set(state.include), set(state.exclude)
    for customer in new - shown:
        include.add(customer)
        exclude.discard(customer)
    for customer in shown - new:
        exclude.add(customer)
        include.discard(customer)
    return replace(state, include=tuple(sorted(include)), exclude=tuple(sorted(exclude)))


def add_picked(state: ShortlistState, picked: Iterable[str]) -> ShortlistState:
    """Accounts picked in the matrix join the shortlist (and are no longer removed by hand).

    >>> add_picked(ShortlistState(include=("2",), exclude=("5", "6"), size=3), ["5", "1"])
    ShortlistState(include=('1', '2', '5'), exclude=('6',), size=3)
    """
    picked = set(picked)
    return replace(
        state,
        include=tuple(sorted(set(state.include) | picked)),
        exclude=tuple(sorted(set(state.exclude) - picked)),
    )


def reset(recommended: int) -> ShortlistState:
    """Back to the top ``recommended`` accounts by rank, without hand edits."""
    return ShortlistState(size=int(recommended))


def fragile_accounts(
    chosen: Iterable[str], shares: Mapping[str, float], threshold: float = FRAGILE_SHARE
) -> list[str]:
    """Chosen accounts on the shortlist in fewer than ``threshold`` of the sensitivity runs.

    ``shares`` maps customer id to ``share_of_runs_on_shortlist`` (``selection.sensitivity``);
    an account without a share counts as not fragile (the runs did not see it). Order kept.
    """
    return [c for c in chosen if c in shares and float(shares[c]) < threshold]


def shortlist_payload(
    chosen_ids: Iterable[str],
    state: ShortlistState,
    model: SelectionModel,
    cuts: tuple[float, float],
    statuses: Iterable[str] | None,
    user: str,
    at: dt.datetime,
) -> dict[str, Any]:
    """The saved shortlist: the accounts, the hand edits, and how the list was reached.

    ``cuts`` are the matrix cut-points (``selection.matrix_cuts``), ``statuses`` the account
    statuses shown (``None`` without a status column), ``at`` the time of saving (seconds).
    """
    return {
        "customer_ids": [str(c) for c in chosen_ids],
        "include": list(state.include),
        "exclude": list(state.exclude),
        "size": int(state.size),
        "weights": {c.name: c.weight for c in model.criteria},
        "normalisation": model.normalisation,
        # how the list was reached: missing scores, box cuts and the statuses shown
        "missing": model.missing,
        "cuts": [float(c) for c in cuts],
        "statuses": sorted(statuses) if statuses is not None else None,
        "saved_by": user,
        "saved_at": at.isoformat(timespec="seconds"),
    }
