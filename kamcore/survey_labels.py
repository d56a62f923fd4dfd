"""Answer-label vocabularies (agreement, satisfaction, importance, frequency, quality, likelihood)
in Norwegian (bokmål), Swedish, Danish and English, and the choice of a scale from the labels present.

A *family* in a language is written as its seven positions, strongly negative to strongly positive
(``-3 .. +3``; 0 is the neutral middle), each with its spellings. The usual point counts are cut
from those positions: 4 = (-3, -2, +2, +3); 5 = (-3, -2|-1, 0, +1|+2, +3); 6 = (-3, -2, -1, +1,
+2, +3); 7 = all. Unipolar families (frequency, importance) are written the same way, from "never" /
"not at all important" up. Longer labelled scales (8–11 points) are numbered in practice ("0 - Not
at all likely" … "10 - Extremely likely") and are read from their leading numbers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from pydantic import BaseModel

# position -> spellings; positions -3..3
_Family = dict[int, tuple[str, ...]]

FAMILIES: dict[tuple[str, str], _Family] = {
    # ------------------------------------------------------------------ agreement
    ("agreement", "nb"): {
        -3: ("helt uenig", "svært uenig", "sterkt uenig"),
        -2: ("uenig",),
        -1: ("litt uenig", "delvis uenig", "noe uenig"),
        0: (
            "nøytral",
            "verken enig eller uenig",
            "hverken enig eller uenig",
            "verken eller",
            "hverken eller",
        ),
        1: ("litt enig", "delvis enig", "noe enig"),
        2: ("enig",),
        3: ("helt enig", "svært enig", "sterkt enig"),
    },
    ("agreement", "sv"): {
        -3: ("instämmer inte alls", "helt oenig", "tar helt avstånd"),
        -2: ("instämmer inte", "oenig", "tar avstånd"),
        -1: ("instämmer delvis inte", "instämmer i liten grad", "delvis oenig", "tar delvis avstånd"),
        0: ("varken eller", "neutral", "instämmer varken eller", "varken instämmer eller tar avstånd"),
        1: ("instämmer delvis", "delvis enig", "instämmer i viss mån"),
        2: ("instämmer", "enig", "instämmer i stor grad", "instämmer till stor del"),
        3: ("instämmer helt", "helt enig", "instämmer helt och hållet"),
    },
    ("agreement", "da"): {
        -3: ("helt uenig", "meget uenig", "fuldstændig uenig"),
        -2: ("uenig",),
        -1: ("delvis uenig", "lidt uenig", "overvejende uenig"),
        0: ("hverken enig eller uenig", "neutral", "hverken eller"),
        1: ("delvis enig", "lidt enig", "overvejende enig"),
        2: ("enig",),
        3: ("helt enig", "meget enig", "fuldstændig enig"),
    },
    ("agreement", "en"): {
        -3: ("strongly disagree", "completely disagree", "totally disagree"),
        -2: ("disagree", "mostly disagree"),
        -1: ("somewhat disagree", "slightly disagree", "tend to disagree", "mildly disagree"),
        0: ("neither agree nor disagree", "neither agree or disagree", "neutral", "undecided", "neither"),
        1: ("somewhat agree", "slightly agree", "tend to agree", "mildly agree"),
        2: ("agree", "mostly agree"),
        3: ("strongly agree", "completely agree", "totally agree"),
    },
    # ------------------------------------------------------------------ satisfaction
    ("satisfaction", "nb"): {
        -3: ("svært misfornøyd", "veldig misfornøyd", "meget misfornøyd", "helt misfornøyd"),
        -2: ("misfornøyd",),
        -1: ("litt misfornøyd", "noe misfornøyd", "ganske misfornøyd"),
        0: ("verken fornøyd eller misfornøyd", "hverken fornøyd eller misfornøyd", "nøytral", "verken eller"),
        1: ("litt fornøyd", "noe fornøyd", "ganske fornøyd"),
        2: ("fornøyd",),
        3: ("svært fornøyd", "veldig fornøyd", "meget fornøyd", "helt fornøyd"),
    },
    ("satisfaction", "sv"): {
        -3: ("mycket missnöjd", "helt missnöjd"),
        -2: ("missnöjd",),
        -1: ("något missnöjd", "ganska missnöjd"),
        0: ("varken nöjd eller missnöjd", "neutral", "varken eller"),
        1: ("något nöjd", "ganska nöjd"),
        2: ("nöjd",),
        3: ("mycket nöjd", "helt nöjd"),
    },
    ("satisfaction", "da"): {
        -3: ("meget utilfreds", "meget utilfredse", "helt utilfreds"),
        -2: ("utilfreds",),
        -1: ("lidt utilfreds", "delvis utilfreds"),
        0: ("hverken tilfreds eller utilfreds", "neutral", "hverken eller"),
        1: ("lidt tilfreds", "delvis tilfreds"),
        2: ("tilfreds",),
        3: ("meget tilfreds", "helt tilfreds"),
    },
    ("satisfaction", "en"): {
        -3: ("very dissatisfied", "extremely dissatisfied", "completely dissatisfied"),
        -2: ("dissatisfied",),
        -1: ("somewhat dissatisfied", "slightly dissatisfied"),
        0: ("neither satisfied nor dissatisfied", "neither satisfied or dissatisfied", "neutral"),
        1: ("somewhat satisfied", "slightly satisfied"),
        2: ("satisfied",),
        3: ("very satisfied", "extremely satisfied", "completely satisfied"),
    },
    # ------------------------------------------------------------------ importance (unipolar)
    ("importance", "nb"): {
        -3: ("ikke viktig i det hele tatt", "helt uviktig", "ikke viktig"),
        -2: ("lite viktig", "uviktig"),
        -1: ("litt viktig",),
        0: ("middels viktig", "noe viktig"),
        1: ("ganske viktig",),
        2: ("viktig",),
        3: ("svært viktig", "veldig viktig", "meget viktig", "helt avgjørende"),
    },
    ("importance", "sv"): {
        -3: ("inte alls viktigt", "inte viktigt"),
        -2: ("lite viktigt", "oviktigt", "mindre viktigt"),
        -1: ("något viktigt",),
        0: ("ganska viktigt", "medelviktigt"),
        1: ("viktigt",),
        2: ("mycket viktigt",),
        3: ("extremt viktigt", "avgörande"),
    },
    ("importance", "da"): {
        -3: ("slet ikke vigtigt", "ikke vigtigt"),
        -2: ("lidt vigtigt", "mindre vigtigt"),
        -1: ("noget vigtigt",),
        0: ("middel vigtigt", "moderat vigtigt"),
        1: ("ret vigtigt",),
        2: ("vigtigt",),
        3: ("meget vigtigt", "afgørende"),
    },
    ("importance", "en"): {
        -3: ("not at all important", "not important"),
        -2: ("slightly important", "of little importance", "low importance"),
        -1: ("somewhat important",),
        0: ("moderately important", "neutral"),
        1: ("fairly important",),
        2: ("very important", "important"),
        3: ("extremely important", "critical"),
    },
    # ------------------------------------------------------------------ frequency (unipolar)
    ("frequency", "nb"): {
        -3: ("aldri",),
        -2: ("sjelden",),
        -1: ("av og til", "noen ganger"),
        0: ("iblant", "en gang i blant"),
        1: ("ganske ofte",),
        2: ("ofte",),
        3: ("alltid", "svært ofte", "veldig ofte"),
    },
    ("frequency", "sv"): {
        -3: ("aldrig",),
        -2: ("sällan",),
        -1: ("ibland",),
        0: ("då och då",),
        1: ("ganska ofta",),
        2: ("ofta",),
        3: ("alltid", "mycket ofta"),
    },
    ("frequency", "da"): {
        -3: ("aldrig",),
        -2: ("sjældent",),
        -1: ("af og til", "nogle gange"),
        0: ("indimellem",),
        1: ("ret ofte",),
        2: ("ofte",),
        3: ("altid", "meget ofte"),
    },
    ("frequency", "en"): {
        -3: ("never",),
        -2: ("rarely", "seldom"),
        -1: ("occasionally",),
        0: ("sometimes",),
        1: ("frequently", "fairly often"),
        2: ("often", "usually", "very often"),
        3: ("always",),
    },
    # ------------------------------------------------------------------ quality
    ("quality", "nb"): {
        -3: ("svært dårlig", "veldig dårlig", "meget dårlig"),
        -2: ("dårlig",),
        -1: ("ganske dårlig", "litt dårlig"),
        0: ("middels", "verken god eller dårlig", "ok"),
        1: ("ganske god", "ganske bra"),
        2: ("god", "bra"),
        3: ("svært god", "veldig god", "meget god", "svært bra", "veldig bra", "utmerket"),
    },
    ("quality", "sv"): {
        -3: ("mycket dålig", "mycket dåligt"),
        -2: ("dålig", "dåligt"),
        -1: ("ganska dålig", "ganska dåligt"),
        0: ("varken bra eller dålig", "medel", "godtagbar"),
        1: ("ganska bra", "ganska god"),
        2: ("bra", "god"),
        3: ("mycket bra", "mycket god", "utmärkt"),
    },
    ("quality", "da"): {
        -3: ("meget dårlig", "meget dårligt"),
        -2: ("dårlig", "dårligt"),
        -1: ("lidt dårlig", "ret dårlig"),
        0: ("middel", "hverken god eller dårlig", "acceptabel"),
        1: ("ret god", "ret godt"),
        2: ("god", "godt"),
        3: ("meget god", "meget godt", "fremragende"),
    },
    ("quality", "en"): {
        -3: ("very poor", "very bad", "terrible"),
        -2: ("poor", "bad"),
        -1: ("below average", "fairly poor"),
        0: ("fair", "average", "acceptable", "ok", "okay"),
        1: ("above average", "fairly good"),
        2: ("good",),
        3: ("very good", "excellent"),
    },
    # ------------------------------------------------------------------ likelihood
    ("likelihood", "nb"): {
        -3: ("svært usannsynlig", "helt usannsynlig", "veldig usannsynlig"),
        -2: ("usannsynlig", "lite sannsynlig"),
        -1: ("litt usannsynlig", "ganske usannsynlig"),
        0: ("verken sannsynlig eller usannsynlig", "vet ikke sikkert", "usikker"),
        1: ("ganske sannsynlig", "litt sannsynlig"),
        2: ("sannsynlig",),
        3: ("svært sannsynlig", "helt sikkert", "veldig sannsynlig"),
    },
    ("likelihood", "sv"): {
        -3: ("mycket osannolikt", "helt osannolikt"),
        -2: ("osannolikt", "inte sannolikt"),
        -1: ("ganska osannolikt",),
        0: ("varken sannolikt eller osannolikt", "osäker"),
        1: ("ganska sannolikt",),
        2: ("sannolikt",),
        3: ("mycket sannolikt", "helt säkert"),
    },
    ("likelihood", "da"): {
        -3: ("meget usandsynligt", "helt usandsynligt"),
        -2: ("usandsynligt",),
        -1: ("lidt usandsynligt", "ret usandsynligt"),
        0: ("hverken sandsynligt eller usandsynligt", "usikker"),
        1: ("lidt sandsynligt", "ret sandsynligt"),
        2: ("sandsynligt",),
        3: ("meget sandsynligt", "helt sikkert"),
    },
    ("likelihood", "en"): {
        -3: ("very unlikely", "extremely unlikely", "definitely not", "definitely would not"),
        -2: ("unlikely", "probably not", "probably would not"),
        -1: ("somewhat unlikely", "slightly unlikely"),
        0: ("neither likely nor unlikely", "not sure", "might or might not", "unsure"),
        1: ("somewhat likely", "slightly likely"),
        2: ("likely", "probably", "probably would"),
        3: ("very likely", "extremely likely", "definitely", "definitely would"),
    },
}

#: Points of each cut, as positions of the seven: 5- and 7-point with a neutral middle, 4 and 6 without.
CUTS: dict[int, tuple[tuple[int, ...], ...]] = {
    4: ((-3,), (-2, -1), (1, 2), (3,)),
    5: ((-3,), (-2, -1), (0,), (1, 2), (3,)),
    6: ((-3,), (-2,), (-1,), (1,), (2,), (3,)),
    7: ((-3,), (-2,), (-1,), (0,), (1,), (2,), (3,)),
}

_LEADING_NUMBER = re.compile(r"^\s*([-−+]?\d{1,3})\s*(?:[-–=:.)]\s*|\s+)\S")
_CAMEL = re.compile(r"(?<=[a-zæøåäö])(?=[A-ZÆØÅÄÖ])")


def normalise_label(text: object) -> str:
    """Label for matching: camelCase split ("StronglyAgree"), case-folded, punctuation and extra spaces removed."""
    s = _CAMEL.sub(" ", unicodedata.normalize("NFC", str(text)).strip())
    s = s.casefold().replace("_", " ")
    s = re.sub(r"[^\w\s]", " ", s)
    return re.sub(r"\s+", " ", s).strip()


class LabelScale(BaseModel):
    """The scale chosen for a set of labels: family, language, number of points and label -> value."""

    family: str  # agreement, satisfaction, ..., or "numbered"
    language: str  # nb, sv, da, en ("" for numbered)
    points: int
    scale_min: float
    scale_max: float
    mapping: dict[str, float]  # original label -> value
    unknown: list[str]  # labels present but in no position of the chosen scale


def _lookup(family: _Family) -> dict[str, int]:
    return {normalise_label(sp): pos for pos, spellings in family.items() for sp in spellings}


_LOOKUPS = {key: _lookup(fam) for key, fam in FAMILIES.items()}


def known_label(label: object) -> bool:
    """True when ``label`` is a spelling of some family's position, or a numbered label."""
    n = normalise_label(label)
    return bool(_LEADING_NUMBER.match(str(label))) or any(n in lk for lk in _LOOKUPS.values())


