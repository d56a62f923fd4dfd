"""What a name looks like: the look-alike check for workspace names (issue 12, point 9).

:func:`skeleton` maps a name to a form in which names that look alike are equal, after the
idea of Unicode's UTS #39 "skeleton": compatibility forms folded (NFKC: fullwidth ``ｄｅｍｏ``,
mathematical ``𝐝𝐞𝐦𝐨``), every non-ASCII character that Unicode's confusables data lists as
looking like an ASCII letter or digit replaced by it (Cyrillic ``dеmo``, Greek ``ο``, Armenian
``օ``, Cherokee ``Ꭰ``, Latin small capitals ``ᴅ``), case folded, and spaces collapsed. The data
is Unicode's ``confusables.txt`` as shipped by the ``confusable_homoglyphs`` package.

ASCII characters are left as they are (``l`` and ``1``, ``O`` and ``0`` stay apart: telling
them apart is what a typed name relies on), and so are letters with their own meaning in
Nordic names (``å``, ``ø``, ``æ``, ``é``: the data does not list them as look-alikes).
Multi-character look-alikes (``rn`` for ``m``) are left out: they would make ordinary names
collide.
"""

from __future__ import annotations

import functools
import unicodedata

#: Invisible direction marks the confusables data wraps some right-to-left characters in.
_MARKS = dict.fromkeys(map(ord, "\u200e\u200f"))


def _preference(char: str) -> tuple[int, str]:
    # A lower-case letter first, then an upper-case letter, then a digit, then anything else.
    rank = 0 if char.islower() else 1 if char.isupper() else 2 if char.isdigit() else 3
    return rank, char


@functools.cache
def _to_ascii() -> dict[int, str]:
    """Non-ASCII character -> the ASCII character it is listed as looking like."""
    from confusable_homoglyphs.confusables import confusables_data

    table: dict[int, str] = {}
    for char, homoglyphs in confusables_data.items():
        if len(char) != 1 or char.isascii():
            continue
        looks_like = [other for other in (h["c"].translate(_MARKS) for h in homoglyphs)
                      if len(other) == 1 and other.isascii() and other.isalnum()]
        if looks_like:
            table[ord(char)] = min(looks_like, key=_preference)
    return table


def skeleton(name: str) -> str:
    """The look-alike form of ``name``: two names with the same skeleton look alike."""
    table = _to_ascii()
    folded = unicodedata.normalize("NFKC", name).translate(table).casefold().translate(table).casefold()
    return " ".join(folded.split())
