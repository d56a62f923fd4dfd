"""Point 9, all scripts: the look-alike check covered only a hand-made Cyrillic/Greek list.
Now it uses Unicode's confusables data (kamcore.names), so look-alikes from other scripts,
compatibility forms and stacked marks are caught too, while real Nordic letters stay apart."""

from __future__ import annotations

import pytest

from kamcore import db
from kamcore.errors import KamError
from kamcore.names import skeleton


@pytest.mark.parametrize(("look_alike", "original"), [
    ("օօօ", "ooo"),  # Armenian oh ×3: one alphabet, so only the look-alike check can catch it
    ("ԁеmо", "demo"),  # Cyrillic komi de, ie, o
    ("ᏚᎪᎷ", "sam"),  # Cherokee letters that look like S, A, M
    ("ꓓꓰꓟꓳ", "demo"),  # Lisu
    ("ｄｅｍｏ", "demo"),  # fullwidth
    ("𝐝𝐞𝐦𝐨", "demo"),  # mathematical bold
    ("DEMO", "demo"),  # case
    ("ɡolf", "golf"),  # Latin small script g (IPA)
    ("ǀager", "lager"),  # Latin letter dental click, looks like l
])
def test_look_alikes_have_the_same_skeleton(look_alike, original):
    assert skeleton(look_alike) == skeleton(original)


@pytest.mark.parametrize(("name", "other"), [
    ("Åse", "Ase"), ("Kunde Øst", "Kunde Ost"), ("Bær", "Bar"), ("démo", "demo"),  # real letters
    ("l1", "ll"), ("2020", "2O2O"),  # ASCII is typed as seen: l and 1, 0 and O stay apart
    ("rn", "m"),  # multi-character look-alikes are not used (ordinary names would collide)
])
def test_different_names_stay_different(name, other):
    assert skeleton(name) != skeleton(other)


@pytest.mark.parametrize(("name", "code"), [
    ("օօօ", "workspace.name_unavailable"),  # whole-script look-alike of an existing name
    ("ᏚᎪᎷ", "workspace.name_unavailable"),
    ("ꓓꓰꓟꓳ", "workspace.name_unavailable"),
    ("dᎬmo", "workspace.name_mixed_scripts"),  # Cherokee E among Latin letters
    ("demo\u0336", "db.bad_workspace_name"),  # a combining overlay that composes with nothing
    ("de\u0301mo", None),  # e + combining acute composes to é: a different, visible name
])
def test_new_workspace_names_from_other_scripts(tmp_path, name, code):
    for existing in ("ooo", "sam", "demo"):
        db.create_workspace(tmp_path, existing)
    if code is None:
        assert db.check_new_workspace_name(tmp_path, name) == "démo"
        return
    with pytest.raises(KamError) as caught:
        db.check_new_workspace_name(tmp_path, name)
    assert caught.value.code == code
