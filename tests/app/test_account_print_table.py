"""The account plan's printed tables (ui.account_print): user text escaped, numbers in the language."""

from __future__ import annotations

import pandas as pd

from ui import account_print, i18n


def test_user_text_is_escaped_and_markdown_characters_are_entities():
    frame = pd.DataFrame({"Mål": ["<img src=x onerror=alert(1)>", "**bold** _x_"], "Ansvarlig": ["Kari", None]})
    html = account_print.table_html(frame)
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "**" not in html and "&#42;&#42;bold&#42;&#42; &#95;x&#95;" in html
    assert html.count("<tr>") == 3 and "<td>–</td>" in html  # a missing owner shows a dash


def test_numbers_in_norwegian_each_with_its_own_decimals():
    frame = pd.DataFrame({"Utgangspunkt": [-26.3, 17_832_386.0], "Andel": ["1 %", "5 %"]})
    with i18n.language("nb"):
        html = account_print.table_html(frame)
    assert '<td class="kam-num">-26,3</td>' in html
    assert '<td class="kam-num">17\u00a0832\u00a0386</td>' in html
    assert "<td>1 %</td>" in html
