"""AppTest for the Buying centre page: each planted demo story surfaces; edits persist with who and when."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.app.pseudo import untranslated

WHALE, DIAMOND, DECIDER_LEFT, NO_SPONSOR = "027522", "051587", "021695", "032695"


def assert_clean(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def table_with(at, column: str):
    """The one table on the page with ``column`` (AppTest does not expose dataframe keys)."""
    found = [df.value for df in at.dataframe if column in df.value.columns]
    assert len(found) == 1, column
    return found[0]


def row_of(table, account: str) -> dict:
    matches = table[table["Account"].str.endswith(f"({account})")]
    assert len(matches) == 1, account
    return matches.iloc[0].to_dict()


def test_the_list_shows_who_hangs_by_one_thread_and_the_revenue(make_app):
    at = make_app("relationships")
    assert_clean(at)
    cards = {m.label: m.value for m in at.metric}
    assert cards["Key accounts"] == "20"
    table = table_with(at, "Revenue at risk (NOK)")
    # the whale is on top: the largest revenue at risk, one thread, held by its account manager
    top = table.iloc[0].to_dict()
    assert top["Account"].endswith(f"({WHALE})")
    assert (top["Model"], top["One thread"], top["The thread"]) == ("Bow-tie", True, "Ingrid Solberg")
    assert top["Revenue at risk (NOK)"] == top["Revenue 12 months (NOK)"] > 20_000_000
    # the headline is the sum of the single-threaded accounts' revenue
    single = table[table["One thread"]]
    assert cards["Hang by one thread"] == str(len(single))
    assert cards["Revenue at risk, 12 months (NOK)"] == f"{round(single['Revenue at risk (NOK)'].sum()):,}"
    assert table.loc[~table["One thread"], "Revenue at risk (NOK)"].eq(0).all()


def test_each_planted_story_surfaces_in_the_list(make_app):
    at = make_app("relationships")
    table = table_with(at, "Revenue at risk (NOK)")
    diamond = row_of(table, DIAMOND)
    assert (diamond["Model"], diamond["Risks"], diamond["Coverage"]) == ("Diamond", "–", 100)
    left = row_of(table, DECIDER_LEFT)
    assert (left["Decider covered"], left["Risks"]) == (False, "Decider left")
    sponsor = row_of(table, NO_SPONSOR)
    assert (sponsor["Executive sponsor"], sponsor["Risks"]) == (False, "No executive sponsor")


def test_filters_narrow_the_list(make_app):
    at = make_app("relationships")
    at.toggle(key="relationships.only_single").set_value(True).run()
    assert_clean(at)
    table = table_with(at, "Revenue at risk (NOK)")
    assert len(table) == 10 and table["One thread"].all()
    at.toggle(key="relationships.only_single").set_value(False).run()
    at.multiselect(key="relationships.risks").set_value(["decider_left"]).run()
    table = table_with(at, "Revenue at risk (NOK)")
    assert [a[-7:-1] for a in table["Account"]] == [DECIDER_LEFT]
    at.multiselect(key="relationships.risks").set_value([]).run()
    at.multiselect(key="relationships.models").set_value(["diamond"]).run()
    table = table_with(at, "Revenue at risk (NOK)")
    assert set(table["Model"]) == {"Diamond"} and DIAMOND in "".join(table["Account"])


def test_the_account_map_shows_the_story(make_app):
    at = make_app("relationships")
    # the picker opens on the largest revenue at risk: the whale's bow-tie
    assert at.selectbox(key="relationships.account").value == WHALE
    assert at.get("plotly_chart"), "the map is drawn"
    assert [w.value for w in at.warning] == [
        "- Every link runs through one of our people.\n"
        "- Every link runs to one of their people.\n"
        "- No executive of ours is linked to the account."
    ]
    at.selectbox(key="relationships.account").set_value(DECIDER_LEFT).run()
    assert_clean(at)
    assert [w.value for w in at.warning] == [
        "- The decider we knew has left, and no other decider is covered."
    ]
    contacts = table_with(at, "Status")
    assert sorted(contacts["Status"]) == ["Left 14 Aug 2026", "Still there", "Still there"]
    at.selectbox(key="relationships.account").set_value(DIAMOND).run()
    assert [s.value for s in at.success] == ["No relationship risk found."]
    assert {m.label: m.value for m in at.metric}["Model"] == "Diamond"


def test_marking_the_whales_contact_as_left_is_saved_with_who_and_when(make_app, demo_root):
    at = make_app("relationships")
    at.segmented_control(key="relationships.edit_kind").set_value("contacts").run()
    contact = at.selectbox(key="relationships.c_pick").options[1]  # the first of the whale's contacts
    at.selectbox(key="relationships.c_pick").set_value(contact).run()
    # the form opens with the contact's current values: still there
    assert at.checkbox(key="relationships.c_1.left").value is False
    at.checkbox(key="relationships.c_1.left").check()
    at.date_input(key="relationships.c_1.left_on").set_value(dt.date(2026, 10, 1))
    at.button[[b.label for b in at.button].index("Save")].click().run()
    assert_clean(at)
    history = table_with(at, "Who")
    assert len(history) == 1
    assert history.iloc[0]["Who"] == "local"
    assert history.iloc[0]["Row"] == f"{WHALE} / {contact}"
    assert "left_on=2026-10-01" in history.iloc[0]["Values"]
    # persisted in the workspace: a fresh session sees it
    at2 = make_app("relationships")
    at2.selectbox(key="relationships.account").set_value(WHALE).run()
    contacts = table_with(at2, "Status")
    status = dict(zip(contacts["Contact"], contacts["Status"], strict=True))
    assert status[contact] == "Left 1 Oct 2026"


@pytest.mark.parametrize("lang", ["nb", "sv"])
def test_page_in_norwegian_and_swedish(make_app, lang):
    at = make_app("relationships", lang=lang)
    assert_clean(at)
    assert at.title[0].value == {"nb": "Kjøpssenter", "sv": "Köpcentrum"}[lang]
    table = at.dataframe[0].value
    assert table.iloc[0, 1] == {"nb": "Sløyfe (bow-tie)", "sv": "Fluga (bow-tie)"}[lang]


def test_every_label_comes_from_the_catalogue(make_app):
    at = make_app("relationships", lang="qps")
    assert_clean(at)
    assert untranslated(at) == []


NB_CONTACT_EXPORT = (
    "\ufeffFirma;Kontaktperson;Stilling;Rolle i kjøpssenter;Innflytelse;Holdning;Sist kontaktet;Sluttet\r\n"
    "Bergen Bygg AS;Hilde Rød;Innkjøpssjef;Innkjøper, beslutningstaker;5;Tilhenger;02.10.2026;\r\n"
    "Bergen Bygg AS;Per Lund;Driftssjef;bruker;3;nøytral;15.03.2026;\r\n"
    "Voss El AS;Siri Haug;Daglig leder;beslutningstaker;4;tilhenger;;\r\n"
).encode("utf-8")


def test_a_norwegian_crm_contact_export_goes_in_through_the_data_page(make_app, demo_root):
    import hashlib

    from kamcore import db

    at = make_app("data")
    at.file_uploader(key="data.upload").upload("kontakter.csv", NB_CONTACT_EXPORT, "text/csv").run()
    assert_clean(at)
    prefix = f"data.pending.{hashlib.sha256(NB_CONTACT_EXPORT).hexdigest()[:12]}.kontakter"
    # the same quality report as sales data
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Rows read"], metrics["Rows kept"], metrics["Rows rejected"]) == ("3", "3", "0")
    # the guessed kind and mapping, shown with the buying-centre roles
    assert at.segmented_control(key=f"{prefix}.kind").value == "contacts"
    assert at.selectbox(key=f"{prefix}.map.role.account").value == "Firma"
    assert at.selectbox(key=f"{prefix}.map.role.roles").value == "Rolle i kjøpssenter"
    assert at.selectbox(key=f"{prefix}.map.role.left_on").value == "Sluttet"
    assert at.selectbox(key=f"{prefix}.map.role.attitude").label == "Attitude to us"
    at.text_input(key=f"{prefix}.name").input("crm kontakter").run()
    at.button(key=f"{prefix}.import").click().run()
    assert_clean(at)
    with db.Workspace.open(db.workspace_path(demo_root, "demo")) as ws:
        info = ws.table_info("crm kontakter")
        assert (info.kind.value, info.n_rows) == ("contacts", 3)
        assert info.mapping.roles == {
            "account": "Firma",
            "contact": "Kontaktperson",
            "title": "Stilling",
            "roles": "Rolle i kjøpssenter",
            "influence": "Innflytelse",
            "attitude": "Holdning",
            "last_contact": "Sist kontaktet",
            "left_on": "Sluttet",
        }
    # the Buying centre page now works from the imported contacts (nobody of ours is linked to them yet)
    at.session_state["app.start_page"] = "relationships"
    at.run()
    assert_clean(at)
    assert {m.label: m.value for m in at.metric}["Key accounts"] == "2"
    table = table_with(at, "Revenue at risk (NOK)")
    assert sorted(table["Account"]) == ["Bergen Bygg AS", "Voss El AS"]
    assert set(table["Risks"]) == {"No link"}


def test_names_from_a_crm_file_are_shown_literally_never_as_markup(demo_root):
    import json
    from pathlib import Path

    import pandas as pd

    from kamcore.db import Workspace, workspace_path
    from tests.app.conftest import APP, RouterAppTest

    img = '<img src=x onerror="alert(1)">'
    with Workspace.open(workspace_path(demo_root, "xss")) as ws:
        ws.import_table(
            "kontakter",
            pd.DataFrame(
                {
                    "Kundenr": ["K1", "K1"],
                    "Kontaktperson": [img, "**Bo**"],
                    "Stilling": [img, "x"],
                    "Roller": ["beslutningstaker", "innkjøper"],
                }
            ),
            kind="contacts",
            mapping={
                "account": "Kundenr",
                "contact": "Kontaktperson",
                "title": "Stilling",
                "roles": "Roller",
            },
        )
        ws.import_table(
            "folk", pd.DataFrame({"Medarbeider": [img]}), kind="people", mapping={"person": "Medarbeider"}
        )
        ws.import_table(
            "koblinger",
            pd.DataFrame({"Vår person": [img, img], "Kontaktperson": [img, "**Bo**"]}),
            kind="links",
            mapping={"person": "Vår person", "contact": "Kontaktperson"},
        )
    at = RouterAppTest(Path(APP), default_timeout=60)
    at.session_state["lang"] = "en"
    at.session_state["workspace_name"] = "xss"
    at.session_state["app.start_page"] = "relationships"
    at.run()
    assert_clean(at)
    specs = [json.dumps(json.loads(node.proto.spec)) for node in at.get("plotly_chart")]
    assert len(specs) == 1
    assert "<img" not in specs[0] and "&lt;img src=x" in specs[0]
    for element in (*at.warning, *at.success, *at.info, *at.caption, *at.markdown):
        assert img not in str(element.value) and "**Bo**" not in str(element.value)
    contacts = table_with(at, "Status")
    assert sorted(contacts["Contact"]) == ["**Bo**", img]  # the table shows the text as it is


def test_the_sidebar_filter_on_account_manager_narrows_the_list(make_app):
    at = make_app("relationships")
    at.multiselect(key="filters.owner").select("Ingrid Solberg").run()
    assert_clean(at)
    table = table_with(at, "Revenue at risk (NOK)")
    # the whale is Ingrid's; the list holds only her accounts
    assert table.iloc[0]["Account"].endswith(f"({WHALE})")
    assert DIAMOND not in "".join(table["Account"])
    assert {m.label: m.value for m in at.metric}["Key accounts"] == str(len(table))


def _largest_account_without_contacts(root) -> tuple[str, float]:
    """The account with the most revenue in the 12 months to 31 Oct 2026 that has no contact recorded."""
    import pandas as pd

    from kamcore import db
    from kamcore.tables import canonical

    with db.Workspace.open(db.workspace_path(root, "demo")) as ws:
        names = {info.kind.value: info.name for info in ws.tables()}
        contacts = ws.read_table(names["contacts"])
        known = set(contacts[ws.table_info(names["contacts"]).mapping.roles["account"]].astype(str))
        txn = canonical(ws.read_table("transactions"), ws.table_info("transactions").mapping)
    recent = txn[(txn["date"] > pd.Timestamp("2025-10-31")) & (txn["date"] <= pd.Timestamp("2026-10-31"))]
    totals = recent.groupby(recent["customer_id"].astype(str))["revenue"].sum()
    totals = totals[~totals.index.isin(known)].sort_values(ascending=False)
    return totals.index[0], float(totals.iloc[0])


def test_a_shortlisted_account_where_we_know_nobody_is_the_biggest_risk(make_app, demo_root):
    from kamcore import db

    uncovered, revenue = _largest_account_without_contacts(demo_root)
    with db.Workspace.open(db.workspace_path(demo_root, "demo")) as ws:
        ws.save_object("shortlist", "customers", {"customer_ids": [WHALE, uncovered],
                                                  "saved_at": "2026-06-01T09:00:00+00:00"}, user="leader")
    at = make_app("relationships")
    assert_clean(at)
    cards = {m.label: m.value for m in at.metric}
    assert (cards["Key accounts"], cards["No coverage"], cards["Hang by one thread"]) == ("21", "1", "10")
    table = table_with(at, "Revenue at risk (NOK)")
    row = row_of(table, uncovered)
    assert (row["Model"], row["Risks"], row["Coverage"], row["On the shortlist"]) == ("No link", "No link", 0, True)
    assert row["Revenue at risk (NOK)"] == row["Revenue 12 months (NOK)"] == round(revenue)
    single = table[table["One thread"]]
    at_risk = single["Revenue at risk (NOK)"].sum() + row["Revenue at risk (NOK)"]  # rows rounded to the krone
    assert abs(int(cards["Revenue at risk, 12 months (NOK)"].replace(",", "")) - at_risk) <= (len(single) + 1) / 2
    # only the shortlist: the whale and the uncovered account
    at.toggle(key="relationships.only_shortlist").set_value(True).run()
    table = table_with(at, "Revenue at risk (NOK)")
    assert sorted(a[-7:-1] for a in table["Account"]) == sorted([WHALE, uncovered])
    # the map of the uncovered account says so
    at.selectbox(key="relationships.account").set_value(uncovered).run()
    assert_clean(at)
    assert [w.value for w in at.warning] == ["- Nobody of ours has a recorded contact at the account."]


def test_remove_a_wrong_link_and_mark_one_of_ours_as_left(make_app, demo_root):
    at = make_app("relationships")
    # the diamond: four of ours with four of theirs
    at.selectbox(key="relationships.account").set_value(DIAMOND).run()
    at.segmented_control(key="relationships.edit_kind").set_value("links").run()
    links = at.selectbox(key="relationships.l_pick").options
    assert links[1:] == ["Camilla Berg → Heidi Andersen", "Kristin Aas → Knut Iversen", "Nina Fossum → Randi Eriksen",
                         "Sigrid Ødegård → Gro Tveit", "Sigrid Ødegård → Knut Iversen"]  # data/demo/contact_links.csv
    wrong = links[1]
    at.selectbox(key="relationships.l_pick").set_value(wrong).run()
    at.button(key="relationships.l_1.remove").click().run()
    assert_clean(at)
    assert wrong not in at.selectbox(key="relationships.l_pick").options
    # one of ours leaves the company
    at.segmented_control(key="relationships.edit_kind").set_value("people").run()
    person = wrong.split(" → ")[0]
    at.selectbox(key="relationships.p_pick").set_value(person).run()
    idx = at.selectbox(key="relationships.p_pick").options.index(person)
    assert at.checkbox(key=f"relationships.p_{idx}.left").value is False
    at.checkbox(key=f"relationships.p_{idx}.left").check()
    at.date_input(key=f"relationships.p_{idx}.left_on").set_value(dt.date(2026, 10, 1))
    at.button[[b.label for b in at.button].index("Save")].click().run()
    assert_clean(at)
    history = table_with(at, "Who")
    assert history["Who"].tolist() == ["local", "local"]
    assert history["Change"].tolist() == ["added or changed", "removed"]
    assert history["Row"].tolist() == ["Camilla Berg", f"{DIAMOND} / Camilla Berg / Heidi Andersen"]
    assert "left_on=2026-10-01" in history.iloc[0]["Values"]
    # persisted: a new session sees the diamond without that person's links
    at2 = make_app("relationships")
    at2.selectbox(key="relationships.account").set_value(DIAMOND).run()
    assert_clean(at2)
    cards = {m.label: m.value for m in at2.metric}
    # three of ours (Kristin, Nina, Sigrid) with three of theirs (Knut, Randi, Gro): still a diamond
    assert (cards["Our people linked"], cards["Their contacts"], cards["Model"]) == ("3", "4", "Diamond")


def test_a_row_of_the_list_opens_the_key_account_page(make_app):
    at = make_app("relationships")
    table = table_with(at, "Revenue at risk (NOK)")
    assert table.iloc[0]["Account"].endswith(f"({WHALE})")
    # AppTest cannot click a grid row: it sets the selection the browser would send
    at.session_state["relationships.list"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert_clean(at)
    assert at.title[0].value == "Key account"
    assert at.selectbox(key="account.pick").value == WHALE


@pytest.mark.parametrize("with_master", [True, False])
def test_account_names_of_the_shown_accounts_are_those_of_every_account(monkeypatch, with_master):
    """The page names only the accounts it shows (issue 19: no roll-up of every account of a
    million transactions for a few names); they are the names ``data.accounts`` gives."""
    import pandas as pd

    from kamcore import tables
    from ui import data
    from ui import relationships as ui_rel

    txn = pd.DataFrame({"customer_id": pd.array(["1", "2", "1", "3", None, "2"], dtype="str"),
                        "customer_name": pd.array(["Old One", "Two", "One AS", None, "Nobody", None], dtype="str"),
                        "revenue": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    master = pd.DataFrame({"customer_id": pd.array(["2", "1", "2"], dtype="str"),
                           "customer_name": pd.array(["Two AB", "One", "Two again"], dtype="str")})
    monkeypatch.setattr(data, "active_table", lambda kind: "customers" if with_master and kind == "accounts" else None)
    monkeypatch.setattr(data, "canonical_table", lambda name: master)
    monkeypatch.setattr(data, "transactions", lambda filtered=True: txn)
    # data.accounts(filtered=False): the accounts table merged with the roll-up, or the roll-up
    monkeypatch.setattr(data, "accounts", lambda filtered=True: tables.merge_accounts(
        master.drop_duplicates("customer_id"), txn) if with_master else tables.derive_accounts(txn))
    every = ui_rel.account_names()
    shown = ui_rel.account_names(["1", "3", "9"])
    assert shown == {k: v for k, v in every.items() if k in ("1", "3", "9")}
    if with_master:  # the accounts table's name wins; 3 and 9 are not in it
        assert shown == {"1": "One"}
    else:  # the last name on the account's lines; 3 has none, 9 no lines
        assert set(shown) == {"1", "3"} and shown["1"] == "One AS" and pd.isna(shown["3"])


def test_the_sidebar_filters_narrow_the_key_accounts_to_the_filtered_accounts(monkeypatch):
    """With a sidebar filter on, only key accounts among the filtered accounts stay (found by
    looking the few key accounts up among the filtered ids, issue 19)."""
    import pandas as pd

    from kamcore import relationships as rel
    from kamcore.schemas import FilterSettings
    from ui import data
    from ui import relationships as ui_rel

    cover = pd.DataFrame({"account": ["1", "2", "3", "4"], "revenue_12m": [1.0, 2.0, 3.0, 4.0]})
    monkeypatch.setattr(ui_rel, "frames", lambda: ("contacts", "people", "links"))
    monkeypatch.setattr(ui_rel, "key_account_ids", lambda: ["3", "4"])
    monkeypatch.setattr(rel, "coverage", lambda *frames, as_of, accounts: cover.copy())
    monkeypatch.setattr(rel, "revenue_at_risk", lambda found, transactions, as_of: found)
    monkeypatch.setattr(data, "transactions", lambda filtered=True: None)
    monkeypatch.setattr(data, "accounts", lambda filtered=True: pd.DataFrame(
        {"customer_id": pd.array(["2", "3", "9", None] + [str(i) for i in range(100, 5000)], dtype="str")}))
    monkeypatch.setattr(data, "current_filters", lambda: FilterSettings())
    everyone, _ = ui_rel.portfolio(dt.date(2026, 10, 31))
    assert everyone["account"].tolist() == ["1", "2", "3", "4"]
    monkeypatch.setattr(data, "current_filters", lambda: FilterSettings(region=("Vest",)))
    found, loaded = ui_rel.portfolio(dt.date(2026, 10, 31))
    assert found["account"].tolist() == ["2", "3"]
    assert found["on_shortlist"].tolist() == [False, True]
    assert loaded == ("contacts", "people", "links")
