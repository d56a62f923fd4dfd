"""Safe reading of Excel workbooks (.xlsx via openpyxl, .xls via xlrd) into rows of cells.

Checks run before any XML is parsed: the zip directory's declared uncompressed size against a
cap (zip bombs), DOCTYPE/ENTITY declarations in the XML parts (entity bombs — openpyxl also
parses through defusedxml, asserted below), and encryption (an OLE container holding an
``EncryptedPackage`` stream is a password-protected .xlsx).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

import olefile
import openpyxl
import openpyxl.xml
import xlrd
from pydantic import BaseModel, ConfigDict

from kamcore.errors import KamError

#: Bytes read from the start of each XML part to look for DTD declarations.
_XML_PROBE_BYTES = 8192


class SheetCells(BaseModel):
    """One worksheet as rows of Python cell values (None for empty cells)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str
    rows: list[tuple[Any, ...]]


def _corrupt(filename: str) -> KamError:
    return KamError(
        "ingest.corrupt_workbook",
        "The file '{filename}' is not a readable Excel workbook; it may be damaged. Open it in Excel, save it again and upload the new file.",
        filename=filename,
    )


def check_ole(data: bytes, filename: str) -> str:
    """'xls' for a legacy workbook; KamError for an encrypted workbook or another OLE file."""
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception as exc:  # olefile raises several unrelated types on junk
        raise _corrupt(filename) from exc
    try:
        streams = {"/".join(entry).lower() for entry in ole.listdir(streams=True, storages=True)}
    finally:
        ole.close()
    if "encryptedpackage" in streams or "encryptioninfo" in streams:
        raise KamError(
            "ingest.encrypted_workbook",
            "The workbook '{filename}' is protected with a password. Remove the password in Excel (File > Info > Protect Workbook) and upload it again.",
            filename=filename,
        )
    if "workbook" in streams or "book" in streams:
        return "xls"
    raise KamError(
        "ingest.binary_file",
        "The file '{filename}' does not contain a table (it is a {kind} file). Upload a CSV, TXT, XLSX or XLS file.",
        filename=filename,
        kind="OLE",
    )


