"""kamcore.ingest_text: container sniffing, encodings, line bounds and layout detection."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kamcore.ingest_text import (
    WHITESPACE,
    count_line_breaks,
    detect_encoding,
    detect_layout,
    detect_utf16,
    line_bounds,
    longest_line,
    record_lines,
    sniff_container,
    whitespace_to_tabs,
)


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"PK\x03\x04rest", "zip"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "ole"),
        (b"\x89PNG\r\n\x1a\nxx", "binary:PNG"),
        (b"a;b\x00c", "binary:NUL"),
        ("a;b\n".encode("utf-16-le"), "text"),
        (b"Kundenr;Navn\n1;x\n", "text"),
    ],
)
def test_sniff_container(head, kind):
    assert sniff_container(head) == kind


def test_utf16_without_bom_by_nul_pattern():
    assert detect_utf16("Kundenr;Omsetning\n".encode("utf-16-le")) == "utf-16-le"
    assert detect_utf16("Kundenr;Omsetning\n".encode("utf-16-be")) == "utf-16-be"
    assert detect_utf16(b"Kundenr;Omsetning\n") is None


def test_detect_encoding_order():
    assert detect_encoding("æøå".encode()) == "utf-8"
    assert detect_encoding(b"\xef\xbb\xbf" + "æøå".encode()) == "utf-8-sig"
    assert detect_encoding("æøå äö €".encode("cp1252")) == "cp1252"
    assert detect_encoding(b"\x81\x8d") == "latin-1"


def test_line_bounds_lf_and_crlf():
    data = b"ab\r\n\r\ncde\nf"
    starts, ends = line_bounds(data)
    assert [data[s:e] for s, e in zip(starts, ends)] == [b"ab", b"", b"cde", b"f"]
    starts, ends = line_bounds(b"a\nb\n")
    assert starts.tolist() == [0, 2] and ends.tolist() == [1, 3]
    assert longest_line("x\nøøø\n".encode(), *line_bounds("x\nøøø\n".encode())) == (2, 3)
    empty = line_bounds(b"")
    assert all(isinstance(a, np.ndarray) and a.size == 0 for a in empty)


def test_detect_layout_skips_title_lines_and_picks_delimiter():
    sample = "Rapport\n\nKunde;Beløp;Dato\nA;1,5;01.01.2026\nB;2,5;02.01.2026\n"
    layout = detect_layout(sample, complete=True)
    assert (layout.delimiter, layout.header_line, layout.header) == (";", 2, ["Kunde", "Beløp", "Dato"])


def test_detect_layout_comma_file_with_decimal_commas_in_quotes():
    sample = 'a,b,c\n"1,5",2,3\n"2,5",3,4\n'
    layout = detect_layout(sample, complete=True)
    assert layout.delimiter == ","


def test_record_lines_with_quoted_newlines_and_blank_lines():
    text = 'h;x\n1;"a\nb"\n\n2;c\n3;d\n'
    assert record_lines(text, ";", 0, {1, 2, 3}) == {1: 2, 2: 5, 3: 6}


@pytest.mark.parametrize(
    ("data", "expected"),
    [(b"", False), (b"a;b\r\n1;2\r\n", False), (b"a;b\r1;2", True), (b"a;b\r", True), (b"a\r\r\n", True), (b"a\nb", False)],
)
def test_a_lone_cr_is_a_cr_outside_a_crlf(data, expected):
    assert count_line_breaks(data).lone_cr is expected


def test_line_breaks_are_counted_across_slices():
    # 4 LF, 3 CR and 2 CRLF in 13 bytes; slices of 4 bytes cut the text at "a\r\nb" / "\n\nc\r" /
    # "\nd\n;" / "\r": the second CRLF is split between two slices.
    data = b"a\r\nb\n\nc\r\nd\n;\r"
    breaks = count_line_breaks(data, chunk=4)
    assert (breaks.lf, breaks.cr, breaks.crlf) == (5, 3, 2)
    assert count_line_breaks(b"").model_dump() == {"lf": 0, "cr": 0, "crlf": 0}
    assert count_line_breaks(b"\r\n\r\n", chunk=1).model_dump() == {"lf": 2, "cr": 2, "crlf": 2}


@given(st.lists(st.sampled_from([b"\r", b"\n", b"\r\n", b"x", b";"]), max_size=40), st.integers(1, 9))
def test_line_breaks_match_bytes_count_wherever_the_slices_cut(parts, chunk):
    data = b"".join(parts)
    breaks = count_line_breaks(data, chunk=chunk)
    assert (breaks.lf, breaks.cr, breaks.crlf) == (data.count(b"\n"), data.count(b"\r"), data.count(b"\r\n"))
    expected_lone = any(byte == 13 and data[i + 1 : i + 2] != b"\n" for i, byte in enumerate(data))
    assert breaks.lone_cr is expected_lone


@given(
    st.lists(st.sampled_from([b"\n", b"\r\n", b"x", b"yz", b";", b"\r"]), max_size=40),
    st.integers(min_value=1, max_value=7),
)
def test_line_bounds_match_splitting_at_line_breaks_for_any_slice_size(parts, chunk):
    data = b"".join(parts).replace(b"\r\n", b"\0").replace(b"\r", b"").replace(b"\0", b"\r\n")  # no lone CR
    lines = data.split(b"\n")
    if data.endswith(b"\n") or not data:
        lines = lines[:-1]
    expected = [line[:-1] if line.endswith(b"\r") else line for line in lines]
    starts, ends = line_bounds(data, chunk=chunk)
    assert [data[s:e] for s, e in zip(starts, ends, strict=True)] == expected
    # Offsets must be positions in data, with starts just after the previous line break.
    assert all(starts[i + 1] == data.index(b"\n", ends[i]) + 1 for i in range(len(starts) - 1))


def test_whitespace_to_tabs_keeps_lines_and_drops_edge_blanks():
    data = b"  id   date  value\r\n 00001 19970101   11.77 \r\n\r\n\t00002\t19970112 12\n"
    assert whitespace_to_tabs(data) == b"id\tdate\tvalue\r\n00001\t19970101\t11.77\r\n\r\n00002\t19970112\t12\n"


def test_detect_layout_finds_a_whitespace_aligned_table_of_figures():
    sample = "Kjøp per kunde\n\n kunde   dato      beløp\n 001  20250101   10.5\n 002  20250102  120.0\n 003  20250103    7.25\n"
    layout = detect_layout(sample, complete=True)
    assert (layout.delimiter, layout.header_line, layout.header) == (WHITESPACE, 2, ["kunde", "dato", "beløp"])


def test_a_single_column_of_names_with_spaces_is_not_a_whitespace_table():
    sample = "Kundenavn\nOla Nordmann\nKari Nordmann\nPer Hansen\nAnne Berg\n"
    layout = detect_layout(sample, complete=True)
    assert layout.delimiter != WHITESPACE
    assert layout.header == ["Kundenavn"]


def test_whitespace_layout_counts_only_real_line_breaks():
    # A form feed inside the title must not shift the header's line number.
    sample = "Rapport\x0cA\n kunde  beløp\n 001   10.5\n 002   20.0\n 003    7.25\n"
    layout = detect_layout(sample, complete=True)
    assert (layout.delimiter, layout.header_line) == (WHITESPACE, 1)


@pytest.mark.parametrize(
    "data",
    [b"", b"a", b"a\n", b"a\r\n", b"a\r\nb\nc\r\n", b"a\nb\r\nc", b"\r\n\r\n\n", b"x\r\r\ny\n", b"a\r\nb\r\nc"],
)
def test_line_bounds_with_the_lf_count_given_equal_those_counting_it_themselves(data):
    starts, ends = line_bounds(data)
    assert line_bounds(data, n_breaks=data.count(b"\n"))[0].tolist() == starts.tolist()
    assert line_bounds(data, n_breaks=data.count(b"\n"))[1].tolist() == ends.tolist()
