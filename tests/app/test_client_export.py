"""The consultant's second act: the client's own export goes in and every page tells the story.

The export here is a real one: CDNOW's purchase log (whitespace-aligned, yyyymmdd dates, no
cost, no names), imported with the mapping ingest guessed and nothing else in the workspace.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kamcore import db
from kamcore.ingest import guess_mapping, load_file
from tests.app.conftest import APP, ROOT, RouterAppTest

CDNOW = ROOT / "tests" / "fixtures" / "real" / "cdnow_master.txt"


@pytest.fixture
def client_workspace(demo_root: Path) -> str:
    parsed = load_file(CDNOW).tables[0]
    guess = guess_mapping(parsed.data)
    db.create_workspace(demo_root, "client")
    with db.Workspace.open(db.workspace_path(demo_root, "client")) as workspace:
        workspace.import_table("purchases", parsed.data, kind=guess.kind, mapping=guess.mapping)
    return "client"


def open_page(page: str, workspace: str) -> RouterAppTest:
    at = RouterAppTest(Path(APP), default_timeout=90)
    at.session_state["lang"] = "en"
    at.session_state["workspace_name"] = workspace
    at.session_state["app.start_page"] = page
    at.run()
    return at


@pytest.mark.parametrize("page", ["home", "portfolio", "selection", "segments", "survey"])
def test_every_page_works_on_the_client_export(client_workspace, page):
    at = open_page(page, client_workspace)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def independent_class_a_count() -> tuple[int, int]:
    """(class-A accounts, all accounts) straight from the raw lines: largest first, an account
    is A while the accounts before it hold less than 80 % of the positive revenue."""
    totals: dict[str, float] = {}
    for line in CDNOW.read_text(encoding="utf-8").splitlines()[1:]:
        fields = line.split()
        if fields:
            totals[fields[0]] = totals.get(fields[0], 0.0) + float(fields[3])
    positive = sorted((v for v in totals.values() if v > 0), reverse=True)
    total, before, count = sum(positive), 0.0, 0
    for value in positive:
        count += before / total < 0.8 - 1e-9
        before += value
    return count, len(totals)


def test_portfolio_on_the_client_export_shows_the_pareto_story(client_workspace):
    at = open_page("portfolio", client_workspace)
    class_a, accounts = independent_class_a_count()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["A accounts"] == f"{class_a:,}"
    share = f"{100 * class_a / accounts:.1f}% of the accounts, 80.0% of revenue"
    assert any(c.value == share for c in at.caption)
    assert at.get("plotly_chart")


def test_segments_on_the_client_export_cluster_its_accounts(client_workspace):
    at = open_page("segments", client_workspace)
    assert at.get("plotly_chart")
    assert not at.exception
