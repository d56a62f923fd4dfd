"""The buying centre and relationship coverage: who we know at each key account.

Three tables in canonical columns (the ingest mapping maps an export's headers onto them):

* contacts — ``account, contact, title, roles, influence, attitude, left_on`` (optional
  ``department, last_contact``). ``roles`` holds buying-centre roles (initiator, user,
  influencer, decider, buyer, gatekeeper) as a list or as text separated by ``;``, ``,``, ``/``
  or ``|``, in English, Norwegian or Swedish. ``attitude`` is supporter / neutral / critic.
* people (ours) — ``person, role, executive`` (``executive`` a bool or yes/no text; a person
  whose role is *executive* is an executive too; optional ``left_on``: the day he or she left us).
* links — ``person, contact, strength, last_contact`` (optional ``account``, which makes the
  contact unambiguous when two accounts have a contact with the same name).

:func:`coverage` gives one row per account; :func:`revenue_at_risk` adds the revenue of the
last 12 months and what hangs on a single thread; :func:`apply_edits` replays the edits made
in the app (with who and when) onto the imported tables: add, change, mark as left, remove.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from kamcore.errors import KamError

BUYING_ROLES: tuple[str, ...] = ("initiator", "user", "influencer", "decider", "buyer", "gatekeeper")
ATTITUDES: tuple[str, ...] = ("supporter", "neutral", "critic")
OUR_ROLES: tuple[str, ...] = ("account_manager", "sales", "service", "logistics", "finance", "executive")
#: Relationship models, from no link at all to many functional contacts on both sides.
MODELS: tuple[str, ...] = ("none", "bow-tie", "one-on-many", "duet", "diamond")
#: Risk codes in the order they are reported (the UI catalogue has words for each).
RISKS: tuple[str, ...] = (
    "no_coverage",
    "single_thread_ours",
    "single_thread_theirs",
    "decider_left",
    "no_decider",
    "no_buyer",
    "no_exec_sponsor",
    "critic_decider",
    "stale_links",
)
#: English words for each risk (scripts and logs; the app shows ``relationships.risk_<code>``).
RISK_TEXT: dict[str, str] = {
    "no_coverage": "Nobody of ours has a recorded contact at the account.",
    "single_thread_ours": "Every link runs through one of our people.",
    "single_thread_theirs": "Every link runs to one of their people.",
    "decider_left": "The decider we knew has left and no other decider is covered.",
    "no_decider": "No decider is covered.",
    "no_buyer": "No buyer is covered.",
    "no_exec_sponsor": "No executive of ours is linked to the account.",
    "critic_decider": "A decider is critical of us.",
    "stale_links": "Some links have had no contact in 6 months.",
}
STALE_MONTHS = 6
#: A decider who left within this many months counts as ``decider_left`` (older leavers are history).
DECIDER_LEFT_MONTHS = 12
COVERAGE_COLUMNS: tuple[str, ...] = (
    "account",
    "n_contacts",
    "n_left",
    "n_our_people",
    "n_links",
    "roles_covered",
    "decider_covered",
    "buyer_covered",
    "single_thread",
    "thread",
    "exec_sponsor",
    "stale_links",
    "model",
    "risks",
    "coverage_score",
)

_ROLE_WORDS: dict[str, str] = {
    **dict.fromkeys(
        ["initiator", "initiativtaker", "initiativtager", "initiativtagare", "initiativ"], "initiator"
    ),
    **dict.fromkeys(
        ["user", "bruker", "brukar", "användare", "anvandare", "end user", "sluttbruker"], "user"
    ),
    **dict.fromkeys(
        ["influencer", "påvirker", "pavirker", "påverkare", "paverkare", "rådgiver"], "influencer"
    ),
    **dict.fromkeys(
        [
            "decider",
            "decision maker",
            "decision-maker",
            "beslutningstaker",
            "beslutningstager",
            "beslutter",
            "beslutsfattare",
            "beslutare",
        ],
        "decider",
    ),
    **dict.fromkeys(
        ["buyer", "purchaser", "innkjøper", "innkjoper", "inköpare", "inkopare", "kjøper"], "buyer"
    ),
    **dict.fromkeys(["gatekeeper", "portvokter", "portvakt", "grindvakt", "dørvokter"], "gatekeeper"),
}
_ATTITUDE_WORDS: dict[str, str] = {
    **dict.fromkeys(
        ["supporter", "support", "positive", "champion", "tilhenger", "positiv", "anhängare", "ambassadør"],
        "supporter",
    ),
    **dict.fromkeys(["neutral", "nøytral", "noytral"], "neutral"),
    **dict.fromkeys(
        ["critic", "critical", "negative", "kritiker", "kritisk", "negativ", "motstander"], "critic"
    ),
}
_OUR_ROLE_WORDS: dict[str, str] = {
    **dict.fromkeys(
        [
            "account manager",
            "account_manager",
            "key account manager",
            "kam",
            "kundeansvarlig",
            "kundansvarig",
        ],
        "account_manager",
    ),
    **dict.fromkeys(["sales", "salg", "selger", "säljare", "saljare", "försäljning"], "sales"),
    **dict.fromkeys(["service", "kundeservice", "kundservice", "support", "teknisk"], "service"),
    **dict.fromkeys(["logistics", "logistikk", "logistik", "lager"], "logistics"),
    **dict.fromkeys(["finance", "økonomi", "okonomi", "ekonomi", "finans"], "finance"),
    **dict.fromkeys(
        ["executive", "leder", "ledelse", "direktør", "daglig leder", "chef", "vd", "direktör", "ledning"],
        "executive",
    ),
}
_TRUE_WORDS = {
    "1",
    "true",
    "yes",
    "y",
    "x",
    "ja",
    "j",
    "sann",
    "sant",
    "executive",
    "leder",
    "ledelse",
    "ledning",
    "senior",
    "toppleder",
    "chef",
    "c-level",
}


def _clean(value: Any) -> str:
    if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)):
        return ""
    return re.sub(r"\s+", " ", str(value)).strip().casefold()


def parse_roles(value: Any) -> tuple[str, ...]:
    """Buying-centre roles from a list or from text such as ``"Beslutningstaker; innkjøper"``.

    Unknown words are dropped; the result is in :data:`BUYING_ROLES` order, each role once.
    """
    if isinstance(value, (list, tuple, set)):
        parts = [_clean(v) for v in value]
    else:
        parts = [p.strip() for p in re.split(r"[;,/|+]", _clean(value))]
    found = {_ROLE_WORDS.get(part, part) for part in parts if part}
    return tuple(role for role in BUYING_ROLES if role in found)


def normalise_attitude(value: Any) -> str | None:
    """supporter / neutral / critic from English, Norwegian or Swedish words; None if unknown."""
    return _ATTITUDE_WORDS.get(_clean(value))


def normalise_our_role(value: Any) -> str | None:
    """Our person's function as one of :data:`OUR_ROLES`, else the text in lower case (or None)."""
    text = _clean(value)
    return _OUR_ROLE_WORDS.get(text, text or None)