def check_xlsx_zip(data: bytes, filename: str, max_uncompressed_mb: float) -> None:
    """Reject zips that are not workbooks, that would unpack beyond the cap, or carry a DTD.

    Notes
    -----
    The sizes come from the zip's central directory, read before anything is decompressed.
    A lying directory cannot help an attacker: openpyxl then still parses through
    defusedxml, and only the first few KB of each XML part are decompressed here.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _corrupt(filename) from exc
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names and "xl/workbook.bin" not in names:
        raise KamError(
            "ingest.binary_file",
            "The file '{filename}' does not contain a table (it is a {kind} file). Upload a CSV, TXT, XLSX or XLS file.",
            filename=filename,
            kind="ZIP",
        )
    if "xl/workbook.bin" in names:
        raise KamError(
            "ingest.xlsb_not_supported",
            "'{filename}' is a binary Excel workbook (.xlsb). Save it as .xlsx in Excel and upload it again.",
            filename=filename,
        )
    declared = sum(info.file_size for info in infos)
    if declared > max_uncompressed_mb * 1024 * 1024:
        raise KamError(
            "ingest.zip_bomb",
            "The workbook '{filename}' would unpack to {size_mb} MB, more than the limit of {limit_mb} MB.",
            filename=filename,
            size_mb=round(declared / 1024 / 1024),
            limit_mb=f"{max_uncompressed_mb:g}",
        )
    for info in infos:
        if not info.filename.endswith((".xml", ".rels", ".vml")):
            continue
        try:
            with archive.open(info) as part:
                probe = part.read(_XML_PROBE_BYTES)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError) as exc:
            raise _corrupt(filename) from exc
        if b"<!DOCTYPE" in probe.upper() or b"<!ENTITY" in probe.upper():
            raise KamError(
                "ingest.xml_entity",
                "The workbook '{filename}' contains XML entity declarations, which Excel never writes; it was refused as unsafe.",
                filename=filename,
            )


def read_xlsx(data: bytes, filename: str, max_sheets: int, max_columns: int) -> list[SheetCells]:
    """Every worksheet of an .xlsx as rows of cell values (formulas as their cached values)."""
    if not openpyxl.xml.DEFUSEDXML:  # pragma: no cover - depends on the environment
        raise RuntimeError("openpyxl must parse through defusedxml; unset OPENPYXL_DEFUSEDXML=False")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises KeyError/ValueError/XML errors on damaged files
        text = str(exc)
        if "EntitiesForbidden" in type(exc).__name__ or "DTD" in text:
            raise KamError(
                "ingest.xml_entity",
                "The workbook '{filename}' contains XML entity declarations, which Excel never writes; it was refused as unsafe.",
                filename=filename,
            ) from exc
        raise _corrupt(filename) from exc
    try:
        sheets = [ws for ws in workbook.worksheets if ws.sheet_state != "veryHidden"]
        _check_sheet_count(len(sheets), filename, max_sheets)
        result = []
        for sheet in sheets:
            if hasattr(sheet, "reset_dimensions"):
                # Excel's stored dimension can be wrong; reading without it reads every cell.
                sheet.reset_dimensions()
            rows: list[tuple[Any, ...]] = []
            try:
                for row in sheet.iter_rows(values_only=True):
                    _check_width(row, filename, max_columns)
                    rows.append(tuple(row))
            except KamError:
                raise
            except Exception as exc:
                raise _corrupt(filename) from exc
            result.append(SheetCells(name=sheet.title, rows=rows))
        return result
    finally:
        workbook.close()


def read_xls(data: bytes, filename: str, max_sheets: int, max_columns: int) -> list[SheetCells]:
    """Every worksheet of a legacy .xls, dates converted with the workbook's date mode."""
    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except xlrd.XLRDError as exc:
        if "encrypt" in str(exc).lower():
            raise KamError(
                "ingest.encrypted_workbook",
                "The workbook '{filename}' is protected with a password. Remove the password in Excel (File > Info > Protect Workbook) and upload it again.",
                filename=filename,
            ) from exc
        raise _corrupt(filename) from exc
    except Exception as exc:
        raise _corrupt(filename) from exc
    try:
        _check_sheet_count(book.nsheets, filename, max_sheets)
        result = []
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            if sheet.ncols > max_columns:
                _too_wide(filename, sheet.ncols, max_columns)
            rows = []
            for r in range(sheet.nrows):
                row = []
                for cell in sheet.row(r):
                    if cell.ctype == xlrd.XL_CELL_DATE:
                        row.append(xlrd.xldate_as_datetime(cell.value, book.datemode))
                    elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                        row.append(None)
                    elif cell.ctype == xlrd.XL_CELL_ERROR:
                        row.append(xlrd.error_text_from_code.get(cell.value, "#ERROR"))
                    elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                        row.append(bool(cell.value))
                    else:
                        row.append(cell.value)
                rows.append(tuple(row))
            result.append(SheetCells(name=sheet.name, rows=rows))
            book.unload_sheet(index)
        return result
    finally:
        book.release_resources()


def _check_sheet_count(n_sheets: int, filename: str, max_sheets: int) -> None:
    if n_sheets > max_sheets:
        raise KamError(
            "ingest.too_many_sheets",
            "The workbook '{filename}' has {n_sheets} sheets; the limit is {limit}.",
            filename=filename,
            n_sheets=n_sheets,
            limit=max_sheets,
        )


def _too_wide(filename: str, n_columns: int, limit: int) -> None:
    raise KamError(
        "ingest.too_many_columns",
        "The table in '{filename}' has {n_columns} columns; the limit is {limit}.",
        filename=filename,
        n_columns=n_columns,
        limit=limit,
    )


def _check_width(row: tuple[Any, ...], filename: str, max_columns: int) -> None:
    if len(row) > max_columns:
        last = max((i for i, v in enumerate(row) if v is not None and v != ""), default=-1)
        if last + 1 > max_columns:
            _too_wide(filename, last + 1, max_columns)


def cell_text(value: Any) -> str | None:
    """A cell value as the text ingest's parser understands (numbers with '.', ISO dates)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)
