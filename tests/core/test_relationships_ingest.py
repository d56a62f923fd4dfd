"""CRM contact exports go through the ordinary ingest and mapping; the demo carries the planted stories."""

from __future__ import annotations

from pathlib import Path

import pytest

from kamcore import relationships as rel
from kamcore.demo import DEMO_TABLES
from kamcore.ingest import guess_mapping, load_file
from kamcore.schemas import ColumnMapping, TableKind, missing_required_roles
from kamcore.tables import canonical

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"

NB_CONTACTS = (
    "\ufeffFirma;Kontaktperson;Stilling;Rolle i kjøpssenter;Innflytelse;Holdning;Sist kontaktet;Sluttet\r\n"
    "Bergen Bygg AS;Hilde Rød;Innkjøpssjef;Innkjøper, beslutningstaker;5;Tilhenger;02.10.2026;\r\n"
    "Bergen Bygg AS;Per Å. Lund;Driftssjef;bruker;3;nøytral;15.03.2026;\r\n"
    "Bergen Bygg AS;Jan Strøm;Adm. dir.;beslutningstaker;5;kritiker;01.06.2026;31.08.2026\r\n"
    "Voss El AS;Siri Haug;Daglig leder;beslutningstaker;4;tilhenger;;\r\n"
).encode("utf-8")
NB_PEOPLE = (
    "Medarbeider;Rolle;Ledergruppe\nKari Nordmann;Kundeansvarlig;nei\nOla Sjef;Salgsdirektør;ja\n".encode()
)
NB_LINKS = (
    "Kundenavn;Vår person;Kontaktperson;Styrke;Sist kontakt\n"
    "Bergen Bygg AS;Kari Nordmann;Hilde Rød;4;02.10.2026\n"
    "Bergen Bygg AS;Kari Nordmann;Per Å. Lund;2;15.03.2026\n"
    "Bergen Bygg AS;Ola Sjef;Jan Strøm;3;01.06.2026\n"
).encode()


def _parse(content: bytes, name: str):
    table = load_file(content, filename=name).tables[0]
    return table, guess_mapping(table.data)


def test_norwegian_crm_contact_export_is_guessed_and_read():
    table, guess = _parse(NB_CONTACTS, "kontakter.csv")
    assert table.quality.rows_kept == 4 and table.quality.rows_rejected == 0
    assert guess.kind == TableKind.contacts
    assert guess.mapping.roles == {
        "account": "Firma",
        "contact": "Kontaktperson",
        "title": "Stilling",
        "roles": "Rolle i kjøpssenter",
        "influence": "Innflytelse",
        "attitude": "Holdning",
        "last_contact": "Sist kontaktet",
        "left_on": "Sluttet",
    }
    assert missing_required_roles(guess.kind, guess.mapping) == []
    people_table, people_guess = _parse(NB_PEOPLE, "folk.csv")
    assert people_guess.kind == TableKind.people
    assert people_guess.mapping.roles == {
        "person": "Medarbeider",
        "role": "Rolle",
        "executive": "Ledergruppe",
    }
    links_table, links_guess = _parse(NB_LINKS, "koblinger.csv")
    assert links_guess.kind == TableKind.links
    assert links_guess.mapping.roles == {
        "account": "Kundenavn",
        "person": "Vår person",
        "contact": "Kontaktperson",
        "strength": "Styrke",
        "last_contact": "Sist kontakt",
    }
    cover = rel.coverage(
        canonical(table.data, guess.mapping),
        canonical(people_table.data, people_guess.mapping),
        canonical(links_table.data, links_guess.mapping),
        as_of="2026-10-31",
    ).set_index("account")
    bergen = cover.loc["Bergen Bygg AS"]
    # Jan Strøm left on 31 August: Ola's only link is gone, Kari alone holds two contacts
    assert (bergen["n_contacts"], bergen["n_left"], bergen["n_our_people"]) == (2, 1, 1)
    assert bergen["model"] == "one-on-many"
    assert bergen["roles_covered"] == ("user", "decider", "buyer")
    # Per Å. Lund last spoken to 15 March: more than 6 months before 31 October
    assert bergen["risks"] == ("single_thread_ours", "no_exec_sponsor", "stale_links")
    assert cover.loc["Voss El AS", "risks"] == ("no_coverage",)


