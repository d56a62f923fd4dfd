"""kamcore.anonymise: stable, random pseudonyms; numbers untouched; free text cleaned."""

from __future__ import annotations

import datetime as dt
import doctest
import secrets
import shutil
from pathlib import Path

import pandas as pd
import pytest

from kamcore import anonymise
from kamcore.anonymise import Pseudonymiser, for_workspace
from kamcore.db import Workspace
from kamcore.demo import DEMO_TABLES, build_demo_workspace
from kamcore.ingest import load_file
from kamcore.plans import Action, save_item


class Reverse:
    """A predictable stand-in for SystemRandom: 'shuffles' by reversing (sorted input)."""

    def shuffle(self, values: list) -> None:
        values.reverse()


def small() -> Pseudonymiser:
    pseudo, changed = Pseudonymiser.from_values(
        [("002", "Beta AS"), ("001", "Alfa AS"), ("003", None), ("001", "Alfa AS")],
        persons=["Per Hansen", "Kari Berg", "Per Hansen"],
        contacts=["Ola Nordmann"],
        lang="nb",
        rng=Reverse(),
    )
    assert changed
    return pseudo


def test_doctests() -> None:
    assert doctest.testmod(anonymise).failed == 0


def test_assignment_follows_the_shuffle_and_names_share_their_account_number() -> None:
    pseudo = small()
    # sorted new ids 001, 002, 003 reversed -> 003 gets 1, 002 gets 2, 001 gets 3
    assert pseudo.accounts == {"003": 1, "002": 2, "001": 3}
    assert pseudo.names == {"Alfa AS": 3, "Beta AS": 2}
    assert pseudo.persons == {"Per Hansen": 1, "Kari Berg": 2}
    assert pseudo.contacts == {"Ola Nordmann": 1}
    assert pseudo.account("001") == "Kunde 003"
    assert pseudo.name("Alfa AS") == "Kunde 003"
    assert pseudo.person("Per Hansen") == "Selger A"
    assert pseudo.person("Kari Berg") == "Selger B"
    assert pseudo.contact("Ola Nordmann") == "Kontakt 001"


@pytest.mark.parametrize(
    ("lang", "account", "person", "contact"),
    [
        ("en", "Customer 002", "Salesperson B", "Contact 001"),
        ("nb", "Kunde 002", "Selger B", "Kontakt 001"),
        ("sv", "Kund 002", "Säljare B", "Kontakt 001"),
        ("qps", "Customer 002", "Salesperson B", "Contact 001"),  # unknown language reads as English
    ],
)
def test_labels_per_language(lang: str, account: str, person: str, contact: str) -> None:
    pseudo = small().with_lang(lang)
    assert (pseudo.account("002"), pseudo.person("Kari Berg"), pseudo.contact("Ola Nordmann")) == (
        account, person, contact)
    # the label leads back to the real number in every language
    assert pseudo.real_account(account) == "002"


def test_real_account_refuses_what_is_not_a_pseudonym() -> None:
    pseudo = small()
    assert pseudo.real_account("Kunde 099") is None
    assert pseudo.real_account("001") is None
    assert pseudo.real_account("Kunde abc") is None
    assert pseudo.real_account(None) is None


def test_unknown_values_in_role_columns_are_masked_missing_stay_missing() -> None:
    pseudo = small()
    assert pseudo.account("999") == "Kunde ?"
    assert pseudo.person("Nobody") == "Selger ?"
    assert pseudo.account(None) is None
    assert pd.isna(pseudo.account(float("nan")))


