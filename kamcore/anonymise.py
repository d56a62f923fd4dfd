"""Anonymised mode: stable pseudonyms for accounts, account numbers, contacts and salespeople.

A sales leader shows KAM Studio to people who must not see the client's customers (a demo,
a management meeting with outsiders). With anonymised mode on, every account number and name,
contact and salesperson on screen, in downloads and in the meeting pack is replaced by a
pseudonym, while every number stays exactly as it is::

    from kamcore.anonymise import for_workspace
    pseudo = for_workspace(ws, lang="nb")
    pseudo.frame(transactions)          # customer_id/customer_name/owner/... replaced, numbers unchanged
    pseudo.text("Ring Åse Myklebust")   # -> "Ring Selger C"

Labels (parameter ``lang``: ``"en"``, ``"nb"`` or ``"sv"``; anything else reads as English):

=========================  ==============  ==============  ================
what                       en              nb              sv
=========================  ==============  ==============  ================
account number and name    Customer 017    Kunde 017       Kund 017
salesperson / our person   Salesperson C   Selger C        Säljare C
contact at the customer    Contact 004     Kontakt 004     Kontakt 004
=========================  ==============  ==============  ================

An account's number and its name get the same pseudonym (``Kunde 017``), so a table that
shows both still pairs them. The number's width is three digits, more when the workspace has
1,000 or more accounts; salespeople get letters (A … Z, AA, AB …).

Why a stored random assignment and not a hash
--------------------------------------------
A pseudonym computed from the name (a plain hash, or a number derived from sorting the names)
could be recomputed by anyone with a list of candidate names, and the order of the numbers
would leak the alphabetical or revenue ranking. Here every pseudonym is a *random* number
drawn when the value is first seen (:class:`secrets.SystemRandom`, a shuffle of the new values),
and the assignment is stored in the workspace file itself (a saved object of kind
``"anonymise"``, through :mod:`kamcore.db`; no SQL here). Consequences:

* stable: the same account is ``Kunde 017`` on every page, in every export and pack made from
  this workspace, in every session and after restarts;
* reveals nothing: the number carries no information about the name, its rank or its revenue;
  knowing the assignment requires the workspace file, which holds the real names anyway;
* values imported later (a new table, new accounts) get fresh numbers after the existing ones,
  again in random order among themselves. The only thing that can be read from a number is
  therefore "first seen in a later import" — documented in docs/security.md;
* a copy of the workspace made before the assignment existed gets its own assignment.

What is recognised
------------------
Values in the canonical role columns (``customer_id``, ``customer_name``, ``owner`` and the
buying-centre roles ``account``, ``contact``, ``person``) of every table in the workspace, plus
the owners typed into account plans. :meth:`Pseudonymiser.text` replaces any of these values
(whole words, case-insensitive) in free text. A name that occurs in no table — a first name
alone, a person only ever mentioned in a note — cannot be recognised; notes are the user's own
words.
"""

from __future__ import annotations

import html
import math
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

#: Saved-object (kind, name) under which the assignment is stored in the workspace.
OBJECT_KIND = "anonymise"
OBJECT_NAME = "pseudonyms"
PAYLOAD_VERSION = 1

#: Pseudonym labels per language; ``{n}`` is the number, ``{x}`` the letters.
LABELS: dict[str, dict[str, str]] = {
    "account": {"en": "Customer {n}", "nb": "Kunde {n}", "sv": "Kund {n}"},
    "person": {"en": "Salesperson {x}", "nb": "Selger {x}", "sv": "Säljare {x}"},
    "contact": {"en": "Contact {n}", "nb": "Kontakt {n}", "sv": "Kontakt {n}"},
}
LANGUAGES = ("en", "nb", "sv")

#: Canonical role -> which pseudonym family its values get.
ROLE_FAMILY: dict[str, str] = {
    "customer_id": "account",
    "account": "account",
    "customer_name": "name",
    "owner": "person",
    "person": "person",
    "contact": "contact",
}
#: Plan fields (kamcore.plans) that hold a person's name.
PLAN_PERSON_FIELDS = ("owner",)
#: Plan fields of free text (titles, actions, strategy notes and SWOT).
PLAN_TEXT_FIELDS = ("title", "what", "product", "price", "distribution", "communication", "service",
                    "relationship", "strengths", "weaknesses", "opportunities", "threats")
