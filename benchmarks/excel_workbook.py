"""A 100k-row x 11-column .xlsx written the way Excel writes it (shared strings, styled dates).

Used by ``benchmarks/excel.py``. The XML is written directly (openpyxl's write-only mode uses
inline strings, which Excel itself never writes for typed-in text).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

HEADER = [
    "Kundenr", "Kundenavn", "Fakturadato", "Ordrenr", "Produktgruppe", "Omsetning",
    "Kostnad", "Antall", "Region", "Bransje", "Selger",
]  # fmt: skip

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"""
_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"""
_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Salg" sheetId="1" r:id="rId1"/></sheets></workbook>"""
_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"""
_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>"""


def _letters(index: int) -> str:
    text = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        text = chr(65 + rest) + text
    return text


def build(rows: int = 100_000, seed: int = 20261123) -> bytes:
    """The workbook's bytes (deterministic for a given seed)."""
    rng = np.random.default_rng(seed)
    customers = rng.integers(10_000, 14_000, rows)
    days = rng.integers(0, 1096, rows) + 45231  # Excel serial of 2023-11-01
    revenue = np.round(rng.lognormal(8, 1.2, rows), 2) * np.where(rng.random(rows) < 0.03, -1, 1)
    cost = np.round(revenue * rng.uniform(0.4, 0.9, rows), 2)
    quantity = rng.integers(1, 50, rows)
    pools = {
        "Produktgruppe": ["Maskiner", "Reservedeler", "Service", "Forbruk", "Verktøy"],
        "Region": ["Øst", "Vest", "Nord", "Midt", "Sør"],
        "Bransje": ["Bygg", "Industri", "Handel", "Offentlig"],
        "Selger": ["Kari", "Ola", "Åse", "Pål", "Siri", "Jørn"],
    }
    strings: dict[str, int] = {}

    def sid(text: str) -> int:
        return strings.setdefault(text, len(strings))

    header_ids = [sid(h) for h in HEADER]
    names = np.array([sid(f"Kunde {c} AS") for c in range(10_000, 14_000)])[customers - 10_000]
    picks = {k: np.array([sid(v) for v in pool])[rng.integers(0, len(pool), rows)] for k, pool in pools.items()}
    letters = [_letters(i) for i in range(len(HEADER))]
    out = io.StringIO()
    out.write(
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="A1:{letters[-1]}{rows + 1}"/><sheetData>'
    )
    out.write('<row r="1">' + "".join(f'<c r="{letter}1" t="s"><v>{i}</v></c>' for letter, i in zip(letters, header_ids, strict=True)) + "</row>")
    for r in range(rows):
        n = r + 2
        out.write(
            f'<row r="{n}"><c r="A{n}"><v>{customers[r]}</v></c><c r="B{n}" t="s"><v>{names[r]}</v></c>'
            f'<c r="C{n}" s="1"><v>{days[r]}</v></c><c r="D{n}"><v>{500_000 + r // 3}</v></c>'
            f'<c r="E{n}" t="s"><v>{picks["Produktgruppe"][r]}</v></c><c r="F{n}"><v>{float(revenue[r])!r}</v></c>'
            f'<c r="G{n}"><v>{float(cost[r])!r}</v></c><c r="H{n}"><v>{quantity[r]}</v></c>'
            f'<c r="I{n}" t="s"><v>{picks["Region"][r]}</v></c><c r="J{n}" t="s"><v>{picks["Bransje"][r]}</v></c>'
            f'<c r="K{n}" t="s"><v>{picks["Selger"][r]}</v></c></row>'
        )
    out.write("</sheetData></worksheet>")
    shared = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(strings)}" uniqueCount="{len(strings)}">'
        + "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
        + "</sst>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", _STYLES)
        archive.writestr("xl/sharedStrings.xml", shared)
        archive.writestr("xl/worksheets/sheet1.xml", out.getvalue())
    return buffer.getvalue()


def write(path: Path, rows: int = 100_000) -> Path:
    path.write_bytes(build(rows))
    return path