def test_frame_replaces_role_columns_and_text_but_never_numbers() -> None:
    pseudo = small()
    df = pd.DataFrame({
        "customer_id": ["001", "002", "003", "777", None],
        "customer_name": ["Alfa AS", "Beta AS", None, "Ukjent AS", None],
        "owner": ["Per Hansen", "Kari Berg", "Per Hansen", "Per Hansen", None],
        "revenue": [100.5, 200.25, 300.0, 1.0, 2.0],
        "order_id": ["001", "A-9", "x", "y", "z"],
        "note": ["Ring Ola Nordmann", "alfa as kjøper", "Alfa ASA er noe annet", "", None],
    }, index=pd.Index(["a", "b", "c", "d", "e"]))
    before = df.copy()
    out = pseudo.frame(df)
    pd.testing.assert_frame_equal(df, before)  # the input is left alone
    def shown(column: str) -> list:
        return [None if pd.isna(v) else v for v in out[column]]

    assert shown("customer_id") == ["Kunde 003", "Kunde 002", "Kunde 001", "Kunde ?", None]
    assert shown("customer_name") == ["Kunde 003", "Kunde 002", None, "Kunde ?", None]
    assert shown("owner") == ["Selger A", "Selger B", "Selger A", "Selger A", None]
    assert out["customer_id"].dtype == df["customer_id"].dtype
    assert out["revenue"].tolist() == [100.5, 200.25, 300.0, 1.0, 2.0]
    # a text column: whole words only, case ignored ("Alfa ASA" is another word)
    assert out["order_id"].tolist() == ["Kunde 003", "A-9", "x", "y", "z"]
    assert shown("note") == ["Ring Kontakt 001", "Kunde 003 kjøper", "Alfa ASA er noe annet", "", None]
    assert out.index.tolist() == ["a", "b", "c", "d", "e"]


def test_frame_with_roles_for_raw_columns_labels_and_index() -> None:
    pseudo = small().with_lang("en")
    raw = pd.DataFrame({"Kundenr": ["002", "001"], "Selger": ["Kari Berg", "Per Hansen"], "Beløp": [5, 7]})
    out = pseudo.frame(raw, roles={"Kundenr": "customer_id", "Selger": "owner"})
    assert out.to_dict("list") == {
        "Kundenr": ["Customer 002", "Customer 003"], "Selger": ["Salesperson B", "Salesperson A"], "Beløp": [5, 7]}
    # a pivot: accounts as index and as column labels
    pivot = pd.DataFrame({"Alfa AS": [1.0], "Beta AS": [2.0]}, index=pd.Index(["001"], name="customer_id"))
    out = pseudo.frame(pivot)
    assert out.columns.tolist() == ["Customer 003", "Customer 002"]
    assert out.index.tolist() == ["Customer 003"]
    assert out.to_numpy().tolist() == [[1.0, 2.0]]


def test_text_longest_name_wins_and_non_text_passes() -> None:
    pseudo, _ = Pseudonymiser.from_values([("1", "Berg"), ("2", "Berg Bygg AS")], lang="nb", rng=Reverse())
    assert pseudo.text("Berg Bygg AS og Berg, ikke Bergen") == "Kunde 001 og Kunde 002, ikke Bergen"
    assert pseudo.text(12.5) == 12.5
    assert pseudo.text(None) is None
    assert pseudo.text("") == ""


def test_name_with_its_number_reads_once() -> None:
    pseudo = small()
    assert pseudo.text("Alfa AS (001)") == "Kunde 003"
    assert pseudo.text("001 · Alfa AS og Beta AS (002)") == "Kunde 003 og Kunde 002"
    assert pseudo.text("Alfa AS (002)") == "Kunde 003 (Kunde 002)"  # two accounts stay two


def test_html_escaped_names_in_chart_labels_are_found() -> None:
    pseudo, _ = Pseudonymiser.from_values([("9", "Tangen & Sørensen AS")], lang="nb", rng=Reverse())
    assert pseudo.text("<b>Tangen &amp; Sørensen AS</b><br>12 %") == "<b>Kunde 001</b><br>12 %"


