"""Rows under the header that belong to the header: survey tools' question texts and markers.

Survey tools write more than one header row: Qualtrics writes the codes, then the question texts,
then a row of ``{"ImportId": …}``; Nettskjema and Microsoft Forms exports are often saved with a
row of question texts under the codes; SurveyMonkey writes the question texts, then a row of
``Response`` / ``Open-Ended Response`` markers. Found *before* any typing, these rows are never
reported as rejected data rows, and the question texts are kept.
"""

from __future__ import annotations

import json
import re

from pydantic import BaseModel, Field

from kamcore.survey_labels import known_label

_IMPORT_ID = re.compile(r'^\s*\{\s*"?importid"?\s*:', re.IGNORECASE)
_MARKERS = {
    "response",
    "open-ended response",
    "open ended response",
    "other (please specify)",
    "svar",
    "svar (fritekst)",
}
_NUMBER = re.compile(r"^\s*[-−+]?\d+(?:[.,]\d+)?\s*$")


class HeaderRows(BaseModel):
    """Records after the header that are part of it."""

    n_records: int = 0  # how many records right after the header to drop
    question_texts: list[str] = Field(default_factory=list)  # by column position ("" = none)


def _blank(cell: str) -> bool:
    return not cell or not cell.strip()


def _answers_like(values: list[str]) -> bool:
    """A column whose answers are mostly numbers or labels of a known scale."""
    filled = [v for v in values if not _blank(v)]
    if len(filled) < 2:
        return False
    good = sum(1 for v in filled if _NUMBER.match(v) or known_label(v))
    return good >= 0.8 * len(filled)


def find_header_rows(header: list[str], records: list[list[str]]) -> HeaderRows:
    """Which of the first records after ``header`` are header rows.

    Parameters
    ----------
    header : the header record's fields.
    records : the records that follow it (a sample; blank lines left out).

    Returns
    -------
    HeaderRows
        ``n_records`` to drop (0 when the data starts at once) and the question texts.

    Notes
    -----
    Record 1 is a question-text row when, in at least two columns whose later values are
    mostly numbers or labels of a known scale, at least half of those columns hold a text
    there that is neither a number nor such a label. A record of ``{"ImportId": …}`` cells
    after it is dropped too. A record of only blanks and ``Response`` markers is a marker row.
    """
    if len(records) < 3:
        return HeaderRows()
    first = records[0]
    cells = [c.strip() for c in first]
    filled = [c for c in cells if c]
    if filled and all(c.casefold() in _MARKERS for c in filled):
        return HeaderRows(n_records=1)
    if filled and all(_IMPORT_ID.match(c) for c in filled):
        return HeaderRows(n_records=1)
    start = 1
    if (
        len(records) > 2
        and all(_blank(c) or _IMPORT_ID.match(c) for c in records[1])
        and any(_IMPORT_ID.match(c) for c in records[1])
    ):
        start = 2
    body = records[start:]
    votes = total = 0
    for j in range(len(header)):
        column = [r[j] if j < len(r) else "" for r in body]
        if not _answers_like(column):
            continue
        total += 1
        cell = cells[j] if j < len(cells) else ""
        if cell and not _NUMBER.match(cell) and not known_label(cell):
            votes += 1
    if total >= 2 and votes >= 0.5 * total:
        texts = [cells[j] if j < len(cells) else "" for j in range(len(header))]
        # A Qualtrics ImportId cell carries no question text; the text row does.
        return HeaderRows(n_records=start, question_texts=texts)
    return HeaderRows()


def import_id(cell: str) -> str | None:
    """The ImportId of a Qualtrics cell (``{"ImportId":"QID1"}`` -> ``QID1``), else None."""
    if not _IMPORT_ID.match(cell or ""):
        return None
    try:
        value = json.loads(cell)
    except ValueError:
        return None
    return str(value.get("ImportId")) if isinstance(value, dict) else None