@pytest.mark.parametrize(
    ("content", "kind", "roles"),
    [
        (
            "Kundnr;Kontaktperson;Befattning;Roller i köpcentrum;Inflytande;Inställning;Slutat\n"
            "K1;Eva Ek;Inköpschef;inköpare;4;anhängare;\n".encode(),
            TableKind.contacts,
            {
                "account": "Kundnr",
                "contact": "Kontaktperson",
                "title": "Befattning",
                "roles": "Roller i köpcentrum",
                "influence": "Inflytande",
                "attitude": "Inställning",
                "left_on": "Slutat",  # empty while nobody has left, still mapped
            },
        ),
        (
            b"Account ID,Contact name,Job title,Buying role,Attitude\nA1,Jo Smith,CFO,decider,critic\n",
            TableKind.contacts,
            {
                "account": "Account ID",
                "contact": "Contact name",
                "title": "Job title",
                "roles": "Buying role",
                "attitude": "Attitude",
            },
        ),
        (
            b"Account ID,Our person,Contact,Strength,Last contact\nA1,Kim,Jo Smith,3,2026-10-01\n",
            TableKind.links,
            {
                "account": "Account ID",
                "person": "Our person",
                "contact": "Contact",
                "strength": "Strength",
                "last_contact": "Last contact",
            },
        ),
        (
            b"Medarbetare;Roll;Ledningsgrupp\nAnna;kundansvarig;nej\nBo;vd;ja\n",
            TableKind.people,
            {"person": "Medarbetare", "role": "Roll", "executive": "Ledningsgrupp"},
        ),
    ],
    ids=["sv-contacts", "en-contacts", "en-links", "sv-people"],
)
def test_swedish_and_english_exports(content, kind, roles):
    _table, guess = _parse(content, "export.csv")
    assert guess.kind == kind
    assert guess.mapping.roles == roles


def test_sales_data_is_not_taken_for_contacts():
    content = (
        "Kundenr;Kontaktperson;Fakturadato;Omsetning\n001;Ola;01.02.2026;100,50\n001;Ola;03.02.2026;10\n"
    )
    _table, guess = _parse(content.encode(), "salg.csv")
    assert guess.kind == TableKind.transactions
    assert ColumnMapping(roles={"account": "Kundenr", "contact": "Kontaktperson"}).has("account", "contact")


# --------------------------------------------------------------------------- the demo's planted stories
WHALE, DIAMOND, DECIDER_LEFT, NO_SPONSOR = "027522", "051587", "021695", "032695"


@pytest.fixture(scope="module")
def demo_cover():
    frames = {}
    for name in ("contacts", "our_people", "contact_links", "transactions"):
        file_name, kind, roles = DEMO_TABLES[name]
        parsed = load_file(DEMO / file_name).tables[0]
        if name != "transactions":
            # what the mapping step guesses is what the demo confirms
            guess = guess_mapping(parsed.data)
            assert (guess.kind, guess.mapping.roles) == (kind, roles)
        frames[name] = canonical(parsed.data, ColumnMapping(roles=roles))
    cover = rel.coverage(
        frames["contacts"], frames["our_people"], frames["contact_links"], as_of="2026-10-31"
    )
    return rel.revenue_at_risk(cover, frames["transactions"], as_of="2026-10-31").set_index("account")


def test_demo_whale_hangs_by_one_thread(demo_cover):
    assert len(demo_cover) == 20
    whale = demo_cover.loc[WHALE]
    assert demo_cover["revenue_12m"].idxmax() == WHALE
    assert whale["model"] == "bow-tie"
    assert whale["thread"] == "Ingrid Solberg"  # the account manager (Selger) of the account
    assert whale["revenue_at_risk"] == whale["revenue_12m"] == demo_cover["revenue_at_risk"].max()


def test_demo_healthy_diamond(demo_cover):
    diamond = demo_cover.loc[DIAMOND]
    assert diamond["model"] == "diamond"
    assert diamond["risks"] == ()
    assert diamond["coverage_score"] == 1.0


def test_demo_decider_left_last_quarter(demo_cover):
    row = demo_cover.loc[DECIDER_LEFT]
    assert row["risks"] == ("decider_left",)
    assert (row["n_left"], row["decider_covered"]) == (1, False)
    assert list(demo_cover.index[demo_cover["risks"].map(lambda r: "decider_left" in r)]) == [DECIDER_LEFT]


def test_demo_team_without_executive_sponsor(demo_cover):
    row = demo_cover.loc[NO_SPONSOR]
    assert row["model"] == "diamond"
    assert row["risks"] == ("no_exec_sponsor",)


def test_an_empty_left_column_is_still_mapped_while_nobody_has_left():
    content = "Kundenr;Kontaktperson;Rolle;Sluttet\n01;Eva;innkjøper;\n02;Bo;bruker;\n".encode()
    table, guess = _parse(content, "kontakter.csv")
    assert guess.kind == TableKind.contacts
    assert guess.mapping.roles == {
        "account": "Kundenr",
        "contact": "Kontaktperson",
        "roles": "Rolle",
        "left_on": "Sluttet",
    }
    frame = canonical(table.data, guess.mapping)
    assert frame["left_on"].isna().all() and str(frame["left_on"].dtype).startswith("datetime64")