def choose_scale(labels: Iterable[object]) -> LabelScale | None:
    """The scale the labels present were answered on.

    Parameters
    ----------
    labels : iterable
        Every distinct text answer of the items that share one scale (blanks are ignored).

    Returns
    -------
    LabelScale or None
        None when no family knows any of the labels. Otherwise the family and language that
        know the most labels, cut to the *smallest* point count (4, 5, 6, 7) that puts every
        known label on its own point: six agreement labels without a neutral
        (helt uenig … helt enig) are a 6-point scale scored 1–6, not a 7-point scale with 4
        missing. Labels that family does not know are listed in ``unknown`` (not guessed).
        Labels written "1 - Helt uenig" … use their leading numbers (family "numbered").

    Examples
    --------
    >>> choose_scale(["Helt uenig", "Uenig", "Litt uenig", "Litt enig", "Enig", "Helt enig"]).mapping["Litt enig"]
    4.0
    """
    distinct = sorted(
        {str(v).strip() for v in labels if v is not None and str(v).strip() and str(v) != "nan"}
    )
    if not distinct:
        return None
    numbered = {lab: _LEADING_NUMBER.match(lab) for lab in distinct}
    plain_numbers = {lab for lab in distinct if re.fullmatch(r"[-−+]?\d{1,3}", lab)}
    if any(numbered.values()) and all(numbered[lab] or lab in plain_numbers for lab in distinct):
        mapping = {
            lab: float((m.group(1) if (m := numbered[lab]) else lab).replace("−", "-")) for lab in distinct
        }
        return LabelScale(
            family="numbered",
            language="",
            points=int(max(mapping.values()) - min(mapping.values()) + 1),
            scale_min=min(mapping.values()),
            scale_max=max(mapping.values()),
            mapping=mapping,
            unknown=[],
        )
    normalised = {lab: normalise_label(lab) for lab in distinct}
    best = None
    for key, lookup in _LOOKUPS.items():
        hits = sum(1 for n in normalised.values() if n in lookup)
        if hits and (best is None or hits > best[0]):
            best = (hits, key)
    if best is None:
        return None
    family, language = best[1]
    lookup = _LOOKUPS[best[1]]
    positions = {lab: lookup[n] for lab, n in normalised.items() if n in lookup}
    unknown = [lab for lab in distinct if lab not in positions]
    for points, cut in CUTS.items():
        point_of = {pos: i + 1 for i, group in enumerate(cut) for pos in group}
        if not all(p in point_of for p in positions.values()):
            continue
        # Two labels with different positions on one point: the answers come from a longer scale.
        used: dict[int, int] = {}
        clash = False
        for p in positions.values():
            point = point_of[p]
            if used.setdefault(point, p) != p:
                clash = True
                break
        if clash:
            continue
        return LabelScale(
            family=family,
            language=language,
            points=points,
            scale_min=1.0,
            scale_max=float(points),
            mapping={lab: float(point_of[p]) for lab, p in positions.items()},
            unknown=unknown,
        )
    return None  # pragma: no cover - the 7-point cut holds every position
