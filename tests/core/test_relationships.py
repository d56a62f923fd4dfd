"""kamcore.relationships: models, risks and coverage on small hand-drawn accounts."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from kamcore import relationships as rel
from kamcore.errors import KamError

AS_OF = "2026-10-31"


def frames(contacts, people, links):
    return (
        pd.DataFrame(
            contacts, columns=["account", "contact", "title", "roles", "influence", "attitude", "left_on"]
        ),
        pd.DataFrame(people, columns=["person", "role", "executive"]),
        pd.DataFrame(links, columns=["person", "contact", "strength", "last_contact"]),
    )


PEOPLE = [
    ("Kari KAM", "account manager", False),
    ("Ola Salg", "sales", False),
    ("Per Service", "service", False),
    ("Eva Sjef", "executive", True),
    ("Lise Logistikk", "logistics", "nei"),
]


def one(cover: pd.DataFrame, account: str) -> dict:
    return cover.set_index("account").loc[account].to_dict()


# --------------------------------------------------------------------------- models


def test_bow_tie_one_of_ours_one_of_theirs():
    c, p, ln = frames(
        [("A", "Anne Innkjøp", "Innkjøpssjef", "beslutningstaker; innkjøper", 5, "tilhenger", None)],
        PEOPLE,
        [("Kari KAM", "Anne Innkjøp", 4, "2026-10-01")],
    )
    row = one(rel.coverage(c, p, ln, as_of=AS_OF), "A")
    assert row["model"] == "bow-tie"
    assert row["single_thread"] is True
    assert row["thread"] == "Kari KAM"
    assert row["roles_covered"] == ("decider", "buyer")
    assert row["risks"] == ("single_thread_ours", "single_thread_theirs", "no_exec_sponsor")
    # decider 1, buyer 1, single 0, exec 0, fresh 1/1 -> 3/5
    assert row["coverage_score"] == pytest.approx(0.6)


def test_one_on_many():
    c, p, ln = frames(
        [
            ("A", "Anne", "CEO", "decider", 5, "supporter", None),
            ("A", "Bo", "Buyer", "buyer", 3, "neutral", None),
            ("A", "Cato", "Engineer", "user", 2, "neutral", None),
        ],
        PEOPLE,
        [
            ("Kari KAM", "Anne", 3, "2026-10-01"),
            ("Kari KAM", "Bo", 5, "2026-09-01"),
            ("Kari KAM", "Cato", 2, None),
        ],
    )
    row = one(rel.coverage(c, p, ln, as_of=AS_OF), "A")
    assert row["model"] == "one-on-many"
    assert (row["n_contacts"], row["n_our_people"], row["n_links"]) == (3, 1, 3)
    assert row["single_thread"] is True and row["thread"] == "Kari KAM"
    assert row["risks"] == ("single_thread_ours", "no_exec_sponsor")


def test_duet_two_of_ours_two_of_theirs():
    c, p, ln = frames(
        [
            ("A", "Anne", "CEO", "decider", 5, "supporter", None),
            ("A", "Bo", "Buyer", "buyer", 3, "neutral", None),
        ],
        PEOPLE,
        [("Kari KAM", "Bo", 4, "2026-10-01"), ("Eva Sjef", "Anne", 3, "2026-08-01")],
    )
    row = one(rel.coverage(c, p, ln, as_of=AS_OF), "A")
    assert row["model"] == "duet"
    assert row["single_thread"] is False and row["thread"] is None
    assert row["exec_sponsor"] is True
    assert row["risks"] == ()
    assert row["coverage_score"] == pytest.approx(1.0)


def test_two_of_ours_to_one_of_theirs_is_a_single_threaded_duet():
    c, p, ln = frames(
        [("A", "Anne", "CEO", "decider", 5, "supporter", None)],
        PEOPLE,
        [("Kari KAM", "Anne", 4, "2026-10-01"), ("Eva Sjef", "Anne", 3, "2026-08-01")],
    )
    row = one(rel.coverage(c, p, ln, as_of=AS_OF), "A")
    assert row["model"] == "duet"
    assert row["single_thread"] is True and row["thread"] == "Anne"
    assert row["risks"] == ("single_thread_theirs", "no_buyer")


def test_diamond_many_on_both_sides():
    c, p, ln = frames(
        [
            ("D", "Anne", "CEO", "decider", 5, "supporter", None),
            ("D", "Bo", "Innkjøpssjef", "innkjøper", 4, "neutral", None),
            ("D", "Cato", "Lagersjef", "bruker, påvirker", 3, "supporter", None),
        ],
        PEOPLE,
        [
            ("Eva Sjef", "Anne", 4, "2026-09-15"),
            ("Kari KAM", "Bo", 5, "2026-10-20"),
            ("Kari KAM", "Anne", 3, "2026-10-02"),
            ("Lise Logistikk", "Cato", 3, "2026-10-10"),
        ],
    )
    row = one(rel.coverage(c, p, ln, as_of=AS_OF), "D")
    assert row["model"] == "diamond"
    assert row["roles_covered"] == ("user", "influencer", "decider", "buyer")
    assert row["risks"] == ()
    assert row["n_our_people"] == 3


@pytest.mark.parametrize(
    ("ours", "theirs", "model"),
    [
        (0, 0, "none"),
        (1, 0, "none"),
        (1, 1, "bow-tie"),
        (1, 4, "one-on-many"),
        (2, 1, "duet"),
        (2, 5, "duet"),
        (5, 2, "duet"),
        (3, 3, "diamond"),
        (6, 4, "diamond"),
    ],
)
def test_classify_model_rules(ours, theirs, model):
    assert rel.classify_model(ours, theirs) == model


# --------------------------------------------------------------------------- risks


def test_no_coverage_when_no_links():
    c, p, ln = frames([("N", "Nina", "CFO", "decider", 4, "neutral", None)], PEOPLE, [])
    row = one(rel.coverage(c, p, ln, as_of=AS_OF), "N")
    assert row["model"] == "none"
    assert row["risks"] == ("no_coverage",)
    assert row["single_thread"] is False
    assert row["coverage_score"] == 0.0


def test_decider_left_last_quarter_is_not_coverage():
    c, p, ln = frames(
        [
            ("L", "Lars", "Adm. dir.", "beslutningstaker", 5, "supporter", "2026-08-15"),
            ("L", "Bo", "Innkjøper", "buyer", 3, "neutral", None),
            ("L", "Siv", "Controller", "influencer", 2, "neutral", None),
        ],
        PEOPLE,
        [
            ("Kari KAM", "Lars", 5, "2026-08-01"),
            ("Eva Sjef", "Lars", 4, "2026-07-01"),
            ("Kari KAM", "Bo", 3, "2026-10-01"),
            ("Ola Salg", "Siv", 2, "2026-10-01"),
        ],
    )
    row = one(rel.coverage(c, p, ln, as_of=AS_OF), "L")
    assert (row["n_contacts"], row["n_left"]) == (2, 1)
    # Eva's only link went to Lars, who left: she no longer counts
    assert row["n_our_people"] == 2 and row["exec_sponsor"] is False
    assert row["decider_covered"] is False
    assert row["risks"] == ("decider_left", "no_exec_sponsor")
    # the same data seen before he left: fully covered by a diamond-less duet
    before = one(rel.coverage(c, p, ln, as_of="2026-08-14"), "L")
    assert before["decider_covered"] is True and before["exec_sponsor"] is True
    assert before["risks"] == ()


def test_decider_who_left_long_ago_is_no_decider_risk():
    c, p, ln = frames(
        [
            ("L", "Lars", "CEO", "decider", 5, "supporter", "2024-01-31"),
            ("L", "Bo", "Buyer", "buyer", 3, "neutral", None),
        ],
        PEOPLE,
        [("Kari KAM", "Bo", 3, "2026-10-01")],
    )
    assert "no_decider" in one(rel.coverage(c, p, ln, as_of=AS_OF), "L")["risks"]
    assert "decider_left" not in one(rel.coverage(c, p, ln, as_of=AS_OF), "L")["risks"]


def test_no_buyer_critic_decider_and_stale_links():
    c, p, ln = frames(
        [
            ("S", "Anne", "CEO", "decider", 5, "kritiker", None),
            ("S", "Cato", "User", "user", 2, "neutral", None),
            ("S", "Dag", "Tech", "influencer", 2, None, None),
        ],
        PEOPLE,
        [
            ("Kari KAM", "Anne", 2, "2026-04-29"),
            ("Eva Sjef", "Cato", 2, "2026-04-30"),
            ("Ola Salg", "Dag", 2, None),
        ],
    )
    row = one(rel.coverage(c, p, ln, as_of=AS_OF), "S")
    # 29 April is more than 6 months before 31 October; 30 April is exactly 6 months; no date is not counted
    assert row["stale_links"] == 1
    assert row["model"] == "diamond"
    assert row["risks"] == ("no_buyer", "critic_decider", "stale_links")
    # decider 1, buyer 0, not single 1, exec 1, fresh 2/3
    assert row["coverage_score"] == pytest.approx((1 + 0 + 1 + 1 + 2 / 3) / 5)


def test_executive_flag_from_seniority_text_or_role():
    people = pd.DataFrame(
        {
            "person": ["A", "B", "C"],
            "role": ["kundeansvarlig", "direktør", "salg"],
            "executive": ["", "", "ja"],
        }
    )
    out = rel.prepare_people(people)
    assert out["role"].tolist() == ["account_manager", "executive", "sales"]
    assert out["executive"].tolist() == [False, True, True]


def test_links_with_account_disambiguate_same_name_at_two_accounts():
    contacts = pd.DataFrame(
        {"account": ["A", "B"], "contact": ["Ola Hansen", "Ola Hansen"], "roles": ["decider", "buyer"]}
    )
    people = pd.DataFrame({"person": ["Kari"], "role": ["kam"]})
    links = pd.DataFrame({"person": ["Kari"], "contact": ["Ola Hansen"], "strength": [3]})
    with pytest.raises(KamError) as err:
        rel.coverage(contacts, people, links, as_of=AS_OF)
    assert err.value.code == "relationships.ambiguous_contact"
    links["account"] = ["B"]
    cover = rel.coverage(contacts, people, links, as_of=AS_OF).set_index("account")
    assert cover.loc["A", "model"] == "none"
    assert cover.loc["B", "roles_covered"] == ("buyer",)


def test_roles_parsing_in_three_languages():
    assert rel.parse_roles("Beslutningstaker; Innkjøper") == ("decider", "buyer")
    assert rel.parse_roles("inköpare, beslutsfattare, grindvakt") == ("decider", "buyer", "gatekeeper")
    assert rel.parse_roles(["User", "influencer", "nonsense"]) == ("user", "influencer")
    assert rel.parse_roles(None) == ()
    assert rel.normalise_attitude("Anhängare") == "supporter"
    assert rel.normalise_attitude("nøytral") == "neutral"
    assert rel.normalise_attitude("?") is None


def test_missing_columns_named():
    with pytest.raises(KamError) as err:
        rel.coverage(pd.DataFrame({"account": ["A"]}), pd.DataFrame({"person": []}), pd.DataFrame())
    assert err.value.code == "relationships.missing_columns"


# --------------------------------------------------------------------------- revenue at risk


def test_revenue_at_risk_counts_last_12_months_of_single_threaded_accounts():
    c, p, ln = frames(
        [
            ("A", "Anne", "CEO", "decider", 5, "supporter", None),
            ("D", "Bo", "CEO", "decider", 5, "supporter", None),
            ("D", "Cato", "Buyer", "buyer", 3, "neutral", None),
        ],
        PEOPLE,
        [
            ("Kari KAM", "Anne", 4, "2026-10-01"),
            ("Kari KAM", "Bo", 4, "2026-10-01"),
            ("Eva Sjef", "Cato", 4, "2026-10-01"),
        ],
    )
    cover = rel.coverage(c, p, ln, as_of=AS_OF)
    tx = pd.DataFrame(
        {
            "customer_id": ["A", "A", "A", "D", "X"],
            "date": pd.to_datetime(["2025-10-31", "2025-11-01", "2026-10-31", "2026-05-05", "2026-05-05"]),
            "revenue": [1000.0, 200.0, 30.0, 400.0, 9.0],
        }
    )
    out = rel.revenue_at_risk(cover, tx, as_of=AS_OF).set_index("account")
    assert out.loc["A", "revenue_12m"] == 230.0  # 31 Oct 2025 is outside the 12 months
    assert out.loc["A", "revenue_at_risk"] == 230.0
    assert out.loc["D", "revenue_12m"] == 400.0
    assert out.loc["D", "revenue_at_risk"] == 0.0
    # text ids (as canonical tables hold them) take only the covered accounts' rows (issue 19):
    # the same figures as object ids, a missing id or date counting nowhere
    more = pd.concat([tx, pd.DataFrame({"customer_id": [None, "A"], "date": pd.to_datetime(["2026-05-05", None]),
                                        "revenue": [5.0, 7.0]})], ignore_index=True)
    text = more.astype({"customer_id": "str"}).assign(customer_id=lambda f: f["customer_id"].where(more["customer_id"].notna()))
    assert isinstance(text["customer_id"].dtype, pd.StringDtype)
    as_text = rel.revenue_at_risk(cover, text, as_of=AS_OF)
    pd.testing.assert_frame_equal(as_text, rel.revenue_at_risk(cover, more.astype({"customer_id": object}), as_of=AS_OF))
    assert as_text.set_index("account")["revenue_12m"].to_dict() == {"A": 230.0, "D": 400.0}


# --------------------------------------------------------------------------- edits


def test_edits_add_change_and_mark_left_then_coverage_follows():
    c, p, ln = frames(
        [("A", "Anne", "CEO", "decider", 5, "supporter", None)],
        PEOPLE,
        [("Kari KAM", "Anne", 4, "2026-10-01")],
    )
    at = dt.datetime(2026, 11, 2, 9, 30)
    edits = [
        rel.make_edit(
            "contacts",
            {"account": "A", "contact": "Bo"},
            {"title": "Buyer", "roles": ("buyer",)},
            user="leader",
            at=at,
        ),
        rel.make_edit(
            "links",
            {"account": "A", "person": "Ola Salg", "contact": "Bo"},
            {"strength": 3, "last_contact": dt.date(2026, 10, 30)},
            user="leader",
            at=at,
        ),
        rel.make_edit(
            "contacts",
            {"account": "A", "contact": "Anne"},
            {"left_on": dt.date(2026, 10, 15)},
            user="leader",
            at=at,
        ),
    ]
    assert edits[2] == {
        "table": "contacts",
        "key": {"account": "A", "contact": "Anne"},
        "values": {"left_on": "2026-10-15"},
        "user": "leader",
        "at": "2026-11-02T09:30:00",
    }
    c2, p2, l2 = rel.apply_edits(c, p, ln, edits)
    assert len(c2) == 2 and len(l2) == 2
    row = one(rel.coverage(c2, p2, l2, as_of=AS_OF), "A")
    assert (row["n_contacts"], row["n_left"], row["model"]) == (1, 1, "bow-tie")
    assert row["thread"] == "Ola Salg"
    assert row["risks"] == ("single_thread_ours", "single_thread_theirs", "decider_left", "no_exec_sponsor")
    # the original frames are untouched
    assert len(c) == 1 and c["left_on"].isna().all()


def test_edit_needs_its_key():
    with pytest.raises(KamError) as err:
        rel.make_edit("contacts", {"account": "A", "contact": " "}, {}, user=None, at=dt.datetime(2026, 1, 1))
    assert err.value.code == "relationships.edit_key_missing"


# ------------------------------------------------------- shortlist, our people leaving, removals


def test_a_shortlisted_account_without_contacts_is_no_coverage_with_all_its_revenue_at_risk():
    c, p, ln = frames(
        [("A", "Anne", "CEO", "decider; buyer", 5, "supporter", None)],
        PEOPLE,
        [("Kari KAM", "Anne", 4, "2026-10-01"), ("Eva Sjef", "Anne", 2, "2026-10-01")],
    )
    cover = rel.coverage(c, p, ln, as_of=AS_OF, accounts=["A", " Z ", "Z"])
    assert cover["account"].tolist() == ["A", "Z"]
    z = one(cover, "Z")
    assert (z["n_contacts"], z["n_left"], z["n_our_people"], z["n_links"]) == (0, 0, 0, 0)
    assert (z["model"], z["risks"], z["coverage_score"]) == ("none", ("no_coverage",), 0.0)
    assert (z["decider_covered"], z["buyer_covered"], z["single_thread"], z["exec_sponsor"]) == (
        False, False, False, False)
    # A: two of ours to one of theirs (single thread on their side), decider, buyer, sponsor, fresh
    assert one(cover, "A")["coverage_score"] == pytest.approx((1 + 1 + 0 + 1 + 1) / 5)
    tx = pd.DataFrame({"customer_id": ["A", "Z", "Z"], "date": pd.to_datetime(["2026-06-01"] * 3),
                       "revenue": [100.0, 70.0, 5.0]})
    out = rel.revenue_at_risk(cover, tx, as_of=AS_OF).set_index("account")
    assert out.loc["Z", "revenue_at_risk"] == 75.0  # hangs by no thread: all of it
    assert out.loc["A", "revenue_at_risk"] == 100.0  # one thread on their side
    # a shortlist saved before any contact is imported: every key account is uncovered
    empty = rel.coverage(*rel.apply_edits(None, None, None, []), as_of=AS_OF, accounts=["Z", "A"])
    assert empty["account"].tolist() == ["A", "Z"]
    assert empty["risks"].tolist() == [("no_coverage",), ("no_coverage",)]


def test_one_of_ours_who_left_no_longer_covers_the_account():
    c, p, ln = frames(
        [("A", "Anne", "CEO", "decider", 5, "supporter", None),
         ("A", "Bo", "Buyer", "buyer", 3, "neutral", None)],
        PEOPLE,
        [("Kari KAM", "Anne", 4, "2026-10-01"), ("Ola Salg", "Bo", 4, "2026-10-01"),
         ("Eva Sjef", "Anne", 3, "2026-10-01")],
    )
    before = one(rel.coverage(c, p, ln, as_of=AS_OF), "A")
    assert (before["model"], before["n_our_people"], before["risks"]) == ("duet", 3, ())
    edit = rel.make_edit("people", {"person": "Ola Salg"}, {"left_on": dt.date(2026, 9, 30)},
                         user="leader", at=dt.datetime(2026, 10, 1, 8, 0))
    c2, p2, l2 = rel.apply_edits(c, p, ln, [edit])
    after = one(rel.coverage(c2, p2, l2, as_of=AS_OF), "A")
    # Ola's link to Bo no longer counts: the buyer is uncovered, Anne is the one thread of theirs
    assert (after["n_our_people"], after["n_links"], after["buyer_covered"]) == (2, 2, False)
    assert after["risks"] == ("single_thread_theirs", "no_buyer")
    assert after["thread"] == "Anne"
    # the day before he left he still counted
    assert one(rel.coverage(c2, p2, l2, as_of="2026-09-29"), "A")["n_our_people"] == 3


def test_removing_a_wrong_link_person_or_contact():
    c, p, ln = frames(
        [("A", "Anne", "CEO", "decider", 5, "supporter", None),
         ("A", "Bo", "Buyer", "buyer", 3, "neutral", None)],
        PEOPLE,
        [("Kari KAM", "Anne", 4, "2026-10-01"), ("Ola Salg", "Bo", 4, "2026-10-01"),
         ("Eva Sjef", "Anne", 3, "2026-10-01")],
    )
    at = dt.datetime(2026, 11, 2, 9, 30)
    wrong_link = rel.make_edit("links", {"account": "A", "person": "Eva Sjef", "contact": "Anne"},
                               {"strength": 5}, user="leader", at=at, remove=True)
    assert wrong_link == {"table": "links", "key": {"account": "A", "person": "Eva Sjef", "contact": "Anne"},
                          "values": {}, "user": "leader", "at": "2026-11-02T09:30:00", "remove": True}
    c2, p2, l2 = rel.apply_edits(c, p, ln, [wrong_link])
    assert sorted(zip(l2["person"], l2["contact"], strict=True)) == [("Kari KAM", "Anne"), ("Ola Salg", "Bo")]
    assert one(rel.coverage(c2, p2, l2, as_of=AS_OF), "A")["risks"] == ("no_exec_sponsor",)
    # removing a person takes their links with them
    gone = rel.make_edit("people", {"person": "Ola Salg"}, {}, user="leader", at=at, remove=True)
    c3, p3, l3 = rel.apply_edits(c, p, ln, [gone])
    assert "Ola Salg" not in set(p3["person"]) and len(p3) == len(PEOPLE) - 1
    assert sorted(l3["person"]) == ["Eva Sjef", "Kari KAM"]
    # removing a contact takes the links to that contact with it
    wrong_contact = rel.make_edit("contacts", {"account": "A", "contact": "Anne"}, {}, user="leader", at=at,
                                  remove=True)
    c4, p4, l4 = rel.apply_edits(c, p, ln, [wrong_contact])
    assert c4["contact"].tolist() == ["Bo"] and l4["contact"].tolist() == ["Bo"]
    row = one(rel.coverage(c4, p4, l4, as_of=AS_OF), "A")
    assert (row["model"], row["n_contacts"], row["n_left"]) == ("bow-tie", 1, 0)
    # an added row removed again leaves the tables as they were
    add = rel.make_edit("contacts", {"account": "A", "contact": "Cato"}, {"title": "CFO"}, user="x", at=at)
    drop = rel.make_edit("contacts", {"account": "A", "contact": "Cato"}, {}, user="x", at=at, remove=True)
    c5, _, _ = rel.apply_edits(c, p, ln, [add, drop])
    assert c5["contact"].tolist() == ["Anne", "Bo"]
