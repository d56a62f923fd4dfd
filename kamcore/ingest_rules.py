"""Ingest's parsing rules: which text is a number, a currency amount or a date.

Owned by ingest and plain data (regular expressions and ``strptime`` formats), so the rules
can be read, tested and changed in one place. :mod:`kamcore.db_staging` turns them into SQL
for the scans; :mod:`kamcore.ingest` uses them to choose a column's plan. The regular
expressions use RE2 syntax (DuckDB's ``regexp_*``): ``\\x{00A0}`` is NBSP.

>>> import re
>>> bool(re.fullmatch(NUMBER_COMMA, "1.234,50")), bool(re.fullmatch(NUMBER_COMMA, "1.5"))
(True, False)
>>> bool(re.fullmatch(NUMBER_DOT, "1,234.50")), bool(re.fullmatch(NUMBER_DOT, "12,34"))
(True, False)
>>> [fmt for fmt, shape in DATE_FORMATS if re.fullmatch(shape, "05.12.2026")]
['%d.%m.%Y']
"""

from __future__ import annotations

#: Characters removed from number cells before parsing: space, NBSP, narrow NBSP.
NUMBER_SPACES: tuple[str, ...] = (" ", "\u00a0", "\u202f")
#: The minus sign (U+2212) some exports write instead of ASCII "-".
MINUS_SIGN = "\u2212"
#: Currency codes and signs allowed before or after a number ("kr 1.250,-", "1250,5 kr").
CURRENCY = r"(?i)^(kr\.?|nok|sek|dkk|eur|usd|€|\$|£)|(kr\.?|nok|sek|dkk|eur|usd|€|\$|£|,-|\.-)$"
#: A number with decimal comma: thousands (if any) as "." in groups of three.
NUMBER_COMMA = r"[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?"
#: A number with decimal point: thousands (if any) as "," in groups of three; exponent allowed.
NUMBER_DOT = r"[+-]?((\d{1,3}(,\d{3})+|\d+)(\.\d+)?|\.\d+)([eE][+-]?\d+)?"
# Unambiguous votes for the decimal mark: a separator followed by other than three digits,
# or both marks in thousands-then-decimal order, or two or more thousands groups.
VOTE_COMMA = r"[+-]?[\d.]*,(\d{1,2}|\d{4,})|[+-]?\d{1,3}(\.\d{3})+,\d+|[+-]?\d{1,3}(\.\d{3}){2,}"
VOTE_DOT = r"[+-]?[\d,]*\.(\d{1,2}|\d{4,})([eE][+-]?\d+)?|[+-]?\d{1,3}(,\d{3})+\.\d+|[+-]?\d{1,3}(,\d{3}){2,}"

#: Thousands separators counted per column (cells with a digit, the mark, three digits).
THOUSANDS_PATTERNS = {
    "th_space": r"\d \d{3}",
    "th_nbsp": r"\d\x{00A0}\d{3}",
    "th_nnbsp": r"\d\x{202F}\d{3}",
    "th_dot": r"\d\.\d{3}(\D|$)",
    "th_comma": r"\d,\d{3}(\D|$)",
}

#: yyyymmdd: strptime would also read seven digits ("1997011"), so coercing checks the shape too.
COMPACT_DATE_FORMAT = "%Y%m%d"

#: Date formats ingest recognises, each with the shape a cell must have first (so that
#: "%d.%m.%Y" never swallows a two-digit year). Order breaks ties: European day-first wins.
DATE_FORMATS: tuple[tuple[str, str], ...] = (
    ("%d.%m.%Y", r"\d{1,2}\.\d{1,2}\.\d{4}"),
    ("%Y-%m-%d", r"\d{4}-\d{1,2}-\d{1,2}"),
    ("%d/%m/%Y", r"\d{1,2}/\d{1,2}/\d{4}"),
    ("%m/%d/%Y", r"\d{1,2}/\d{1,2}/\d{4}"),
    ("%d-%m-%Y", r"\d{1,2}-\d{1,2}-\d{4}"),
    ("%d.%m.%y", r"\d{1,2}\.\d{1,2}\.\d{2}"),
    ("%Y-%m-%d %H:%M:%S", r"\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{2}:\d{2}"),
    ("%Y-%m-%dT%H:%M:%S", r"\d{4}-\d{1,2}-\d{1,2}T\d{1,2}:\d{2}:\d{2}"),
    ("%Y-%m-%d %H:%M", r"\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{2}"),
    ("%d.%m.%Y %H:%M", r"\d{1,2}\.\d{1,2}\.\d{4} \d{1,2}:\d{2}"),
    ("%d.%m.%Y %H:%M:%S", r"\d{1,2}\.\d{1,2}\.\d{4} \d{1,2}:\d{2}:\d{2}"),
    # Compact ISO (19970101, CDNOW and many ERP exports); the shape only admits real months
    # and days of the 1900s and 2000s, and the cell must have all eight digits.
    (COMPACT_DATE_FORMAT, r"(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])"),
)
#: The format a date column gets when its plan names none.
DEFAULT_DATE_FORMAT = "%Y-%m-%d"