def test_plan_copy_has_pseudonyms_and_the_same_dates_and_numbers() -> None:
    from kamcore.plans import Objective, Plan, StrategyNotes

    pseudo = small()
    objective = Objective(account="001", title="Mer salg til Alfa AS", metric="revenue", target=5.0,
                          start=dt.date(2026, 1, 1), due=dt.date(2026, 6, 30), owner="Kari Berg")
    action = Action(account="001", what="Ring Ola Nordmann", owner="Nils Ukjent", due=dt.date(2026, 2, 1),
                    objective_id=objective.id)
    plan = Plan(account="001", objectives=[objective], actions=[action],
                notes=StrategyNotes(account="001", threats="Beta AS tar over"))
    out = pseudo.plan(plan)
    assert out.account == "Kunde 003"
    o = out.objectives[0]
    assert (o.account, o.title, o.owner, o.target, o.start, o.due, o.id) == (
        "Kunde 003", "Mer salg til Kunde 003", "Selger B", 5.0, dt.date(2026, 1, 1), dt.date(2026, 6, 30), objective.id)
    a = out.actions[0]
    assert (a.what, a.owner, a.due, a.objective_id) == ("Ring Kontakt 001", "Selger ?", dt.date(2026, 2, 1), objective.id)
    assert out.notes.threats == "Kunde 002 tar over"
    assert plan.objectives[0].title == "Mer salg til Alfa AS"  # the original is unchanged


def test_short_values_are_not_searched_in_text() -> None:
    pseudo, _ = Pseudonymiser.from_values([("7", "AS")], persons=["Bo"], lang="nb", rng=Reverse())
    assert pseudo.text("Avtale 7 med AS og Bo") == "Avtale 7 med AS og Bo"
    assert pseudo.account("7") == "Kunde 001"  # in a role column it is still replaced


def test_extension_keeps_every_existing_pseudonym() -> None:
    first = small()
    grown, changed = Pseudonymiser.from_values(
        [("001", "Alfa AS"), ("004", "Delta AS"), ("005", None)], persons=["Per Hansen", "Nils Li"],
        contacts=["Ola Nordmann"], lang="nb", payload=first.payload(), rng=Reverse())
    assert changed
    assert {k: grown.accounts[k] for k in first.accounts} == first.accounts
    assert {k: grown.names[k] for k in first.names} == first.names
    # 004, 005 reversed -> 005 gets 4, 004 gets 5; Delta AS follows 004
    assert (grown.accounts["005"], grown.accounts["004"], grown.names["Delta AS"]) == (4, 5, 5)
    assert grown.persons == {"Per Hansen": 1, "Kari Berg": 2, "Nils Li": 3}
    same, changed_again = Pseudonymiser.from_values(
        [("001", "Alfa AS")], persons=["Nils Li"], lang="nb", payload=grown.payload(), rng=Reverse())
    assert not changed_again
    assert same.payload() == grown.payload()


def test_width_is_fixed_when_the_assignment_is_made() -> None:
    first, _ = Pseudonymiser.from_values([("1", None)], rng=Reverse())
    assert first.account("1") == "Customer 001"
    grown, _ = Pseudonymiser.from_values([(str(i), None) for i in range(1, 1201)], payload=first.payload())
    assert grown.account("1") == "Customer 001"
    assert max(grown.accounts.values()) == 1200
    fresh, _ = Pseudonymiser.from_values([(str(i), None) for i in range(1, 1201)])
    assert fresh.width == 4
    assert fresh.account("1") == f"Customer {fresh.accounts['1']:04d}"


def test_numbers_are_random_not_in_name_order() -> None:
    pairs = [(f"{i:06d}", f"Firma {i:03d} AS") for i in range(400)]
    one, _ = Pseudonymiser.from_values(pairs, rng=secrets.SystemRandom())
    two, _ = Pseudonymiser.from_values(pairs, rng=secrets.SystemRandom())
    assert sorted(one.accounts.values()) == list(range(1, 401))  # a permutation of 1..400
    order = [one.accounts[i] for i, _ in pairs]
    # the chance that a random permutation of 400 keeps the sorted order (or another's) is nil
    assert order != sorted(order)
    assert one.accounts != two.accounts


# ------------------------------------------------------------------------- the workspace
@pytest.fixture(scope="module")
def demo_built(tmp_path_factory: pytest.TempPathFactory, demo_dir: Path) -> Path:
    return build_demo_workspace(tmp_path_factory.mktemp("anon") / "demo.duckdb", demo_dir)