def parse_bool(value: Any) -> bool:
    """True for yes/ja/x/1/true/leder/executive/senior ..., False otherwise (blank included)."""
    if isinstance(value, bool):
        return value
    return _clean(value) in _TRUE_WORDS


def _timestamp(value: Any) -> pd.Timestamp:
    if value is None:
        return pd.Timestamp(dt.date.today())
    return pd.Timestamp(value).normalize()


def _require(frame: pd.DataFrame, columns: Sequence[str], table: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KamError(
            "relationships.missing_columns",
            "The {table} table lacks the column(s) {columns}; map them on the Data page.",
            table=table,
            columns=", ".join(missing),
        )


def _object_map(series: pd.Series, function) -> pd.Series:
    """``function`` applied to each value, as a plain object Series (tuples stay tuples)."""
    return pd.Series([function(v) for v in series.tolist()], index=series.index, dtype="object")


def _text(series: pd.Series) -> pd.Series:
    return series.astype("string").str.strip()


def prepare_contacts(contacts: pd.DataFrame) -> pd.DataFrame:
    """Contacts with typed columns: roles as tuples, attitude normalised, dates as timestamps."""
    _require(contacts, ("account", "contact"), "contacts")
    out = contacts.copy().reset_index(drop=True)
    out["account"] = _text(out["account"])
    out["contact"] = _text(out["contact"])
    out = out[out["account"].notna() & out["contact"].notna() & (out["contact"] != "")]
    out["roles"] = (
        _object_map(out["roles"], parse_roles)
        if "roles" in out
        else _object_map(out["contact"], lambda _: ())
    )
    out["attitude"] = _object_map(out["attitude"], normalise_attitude) if "attitude" in out else None
    out["influence"] = (
        pd.to_numeric(out["influence"], errors="coerce") if "influence" in out else float("nan")
    )
    for column in ("left_on", "last_contact"):
        out[column] = pd.to_datetime(out[column], errors="coerce") if column in out else pd.NaT
    for column in ("title", "department"):
        if column not in out:
            out[column] = pd.NA
    return out.reset_index(drop=True)


def prepare_people(people: pd.DataFrame) -> pd.DataFrame:
    """Our people with ``role`` normalised, ``executive`` as bool (role *executive* counts), ``left_on``."""
    _require(people, ("person",), "people")
    out = people.copy().reset_index(drop=True)
    out["person"] = _text(out["person"])
    out = out[out["person"].notna() & (out["person"] != "")]
    out["role"] = _object_map(out["role"], normalise_our_role) if "role" in out else None
    executive = _object_map(out["executive"], parse_bool).astype(bool) if "executive" in out else False
    out["executive"] = (out["role"] == "executive") | executive
    out["executive"] = out["executive"].astype(bool)
    out["left_on"] = pd.to_datetime(out["left_on"], errors="coerce") if "left_on" in out else pd.NaT
    return out.drop_duplicates("person", keep="last").reset_index(drop=True)


def prepare_links(links: pd.DataFrame) -> pd.DataFrame:
    """Links with strength as a number and last_contact as a timestamp."""
    _require(links, ("person", "contact"), "links")
    out = links.copy().reset_index(drop=True)
    for column in ("person", "contact") + (("account",) if "account" in out else ()):
        out[column] = _text(out[column])
    out = out[out["person"].notna() & out["contact"].notna()]
    out["strength"] = pd.to_numeric(out["strength"], errors="coerce") if "strength" in out else float("nan")
    out["last_contact"] = (
        pd.to_datetime(out["last_contact"], errors="coerce") if "last_contact" in out else pd.NaT
    )
    return out.reset_index(drop=True)


def link_contacts(contacts: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """Each link with its contact's account, roles, attitude and ``left_on`` (prepared frames).

    Links carry ``account`` or the contact name must be unique across accounts; links to a
    contact not in the contacts table are dropped.
    """
    keep = ["account", "contact", "roles", "attitude", "influence", "left_on"]
    if "account" in links and links["account"].notna().all():
        return links.drop(
            columns=[c for c in ("roles", "attitude", "influence", "left_on") if c in links]
        ).merge(
            contacts[keep].drop_duplicates(["account", "contact"]), on=["account", "contact"], how="inner"
        )
    twice = contacts.loc[contacts["contact"].duplicated(keep=False), "contact"]
    ambiguous = sorted(set(twice) & set(links["contact"]))
    if ambiguous:
        raise KamError(
            "relationships.ambiguous_contact",
            "The contact(s) {names} appear at more than one account; add the account to the links table.",
            names=", ".join(ambiguous[:5]),
        )
    base = links.drop(
        columns=[c for c in ("account", "roles", "attitude", "influence", "left_on") if c in links]
    )
    return base.merge(contacts[keep].drop_duplicates("contact"), on="contact", how="inner")


def classify_model(n_ours: int, n_theirs: int) -> str:
    """The relationship model from how many of ours and of theirs are linked.

    * ``none``: no link.
    * ``bow-tie``: one of ours to one of theirs.
    * ``one-on-many``: one of ours to two or more of theirs.
    * ``duet``: a small team — two or more of ours, but fewer than three on one of the sides.
    * ``diamond``: three or more of ours linked to three or more of theirs.
    """
    if n_ours == 0 or n_theirs == 0:
        return "none"
    if n_ours == 1:
        return "bow-tie" if n_theirs == 1 else "one-on-many"
    if n_ours >= 3 and n_theirs >= 3:
        return "diamond"
    return "duet"


def coverage(
    contacts: pd.DataFrame,
    people: pd.DataFrame,
    links: pd.DataFrame,
    *,
    as_of: dt.date | pd.Timestamp | str | None = None,
    accounts: Iterable[Any] | None = None,
) -> pd.DataFrame:
    """One row per account: who we know there, the relationship model and its risks.

    Parameters
    ----------
    contacts, people, links : frames in the canonical columns of the module docstring.
    as_of : the day the picture is for (default today). A contact whose ``left_on`` is on or
        before ``as_of`` has left: he or she does not count as coverage, nor do links to him/her.
        The same holds for one of our people who has left (``left_on`` in ``people``).
    accounts : the key accounts (e.g. the saved shortlist). Each one without any contact gets a
        row too, with nothing covered, model ``none`` and the risk ``no_coverage``: the biggest
        risk of all is a key account where we know nobody.

    Returns
    -------
    DataFrame with :data:`COVERAGE_COLUMNS`, one row per account in ``contacts`` or ``accounts``,
    sorted by account:

    ``n_contacts`` their contacts still there; ``n_left`` those who left; ``n_our_people`` our
    people with a link to a contact still there; ``n_links`` those links; ``roles_covered`` the
    buying-centre roles of linked contacts (tuple, :data:`BUYING_ROLES` order);
    ``decider_covered`` / ``buyer_covered``; ``single_thread`` every link runs through one of our
    people, or to one of theirs; ``thread`` that one person (ours when our side is single, else
    theirs), else None; ``exec_sponsor`` an executive of ours is linked; ``stale_links`` links
    with no contact in :data:`STALE_MONTHS` months (last_contact before ``as_of`` − 6 months;
    links without a date are not counted); ``model`` from :func:`classify_model`; ``risks`` a
    tuple of codes from :data:`RISKS`; ``coverage_score`` in 0..1.

    Notes
    -----
    Risks: ``no_coverage`` no link at all (the coverage risks below are then implied and not
    repeated, except ``decider_left``); ``single_thread_ours`` / ``single_thread_theirs`` all
    links run through one person on that side; ``decider_left`` a decider left within the last
    :data:`DECIDER_LEFT_MONTHS` months and no decider still there is linked; ``no_decider`` / ``no_buyer``
    no linked contact holds that role; ``no_exec_sponsor`` no executive of ours is linked;
    ``critic_decider`` a decider still there is a critic; ``stale_links`` at least one stale link.

    ``coverage_score`` (for the health score's relationship component) is the mean of five
    parts, each 0 or 1 except the last: decider covered, buyer covered, not single-threaded,
    executive sponsor, and the share of links that are not stale (0 without links).
    """
    as_of_ts = _timestamp(as_of)
    c = prepare_contacts(contacts)
    p = prepare_people(people)
    ln = prepare_links(links)
    c["active"] = ~(c["left_on"].notna() & (c["left_on"] <= as_of_ts))
    for role in BUYING_ROLES:
        c[f"has_{role}"] = _object_map(c["roles"], lambda roles, r=role: r in roles).astype(bool)
    c["_critic"] = _object_map(c["attitude"], lambda a: a == "critic").astype(bool)
    joined = link_contacts(c.drop(columns=[f"has_{r}" for r in BUYING_ROLES] + ["_critic", "active"]), ln)
    joined = joined[~(joined["left_on"].notna() & (joined["left_on"] <= as_of_ts))].copy()
    gone = set(p.loc[p["left_on"].notna() & (p["left_on"] <= as_of_ts), "person"])
    joined = joined[~joined["person"].isin(gone)].copy()
    for role in BUYING_ROLES:
        joined[f"has_{role}"] = _object_map(joined["roles"], lambda roles, r=role: r in roles).astype(bool)
    executives = set(p.loc[p["executive"], "person"])
    joined["_exec"] = joined["person"].isin(executives)
    stale_before = as_of_ts - pd.DateOffset(months=STALE_MONTHS)
    joined["_stale"] = joined["last_contact"].notna() & (joined["last_contact"] < stale_before)
    left_since = as_of_ts - pd.DateOffset(months=DECIDER_LEFT_MONTHS)

    # per account, from their contacts
    c["_decider_left"] = ~c["active"] & c["has_decider"] & (c["left_on"] > left_since)
    c["_critic_decider"] = c["active"] & c["has_decider"] & c["_critic"]
    by_account = c.groupby("account", sort=True)
    acc = pd.DataFrame(
        {
            "n_contacts": by_account["active"].sum().astype(int),
            "n_left": by_account["active"].size().astype(int) - by_account["active"].sum().astype(int),
            "decider_left": by_account["_decider_left"].any(),
            "critic": by_account["_critic_decider"].any(),
        }
    )
    # per account, from the links to contacts still there
    g = joined.groupby("account", sort=True)
    linked = pd.DataFrame(
        {
            "n_our_people": g["person"].nunique(),
            "n_theirs": g["contact"].nunique(),
            "n_links": g.size(),
            "stale_links": g["_stale"].sum(),
            "exec_sponsor": g["_exec"].any(),
            "first_ours": g["person"].first(),
            "first_theirs": g["contact"].first(),
            **{f"has_{role}": g[f"has_{role}"].any() for role in BUYING_ROLES},
        }
    )
    acc = acc.join(linked, how="left")
    extra = sorted({str(a).strip() for a in (accounts or ()) if str(a).strip()} - set(acc.index))
    if extra:  # key accounts where we know nobody at all
        blank = pd.DataFrame({"n_contacts": 0, "n_left": 0, "decider_left": False, "critic": False},
                             index=pd.Index(extra, name=acc.index.name))
        acc = pd.concat([acc, blank]).sort_index()
    for column in ("n_our_people", "n_theirs", "n_links", "stale_links"):
        acc[column] = acc[column].fillna(0).astype(int)
    for column in ("exec_sponsor", *(f"has_{role}" for role in BUYING_ROLES)):
        acc[column] = acc[column].astype("boolean").fillna(False).astype(bool)

    rows = []
    for account, a in zip(acc.index, acc.itertuples(index=False), strict=True):
        covered = {role for role in BUYING_ROLES if getattr(a, f"has_{role}")}
        n_links = a.n_links
        single_ours = a.n_our_people == 1
        single_theirs = a.n_theirs == 1
        single = n_links > 0 and (single_ours or single_theirs)
        thread = a.first_ours if single_ours else a.first_theirs if single_theirs else None
        decider_covered = "decider" in covered
        buyer_covered = "buyer" in covered
        exec_sponsor = bool(a.exec_sponsor)
        risks: list[str] = []
        if n_links == 0:
            risks.append("no_coverage")
        if single_ours and n_links:
            risks.append("single_thread_ours")
        if single_theirs and n_links:
            risks.append("single_thread_theirs")
        if not decider_covered and a.decider_left:
            risks.append("decider_left")
        elif not decider_covered and n_links:
            risks.append("no_decider")
        if not buyer_covered and n_links:
            risks.append("no_buyer")
        if not exec_sponsor and n_links:
            risks.append("no_exec_sponsor")
        if a.critic:
            risks.append("critic_decider")
        if a.stale_links:
            risks.append("stale_links")
        fresh_share = (n_links - a.stale_links) / n_links if n_links else 0.0
        score = (
            decider_covered + buyer_covered + (n_links > 0 and not single) + exec_sponsor + fresh_share
        ) / 5
        rows.append(
            {
                "account": account,
                "n_contacts": int(a.n_contacts),
                "n_left": int(a.n_left),
                "n_our_people": int(a.n_our_people),
                "n_links": int(n_links),
                "roles_covered": tuple(role for role in BUYING_ROLES if role in covered),
                "decider_covered": decider_covered,
                "buyer_covered": buyer_covered,
                "single_thread": bool(single),
                "thread": thread if single else None,
                "exec_sponsor": exec_sponsor,
                "stale_links": int(a.stale_links),
                "model": classify_model(int(a.n_our_people), int(a.n_theirs)),
                "risks": tuple(risks),
                "coverage_score": float(score),
            }
        )
    return pd.DataFrame(rows, columns=list(COVERAGE_COLUMNS))


def revenue_at_risk(
    cover: pd.DataFrame,
    transactions: pd.DataFrame | None,
    *,
    as_of: dt.date | pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """``cover`` (from :func:`coverage`) with ``revenue_12m`` and ``revenue_at_risk``.

    ``revenue_12m`` is the revenue of the 12 months ending on ``as_of`` (after ``as_of`` − 12
    months, up to and including ``as_of``) from canonical ``transactions`` (``customer_id``,
    ``date``, ``revenue``); ``revenue_at_risk`` is that revenue for single-threaded accounts
    (what is lost if the one thread breaks) and for accounts with no link at all (they hang by
    no thread), else 0. Without transactions both are 0.
    """
    out = cover.copy()
    if transactions is None or not {"customer_id", "date", "revenue"} <= set(transactions.columns):
        out["revenue_12m"] = 0.0
    else:
        end = _timestamp(as_of)
        start = end - pd.DateOffset(months=12)
        inside = (transactions["date"] > start) & (transactions["date"] < end + pd.Timedelta(days=1))
        ids = transactions["customer_id"]
        if isinstance(ids.dtype, pd.StringDtype):
            # only the rows of the accounts in ``cover`` (a few key accounts of a million lines);
            # each account's rows keep their order, so its sum is the same
            inside &= ids.isin(out["account"].astype("string").dropna().unique()).fillna(False).astype(bool)
        window = transactions.loc[inside.to_numpy(dtype=bool), ["customer_id", "revenue"]]
        totals = window.groupby(window["customer_id"].astype("string"))["revenue"].sum()
        out["revenue_12m"] = out["account"].map(totals).fillna(0.0).astype("float64")
    exposed = out["single_thread"].astype(bool) | (out["n_links"] == 0)
    out["revenue_at_risk"] = out["revenue_12m"].where(exposed, 0.0)
    return out


# ----------------------------------------------------------------------------- edits
#: Key columns of each table an edit can change.
EDIT_KEYS: dict[str, tuple[str, ...]] = {
    "contacts": ("account", "contact"),
    "people": ("person",),
    "links": ("account", "person", "contact"),
}


def make_edit(
    table: str,
    key: Mapping[str, Any],
    values: Mapping[str, Any],
    *,
    user: str | None,
    at: dt.datetime,
    remove: bool = False,
) -> dict[str, Any]:
    """One edit record (JSON-ready): add or change the row of ``table`` whose key is ``key``.

    With ``remove=True`` the edit removes that row instead (a wrong contact, person or link);
    removing a contact or one of our people removes the links to or from them as well. Marking
    someone as left is a change (``values={"left_on": day}``), not a removal: the history stays.
    """
    if table not in EDIT_KEYS:
        raise KamError("relationships.unknown_table", "Unknown relationship table '{table}'.", table=table)
    missing = [k for k in EDIT_KEYS[table] if not str(key.get(k) or "").strip()]
    if missing:
        raise KamError(
            "relationships.edit_key_missing", "Fill in {columns} before saving.", columns=", ".join(missing)
        )

    def plain(value: Any) -> Any:
        if isinstance(value, (dt.date, pd.Timestamp)):
            return value.isoformat()[:10]
        if isinstance(value, tuple):
            return list(value)
        return value

    edit = {
        "table": table,
        "key": {k: str(key[k]).strip() for k in EDIT_KEYS[table]},
        "values": {} if remove else {k: plain(v) for k, v in values.items()},
        "user": user,
        "at": at.isoformat(timespec="seconds"),
    }
    if remove:
        edit["remove"] = True
    return edit


def _matches(frame: pd.DataFrame, key: Mapping[str, str]) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column, value in key.items():
        if column not in frame.columns:
            return pd.Series(False, index=frame.index)
        mask &= (frame[column].astype("string").str.strip() == value).fillna(False)
    return mask.astype(bool)


def apply_edits(
    contacts: pd.DataFrame | None,
    people: pd.DataFrame | None,
    links: pd.DataFrame | None,
    edits: Iterable[Mapping[str, Any]],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The three canonical frames with ``edits`` replayed in order (a key seen before is changed,
    a new key is added, an edit with ``remove`` drops its row and, for a contact or one of our
    people, the links to or from them). Frames may be None (no table imported yet); the result
    is never None.
    """
    frames = {
        "contacts": contacts.copy() if contacts is not None else pd.DataFrame(columns=["account", "contact"]),
        "people": people.copy() if people is not None else pd.DataFrame(columns=["person"]),
        "links": links.copy()
        if links is not None
        else pd.DataFrame(columns=["account", "person", "contact"]),
    }
    for frame in frames.values():
        for column in frame.columns:
            frame[column] = frame[column].astype("object")
    for edit in edits:
        table = edit["table"]
        frame = frames[table]
        key = dict(edit["key"])
        if table == "links" and "account" not in frame.columns:
            key.pop("account", None)
        if edit.get("remove"):
            frames[table] = frame[~_matches(frame, key)].reset_index(drop=True)
            ln = frames["links"]
            if table == "people":
                frames["links"] = ln[~_matches(ln, key)].reset_index(drop=True)
            elif table == "contacts":
                link_key = key if "account" in ln.columns else {"contact": key["contact"]}
                frames["links"] = ln[~_matches(ln, link_key)].reset_index(drop=True)
            continue
        values = dict(edit.get("values", {}))
        for column in [*key, *values]:
            if column not in frame.columns:
                frame[column] = pd.Series([None] * len(frame), index=frame.index, dtype="object")
        mask = _matches(frame, key)
        if mask.any():
            for column, value in values.items():
                frame.loc[mask, column] = pd.Series(
                    [value] * int(mask.sum()), index=frame.index[mask], dtype="object"
                )
        else:
            frame.loc[len(frame)] = {**dict.fromkeys(frame.columns), **key, **values}
            frame = frame.reset_index(drop=True)
        frames[table] = frame
    return frames["contacts"], frames["people"], frames["links"]