#: Text shorter than this is never searched for in free text (initials, "AS").
MIN_TEXT_LENGTH = 3
_WORD = re.compile(r"\w+")
#: An account pseudonym followed by itself in brackets or after " · " (name and number alike).
_ACCOUNT_LABEL = "(?:" + "|".join(re.escape(LABELS["account"][lang].partition("{n}")[0]) for lang in LANGUAGES) + r")\d+"
_TWICE = re.compile(r"(" + _ACCOUNT_LABEL + r")(?: \(\1\)| · \1)")


def letters(k: int) -> str:
    """Spreadsheet-style letters for ``k`` >= 1: 1 -> A, 26 -> Z, 27 -> AA.

    >>> [letters(k) for k in (1, 2, 26, 27, 28, 52, 53, 702, 703)]
    ['A', 'B', 'Z', 'AA', 'AB', 'AZ', 'BA', 'ZZ', 'AAA']
    """
    if k < 1:
        raise ValueError("letters() counts from 1")
    out = ""
    while k:
        k, rest = divmod(k - 1, 26)
        out = chr(ord("A") + rest) + out
    return out


def _clean(value: Any) -> str | None:
    """The value as the text it is shown as, or None for a missing/empty cell."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    text = str(value).strip()
    return text or None


def _extend(assigned: dict[str, int], values: Iterable[str], rng: secrets.SystemRandom) -> bool:
    """Give each new value the next free numbers, in random order. True when any was new."""
    new = sorted({v for v in values if v not in assigned})
    if not new:
        return False
    rng.shuffle(new)
    start = max(assigned.values(), default=0)
    for offset, value in enumerate(new, start=1):
        assigned[value] = start + offset
    return True


@dataclass
class Pseudonymiser:
    """Replaces real account numbers, names, contacts and salespeople by stable pseudonyms.

    ``accounts`` maps a real account number to its pseudonym number, ``names`` a real account
    name to a number (the number of an account that carries that name), ``persons`` a
    salesperson/our person to a letter index, ``contacts`` a contact to a number. Build one with
    :func:`for_workspace` (stored, stable) or :meth:`from_values` (tests, scripts).
    """

    accounts: dict[str, int] = field(default_factory=dict)
    names: dict[str, int] = field(default_factory=dict)
    persons: dict[str, int] = field(default_factory=dict)
    contacts: dict[str, int] = field(default_factory=dict)
    lang: str = "en"
    #: digits of a number (fixed when the assignment is first made, so labels never change)
    width: int = 0

    def __post_init__(self) -> None:
        if self.lang not in LANGUAGES:
            self.lang = "en"
        if not self.width:
            self.width = number_width(max([*self.accounts.values(), *self.names.values(),
                                           *self.contacts.values(), 1]))
        self._width = self.width
        self._pattern: re.Pattern[str] | None = None
        self._by_text: dict[str, str] | None = None

    # ------------------------------------------------------------------ building
    @classmethod
    def from_values(
        cls,
        accounts: Iterable[tuple[Any, Any]] = (),
        persons: Iterable[Any] = (),
        contacts: Iterable[Any] = (),
        *,
        lang: str = "en",
        payload: Mapping[str, Any] | None = None,
        rng: secrets.SystemRandom | None = None,
    ) -> tuple[Pseudonymiser, bool]:
        """A pseudonymiser that covers these values, extending ``payload`` (a stored assignment).

        ``accounts`` are ``(account number, account name)`` pairs (either may be None).
        Returns the pseudonymiser and whether the assignment changed (then store
        :meth:`payload`).
        """
        rng = rng or secrets.SystemRandom()
        stored = payload if payload and payload.get("version") == PAYLOAD_VERSION else {}
        ids = {str(k): int(v) for k, v in (stored.get("accounts") or {}).items()}
        names = {str(k): int(v) for k, v in (stored.get("names") or {}).items()}
        people = {str(k): int(v) for k, v in (stored.get("persons") or {}).items()}
        contact_numbers = {str(k): int(v) for k, v in (stored.get("contacts") or {}).items()}
        changed = not stored

        pairs = [(_clean(i), _clean(n)) for i, n in accounts]
        # Account numbers and names share one sequence, so an account and its name read alike.
        last = max([*ids.values(), *names.values(), 0])
        new_ids = sorted({i for i, _ in pairs if i is not None and i not in ids})
        rng.shuffle(new_ids)
        for offset, account_id in enumerate(new_ids, start=1):
            ids[account_id] = last + offset
        last += len(new_ids)
        for account_id, name in sorted(p for p in pairs if p[0] is not None and p[1] is not None):
            if name not in names:
                names[name] = ids[account_id]
        orphans = sorted({n for i, n in pairs if n is not None and n not in names})
        rng.shuffle(orphans)
        for offset, name in enumerate(orphans, start=1):
            names[name] = last + offset
        changed |= bool(new_ids) or bool(orphans) or len(names) != len(stored.get("names") or {})
        changed |= _extend(people, [v for v in map(_clean, persons) if v is not None], rng)
        contact_values = [v for v in map(_clean, contacts) if v is not None and v not in people]
        changed |= _extend(contact_numbers, contact_values, rng)
        width = int(stored.get("width") or 0)
        return cls(ids, names, people, contact_numbers, lang=lang, width=width), changed

    def payload(self) -> dict[str, Any]:
        """The assignment as stored in the workspace (JSON-serialisable)."""
        return {
            "version": PAYLOAD_VERSION,
            "accounts": dict(self.accounts),
            "names": dict(self.names),
            "persons": dict(self.persons),
            "contacts": dict(self.contacts),
            "width": self.width,
        }

    def with_lang(self, lang: str) -> Pseudonymiser:
        """The same assignment with labels in ``lang``."""
        return Pseudonymiser(self.accounts, self.names, self.persons, self.contacts, lang=lang, width=self.width)

    # ------------------------------------------------------------------ labels
    def _label(self, family: str, **params: Any) -> str:
        return LABELS[family][self.lang].format(**params)

    def _number(self, n: int) -> str:
        return str(n).zfill(self._width)

    def account(self, value: Any) -> Any:
        """The pseudonym of account number ``value`` (unknown values come back masked)."""
        text = _clean(value)
        if text is None:
            return value
        number = self.accounts.get(text)
        if number is None:
            number = self.names.get(text)
        return self._label("account", n=self._number(number)) if number is not None else self.unknown("account")

    def name(self, value: Any) -> Any:
        """The pseudonym of account name ``value`` (the same as its account number's)."""
        text = _clean(value)
        if text is None:
            return value
        number = self.names.get(text)
        if number is None:
            number = self.accounts.get(text)
        return self._label("account", n=self._number(number)) if number is not None else self.unknown("account")

    def person(self, value: Any) -> Any:
        """The pseudonym of salesperson / our person ``value``."""
        text = _clean(value)
        if text is None:
            return value
        k = self.persons.get(text)
        if k is not None:
            return self._label("person", x=letters(k))
        number = self.contacts.get(text)
        return self._label("contact", n=self._number(number)) if number is not None else self.unknown("person")

    def contact(self, value: Any) -> Any:
        """The pseudonym of contact ``value`` at a customer."""
        text = _clean(value)
        if text is None:
            return value
        number = self.contacts.get(text)
        if number is not None:
            return self._label("contact", n=self._number(number))
        k = self.persons.get(text)
        return self._label("person", x=letters(k)) if k is not None else self.unknown("contact")

    def unknown(self, family: str) -> str:
        """What a value the assignment does not know is shown as: the label without a number."""
        return self._label(family, n="?", x="?")

    def real_account(self, label: Any) -> str | None:
        """The real account number behind an account pseudonym in any language, or None."""
        text = _clean(label)
        if text is None:
            return None
        for lang in LANGUAGES:
            prefix, _, suffix = LABELS["account"][lang].partition("{n}")
            if text.startswith(prefix) and text.endswith(suffix):
                digits = text[len(prefix):len(text) - len(suffix)] if suffix else text[len(prefix):]
                if digits.isdigit():
                    wanted = int(digits)
                    for real, number in self.accounts.items():
                        if number == wanted:
                            return real
        return None

    # ------------------------------------------------------------------ replacing
    def _replacements(self) -> dict[str, str]:
        """Every real value (lower case) -> its pseudonym, for free text."""
        if self._by_text is None:
            out: dict[str, str] = {}
            for value in self.contacts:
                out[value.lower()] = self.contact(value)
            for value in self.persons:
                out[value.lower()] = self.person(value)
            for value in self.names:
                out[value.lower()] = self.name(value)
            for value in self.accounts:
                out[value.lower()] = self.account(value)
            # as written into HTML-aware text too (a chart label "Tangen &amp; Sørensen AS")
            out.update({html.escape(k, quote=False): v for k, v in list(out.items()) if html.escape(k, quote=False) != k})
            self._by_text = {k: v for k, v in out.items() if len(k) >= MIN_TEXT_LENGTH}
            # A text can only hold a name if one of its words is a name's first word: a set
            # look-up spares the long regular expression for almost every cell.
            self._first_words = {m.group(0) for k in self._by_text if (m := _WORD.search(k))}
        return self._by_text

    def _regex(self) -> re.Pattern[str] | None:
        if self._pattern is None:
            keys = sorted(self._replacements(), key=len, reverse=True)
            if not keys:
                return None
            # Whole words only: "Berg AS" inside "Bergen" stays; the longest name wins.
            self._pattern = re.compile(
                r"(?<!\w)(?:" + "|".join(re.escape(k) for k in keys) + r")(?!\w)", re.IGNORECASE
            )
        return self._pattern

    def text(self, s: Any) -> Any:
        """``s`` with every real account number, name, contact and salesperson replaced.

        Non-text values come back unchanged. Matching is on whole words and ignores case.
        """
        if not isinstance(s, str) or not s:
            return s
        table = self._replacements()
        if not self._first_words.intersection(_WORD.findall(s.lower())):
            return s
        pattern = self._regex()
        if pattern is None:
            return s
        replaced = pattern.sub(lambda m: table.get(m.group(0).lower(), self.unknown("account")), s)
        # "Sauda AS (010042)" became "Kunde 017 (Kunde 017)": say it once
        return _TWICE.sub(r"\1", replaced)

    def value(self, value: Any, role: str | None = None) -> Any:
        """One cell: by its role's family when the role is known (unknown values masked), else
        as free text."""
        family = ROLE_FAMILY.get(role or "")
        if family is None or _clean(value) is None:
            return self.text(value)
        return {"account": self.account, "name": self.name, "person": self.person,
                "contact": self.contact}[family](value)

    def series(self, s: pd.Series, role: str | None = None) -> pd.Series:
        """``s`` with each distinct value replaced once (fast on long columns)."""
        if s.dtype.kind in "biufcmM" or pd.api.types.is_bool_dtype(s):
            return s  # numbers, dates and flags are never names
        try:
            uniques = pd.unique(s.dropna())
        except TypeError:  # unhashable cells (lists of roles): value by value
            return s.map(lambda v: [self.value(x, role) for x in v] if isinstance(v, list | tuple)
                         else self.value(v, role))
        mapping = {u: self.value(u, role) for u in uniques}
        if all(mapping[u] == u for u in uniques):
            return s
        out = s.map(lambda v: mapping.get(v, v) if _clean(v) is not None else v)
        # Text stays text of the same kind (pandas' str dtype), so pages see what they saw before.
        return out.astype(s.dtype) if pd.api.types.is_string_dtype(s.dtype) else out

    def frame(self, df: pd.DataFrame, roles: Mapping[str, str] | None = None) -> pd.DataFrame:
        """A copy of ``df`` with real names and numbers replaced; every number unchanged.

        Columns named like a canonical role (``customer_id``, ``customer_name``, ``owner``,
        ``account``, ``contact``, ``person``) — or mapped to one in ``roles``
        (``{column: role}``, e.g. the inverse of a raw table's mapping) — are replaced value by
        value, unknown values masked; every other text column, the index and text column
        labels go through :meth:`text`.
        """
        roles = dict(roles or {})
        out = df.copy()
        new_columns = []
        for position, column in enumerate(df.columns):
            role = roles.get(column) if isinstance(column, str) else None
            if role is None and isinstance(column, str) and column in ROLE_FAMILY:
                role = column
            out.isetitem(position, self.series(df.iloc[:, position], role))
            new_columns.append(self.text(column) if isinstance(column, str) else column)
        out.columns = pd.Index(new_columns) if not isinstance(df.columns, pd.MultiIndex) else df.columns
        if out.index.dtype == object or pd.api.types.is_string_dtype(out.index):
            index_role = out.index.name if out.index.name in ROLE_FAMILY else None
            out.index = pd.Index(self.series(out.index.to_series(), index_role).to_numpy(), name=out.index.name)
        return out


    def item(self, item: Any) -> Any:
        """A copy of one plan item (``kamcore.plans`` Objective, Action or StrategyNotes):
        ``account`` pseudonymised, ``owner`` as a person, every other text field through
        :meth:`text`; ids, dates, numbers, metrics and statuses unchanged."""
        update: dict[str, Any] = {}
        for name, value in item:
            if name == "account":
                update[name] = self.account(value)
            elif name in PLAN_PERSON_FIELDS:
                update[name] = self.person(value) if _clean(value) else value
            elif name in PLAN_TEXT_FIELDS and isinstance(value, str):
                update[name] = self.text(value)
        return item.model_copy(update=update)

    def plan(self, plan: Any) -> Any:
        """A copy of a ``kamcore.plans.Plan`` with pseudonyms (see :meth:`item`)."""
        return plan.model_copy(update={
            "account": self.account(plan.account),
            "objectives": [self.item(o) for o in plan.objectives],
            "actions": [self.item(a) for a in plan.actions],
            "notes": self.item(plan.notes) if plan.notes is not None else None,
        })


# ---------------------------------------------------------------------- the workspace
def collect(ws: Any) -> tuple[list[tuple[str | None, str | None]], list[str], list[str]]:
    """Account (number, name) pairs, persons and contacts found in ``ws``'s tables and plans."""
    pairs: list[tuple[str | None, str | None]] = []
    persons: list[str] = []
    contacts: list[str] = []
    for info in ws.tables():
        roles = info.mapping.roles
        wanted = {role: column for role, column in roles.items() if role in ROLE_FAMILY}
        if not wanted:
            continue
        raw = ws.read_table(info.name)
        id_column = wanted.get("customer_id") or wanted.get("account")
        name_column = wanted.get("customer_name")
        if id_column or name_column:
            cols = [c for c in (id_column, name_column) if c]
            distinct = raw[cols].drop_duplicates()
            ids = distinct[id_column].map(_clean) if id_column else [None] * len(distinct)
            names = distinct[name_column].map(_clean) if name_column else [None] * len(distinct)
            pairs.extend(zip(ids, names, strict=True))
        for role in ("owner", "person"):
            if role in wanted:
                persons.extend(v for v in map(_clean, pd.unique(raw[wanted[role]].dropna())) if v)
        if "contact" in wanted:
            contacts.extend(v for v in map(_clean, pd.unique(raw[wanted["contact"]].dropna())) if v)
    persons.extend(plan_persons(ws))
    return pairs, persons, contacts


def plan_persons(ws: Any) -> list[str]:
    """Names typed into account plans as owners of objectives and actions."""
    found: list[str] = []
    plan_items = getattr(ws, "plan_items", None)
    if plan_items is None:
        return found
    for kind in ("objective", "action"):
        for item in plan_items(kind):
            for name in PLAN_PERSON_FIELDS:
                value = _clean((item.get("payload") or {}).get(name))
                if value:
                    found.append(value)
    return found


def for_workspace(ws: Any, lang: str = "en") -> Pseudonymiser:
    """The workspace's stable pseudonymiser: its stored assignment, extended to new values.

    The assignment lives in ``ws`` as the saved object ``("anonymise", "pseudonyms")``; values
    seen for the first time get random new numbers and the assignment is saved again. When the
    workspace cannot be written, the extension is used for this call only.
    """
    stored = ws.load_object(OBJECT_KIND, OBJECT_NAME)
    pairs, persons, contacts = collect(ws)
    pseudo, changed = Pseudonymiser.from_values(pairs, persons, contacts, lang=lang, payload=stored)
    if changed:
        ws.save_object(OBJECT_KIND, OBJECT_NAME, pseudo.payload(), user="kamstudio")
        # Two sessions may extend at the same moment: whichever wrote last is what both use.
        again = ws.load_object(OBJECT_KIND, OBJECT_NAME)
        if again is not None and again != pseudo.payload():
            pseudo, _ = Pseudonymiser.from_values(pairs, persons, contacts, lang=lang, payload=again)
    return pseudo


def number_width(n_values: int) -> int:
    """Digits a pseudonym number gets when ``n_values`` values are numbered (at least three).

    >>> number_width(400), number_width(999), number_width(1000), number_width(12345)
    (3, 3, 4, 5)
    """
    return max(3, int(math.log10(max(n_values, 1))) + 1)