@pytest.fixture
def demo_ws(demo_built: Path, tmp_path: Path):
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_built, path)
    with Workspace.open(path) as ws:
        yield ws


def demo_values(demo_dir: Path) -> tuple[set[str], set[str], set[str], set[str]]:
    """Account numbers, account names, persons and contacts in the demo files (read here)."""
    ids: set[str] = set()
    names: set[str] = set()
    persons: set[str] = set()
    contacts: set[str] = set()
    for file_name, _kind, roles in DEMO_TABLES.values():
        frame = load_file(demo_dir / file_name).tables[0].data
        for role, column in roles.items():
            values = {str(v) for v in frame[column].dropna()}
            if role in ("customer_id", "account"):
                ids |= values
            elif role == "customer_name":
                names |= values
            elif role in ("owner", "person"):
                persons |= values
            elif role == "contact":
                contacts |= values
    return ids, names, persons, contacts


def test_for_workspace_covers_every_demo_value_and_is_stored(demo_ws: Workspace, demo_dir: Path) -> None:
    ids, names, persons, contacts = demo_values(demo_dir)
    assert len(ids) == 400 and len(persons) >= 10 and len(contacts) >= 20
    pseudo = for_workspace(demo_ws, lang="nb")
    assert set(pseudo.accounts) == ids
    assert set(pseudo.names) == names
    assert set(pseudo.persons) == persons
    assert set(pseudo.contacts) == contacts - persons
    assert sorted(pseudo.accounts.values()) == list(range(1, 401))
    assert demo_ws.load_object("anonymise", "pseudonyms") == pseudo.payload()
    again = for_workspace(demo_ws, lang="en")
    assert again.payload() == pseudo.payload()
    some = sorted(ids)[17]
    assert again.account(some).removeprefix("Customer ") == pseudo.account(some).removeprefix("Kunde ")


def test_for_workspace_survives_reopening(demo_built: Path, tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    shutil.copy(demo_built, path)
    with Workspace.open(path) as ws:
        first = for_workspace(ws).payload()
    with Workspace.open(path) as ws:
        assert for_workspace(ws).payload() == first
    other = tmp_path / "other.duckdb"
    shutil.copy(demo_built, other)
    with Workspace.open(other) as ws:
        # another workspace built from the same names gets its own random assignment
        assert for_workspace(ws).payload()["accounts"] != first["accounts"]


def test_plan_owners_get_pseudonyms(demo_ws: Workspace) -> None:
    account = demo_ws.read_table("customers")["Kundenr"].iloc[0]
    before = for_workspace(demo_ws)
    save_item(demo_ws, Action(account=account, what="Møte med Nora Nyansatt", owner="Nora Nyansatt",
                                 due=dt.date(2026, 12, 24)), user="t")
    after = for_workspace(demo_ws)
    assert "Nora Nyansatt" not in before.persons
    assert after.persons["Nora Nyansatt"] == len(before.persons) + 1
    assert {k: after.persons[k] for k in before.persons} == before.persons
    assert after.text("Møte med Nora Nyansatt") == f"Møte med Salesperson {anonymise.letters(len(before.persons) + 1)}"


def test_demo_frame_totals_unchanged_and_no_real_value_left(demo_ws: Workspace, demo_dir: Path) -> None:
    from kamcore.tables import canonical

    pseudo = for_workspace(demo_ws, lang="nb")
    sales = canonical(demo_ws.read_table("transactions"), demo_ws.table_info("transactions").mapping)
    out = pseudo.frame(sales)
    assert out["revenue"].sum() == sales["revenue"].sum()
    real = sales.groupby("customer_id")["revenue"].sum().sort_values(kind="stable")
    fake = out.groupby("customer_id")["revenue"].sum().sort_values(kind="stable")
    assert fake.to_numpy().tolist() == real.to_numpy().tolist()
    assert len(fake) == 400
    ids, names, persons, contacts = demo_values(demo_dir)
    shown = set(out.astype(str).to_numpy().ravel())
    assert not shown & (ids | names | persons | contacts)
