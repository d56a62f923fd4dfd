"""Issue 12, point 11: a UTF-8 file with some Windows-1252 lines is read line by line (and the
lines are reported); NUL bytes never stay inside cells."""

from __future__ import annotations

import pytest

from kamcore.errors import KamError
from kamcore.ingest import load_file
from kamcore.ingest_text import split_mixed_encoding


def _mixed_file() -> bytes:
    header = b"Kundenr;Kundenavn;Omsetning\n"
    utf8 = "".join(f"{i};Ærlig Øvre Ås {i};{i},50\n" for i in range(20_000)).encode("utf-8")
    cp1252 = "".join(f"{i};Gammel Bødker Å {i};1,25\n" for i in range(20_000, 20_100)).encode("cp1252")
    return header + utf8 + cp1252


def test_utf8_rows_followed_by_windows_1252_rows():
    result = load_file(_mixed_file(), filename="blandet.csv")
    table = result.tables[0]
    names = table.data["Kundenavn"].tolist()
    assert len(names) == 20_100
    assert names[0] == "Ærlig Øvre Ås 0"  # not "Ã†rlig Ã˜vre Ã…s 0"
    assert names[19_999] == "Ærlig Øvre Ås 19999"
    assert names[20_000] == "Gammel Bødker Å 20000"
    assert names[-1] == "Gammel Bødker Å 20099"
    assert not any("Ã" in name for name in names)
    assert table.format.encoding == "utf-8+cp1252"
    issues = [issue for issue in table.quality.issues if issue.code == "mixed_encoding"]
    assert len(issues) == 1
    assert issues[0].severity == "warning"
    # Line 1 is the header: the cp1252 rows are lines 20,002 to 20,101 of the file.
    assert issues[0].params == {
        "n": 100,
        "lines": "20002, 20003, 20004, 20005, 20006, 20007, 20008, 20009, 20010, 20011 …",
    }


def test_the_warning_reads_in_the_users_language():
    from ui.i18n import translate

    sentence = translate("quality.mixed_encoding", "nb", n=100, lines="20002, 20003 …")
    assert sentence == ("100 linje(r) var ikke UTF-8 som resten av filen og ble lest som Windows-1252 "
                        "(linje 20002, 20003 …); kontroller navnene på disse linjene.")


def test_a_plain_windows_1252_file_is_not_called_mixed():
    data = "Kundenr;Kundenavn\n1;Bødker\n2;Åse\n".encode("cp1252")
    assert split_mixed_encoding(data) is None
    table = load_file(data, filename="ansi.csv").tables[0]
    assert table.format.encoding == "cp1252"
    assert table.data["Kundenavn"].tolist() == ["Bødker", "Åse"]
    assert not [i for i in table.quality.issues if i.code == "mixed_encoding"]


def test_lines_are_split_in_blocks_the_same_way():
    data = _mixed_file()
    whole = split_mixed_encoding(data)
    small_blocks = split_mixed_encoding(data, chunk=4096)
    assert whole is not None and small_blocks == whole
    assert whole[0].decode("utf-8").splitlines()[20_001] == "20000;Gammel Bødker Å 20000;1,25"


@pytest.mark.parametrize("position", [30_000, 5])
def test_a_nul_byte_is_refused_with_its_line(position):
    lines = [f"{i};Kunde {i};{i}" for i in range(40_000)]
    lines[position] = lines[position].replace("Kunde", "Ku\x00nde")
    data = ("Kundenr;Kundenavn;Omsetning\n" + "\n".join(lines) + "\n").encode("utf-8")
    with pytest.raises(KamError) as caught:
        load_file(data, filename="nul.csv")
    if position == 5:  # in the first bytes: the file is taken for a binary file, as before
        assert caught.value.code == "ingest.binary_file"
        return
    assert caught.value.code == "ingest.nul_character"
    assert str(caught.value) == (
        f"Line {position + 2} of 'nul.csv' contains a NUL character (a zero byte), which a text table cannot "
        "hold; the file may be damaged. Export it again and upload the new file."
    )
