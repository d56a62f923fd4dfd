"""kamcore.access.manage_refusal: who may rename or delete a workspace, and why not."""

from __future__ import annotations

import pytest

from kamcore.access import WorkspaceAccess, manage_refusal

KARI = WorkspaceAccess(owner="kari", visibility="named", shared_with=("ola",))
NO_OWNER = WorkspaceAccess(owner=None, visibility="everyone")


@pytest.mark.parametrize(
    ("name", "user", "rule", "login", "expected"),
    [
        # the demo, whoever asks and whatever its rule says
        ("demo", None, None, False, "demo_protected"),
        ("demo", "kari", WorkspaceAccess(owner="kari"), True, "demo_protected"),
        # login off: the one user manages every other workspace, with or without a rule
        ("Kunde Vest", None, None, False, None),
        ("Kunde Vest", None, KARI, False, None),
        # login on: only the owner; shared users, others, unowned and rule-less workspaces refused
        ("Kunde Vest", "kari", KARI, True, None),
        ("Kunde Vest", "ola", KARI, True, "not_owner"),
        ("Kunde Vest", "per", KARI, True, "not_owner"),
        ("Kunde Vest", "kari", NO_OWNER, True, "not_owner"),
        ("Kunde Vest", "kari", None, True, "not_owner"),
        # the demo's name is the caller's: another name is an ordinary workspace
        ("demo", "kari", KARI, True, "demo_protected"),
        ("Demo", "kari", KARI, True, None),
    ],
)
def test_manage_refusal(name, user, rule, login, expected):
    assert manage_refusal(name, user, rule, login_required=login, demo_name="demo") == expected


def test_a_renamed_demo_name_is_protected_instead():
    assert manage_refusal("eksempel", None, None, login_required=False, demo_name="eksempel") == "demo_protected"
    assert manage_refusal("demo", None, None, login_required=False, demo_name="eksempel") is None
