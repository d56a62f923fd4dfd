"""Workspace access rules, their sidecar files, and password hashing for the simple login."""

from __future__ import annotations

import time
from pathlib import Path

import bcrypt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kamcore import access, db
from kamcore.access import WorkspaceAccess, can_manage, can_open, visible_workspaces
from kamcore.errors import KamError
from kamcore.settings import load_settings

PRIVATE = WorkspaceAccess(owner="kari", visibility="private")
NAMED = WorkspaceAccess(owner="kari", visibility="named", shared_with=("ola", "sven"))
EVERYONE = WorkspaceAccess(owner="kari", visibility="everyone")


@pytest.mark.parametrize(
    ("user", "rule", "expected"),
    [
        (None, PRIVATE, True),  # login off: one local user sees everything
        (None, access.LOCKED, True),
        ("kari", PRIVATE, True),
        ("ola", PRIVATE, False),
        ("", PRIVATE, False),
        ("kari", NAMED, True),
        ("ola", NAMED, True),
        ("sven", NAMED, True),
        ("per", NAMED, False),
        ("Ola", NAMED, False),  # names compare exactly
        ("per", EVERYONE, True),
        ("per", None, False),  # no rule never means shared (a renamed/deleted name, a foreign file)
        ("kari", access.LOCKED, False),  # unreadable sidecar: nobody
        ("ola", WorkspaceAccess(owner="kari", visibility="private", shared_with=("ola",)), False),
    ],
)
def test_can_open(user, rule, expected):
    assert can_open(user, rule) is expected


@pytest.mark.parametrize(
    ("user", "rule", "expected"),
    [
        (None, None, False),
        ("per", None, False),  # nobody may claim a workspace without a rule ...
        ("per", WorkspaceAccess(), False),  # ... or without an owner: an administrator names one
        ("per", WorkspaceAccess(owner=None, visibility="everyone"), False),
        ("kari", PRIVATE, True),
        ("ola", NAMED, False),
        ("per", EVERYONE, False),
        ("kari", access.LOCKED, False),
    ],
)
def test_can_manage(user, rule, expected):
    assert can_manage(user, rule) is expected


@settings(max_examples=60, deadline=None)
@given(
    user=st.text(min_size=1, max_size=8),
    owner=st.text(min_size=1, max_size=8),
    shared=st.lists(st.text(min_size=1, max_size=8), max_size=4),
    visibility=st.sampled_from(["private", "named", "everyone"]),
)
def test_owner_always_opens_and_private_means_owner_only(user, owner, shared, visibility):
    rule = WorkspaceAccess(owner=owner, visibility=visibility, shared_with=tuple(shared))
    assert can_open(owner, rule)
    if visibility == "private":
        assert can_open(user, rule) is (user == owner)
    if visibility == "named":
        assert can_open(user, rule) is (user == owner or user in shared)


def _make(root: Path, *names: str) -> None:
    for name in names:
        db.create_workspace(root, name)


def test_visible_workspaces_filters_by_sidecar(tmp_path: Path):
    _make(tmp_path, "demo", "kari_private", "team", "broken")
    access.write_access(tmp_path, "kari_private", PRIVATE)
    access.write_access(tmp_path, "team", NAMED)
    access.access_path(tmp_path, "broken").write_text("{not json", encoding="utf-8")
    infos = db.list_workspaces(tmp_path)
    rules = access.read_rules(tmp_path, [i.name for i in infos])
    assert rules["demo"] is None
    assert rules["broken"] == access.LOCKED

    def names(user):
        return [i.name for i in visible_workspaces(user, infos, rules)]

    assert names(None) == ["broken", "demo", "kari_private", "team"]
    # Without a rule nobody sees "demo" (fail closed) until the one-time migration gives it one.
    assert names("kari") == ["kari_private", "team"]
    assert access.migrate_legacy(tmp_path, [i.name for i in infos]) == ["demo"]
    rules = access.read_rules(tmp_path, [i.name for i in infos])
    assert rules["demo"] == WorkspaceAccess(owner=None, visibility="everyone")
    assert rules["broken"] == access.LOCKED  # an unreadable rule is not overwritten
    assert names("kari") == ["demo", "kari_private", "team"]
    assert names("ola") == ["demo", "team"]
    assert names("per") == ["demo"]
    # The sidecar is not listed as a workspace of its own.
    assert [i.name for i in infos] == ["broken", "demo", "kari_private", "team"]


def test_write_access_round_trips_and_cleans_names(tmp_path: Path):
    _make(tmp_path, "team")
    access.write_access(tmp_path, "team", WorkspaceAccess(owner="kari", visibility="named",
                                                          shared_with=(" sven ", "ola", "", "ola")))
    assert access.read_access(tmp_path, "team") == WorkspaceAccess(
        owner="kari", visibility="named", shared_with=("ola", "sven"))
    assert not list(tmp_path.glob("*.tmp"))


def test_write_access_needs_the_workspace(tmp_path: Path):
    with pytest.raises(KamError) as info:
        access.write_access(tmp_path, "ghost", PRIVATE)
    assert info.value.code == "db.no_workspace"
    assert not access.access_path(tmp_path, "ghost").exists()


def test_sidecar_moves_and_goes_with_its_workspace(tmp_path: Path):
    _make(tmp_path, "alpha")
    access.write_access(tmp_path, "alpha", PRIVATE)
    db.rename_workspace(tmp_path, "alpha", "beta")
    assert access.read_access(tmp_path, "beta") == PRIVATE
    assert not access.access_path(tmp_path, "alpha").exists()
    # A new workspace under the old name does not inherit the old rule.
    _make(tmp_path, "alpha")
    assert access.read_access(tmp_path, "alpha") is None
    db.delete_workspace(tmp_path, "beta")
    assert not access.access_path(tmp_path, "beta").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alpha.duckdb"]


def test_sidecar_path_cannot_escape_the_folder(tmp_path: Path):
    with pytest.raises(KamError) as info:
        access.read_access(tmp_path, "../etc/passwd")
    assert info.value.code == "db.bad_workspace_name"


def test_parse_user_list():
    assert access.parse_user_list("ola\n sven , kari@firma.no,\n\nola") == ("kari@firma.no", "ola", "sven")
    assert access.parse_user_list("  ") == ()


# ------------------------------------------------------------------ passwords
FAST = 4  # bcrypt cost for tests; production hashes use 12


def test_hash_and_verify():
    hashed = access.hash_password("riktig-hest-batteri", rounds=FAST)
    assert hashed.startswith("$2b$04$")
    users = {"kari": hashed, "ola": access.hash_password("et-annet-passord", rounds=FAST)}
    assert access.verify_password(users, "kari", "riktig-hest-batteri") == "kari"
    assert access.verify_password(users, " kari ", "riktig-hest-batteri") == "kari"
    assert access.verify_password(users, "kari", "riktig-hest-batteri ") is None
    assert access.verify_password(users, "kari", "et-annet-passord") is None
    assert access.verify_password(users, "KARI", "riktig-hest-batteri") is None
    assert access.verify_password(users, "per", "riktig-hest-batteri") is None
    assert access.verify_password(users, "", "") is None
    assert access.verify_password(users, "kari", "") is None


def test_verify_rejects_unusable_stored_hashes():
    users = {"plain": "riktig-hest-batteri", "broken": "$2b$12$tooshort", "number": 12345}
    assert access.verify_password(users, "plain", "riktig-hest-batteri") is None
    assert access.verify_password(users, "broken", "anything-at-all") is None
    assert access.verify_password(users, "number", "12345") is None


def test_long_password_is_refused_not_truncated():
    base = "a" * 72
    hashed = access.hash_password(base, rounds=FAST)
    # bcrypt alone would accept any password sharing the first 72 bytes.
    assert access.verify_password({"kari": hashed}, "kari", base + "zzz") is None
    with pytest.raises(KamError) as info:
        access.hash_password(base + "b")
    assert (info.value.code, info.value.params) == ("access.password_too_long", {"n": 72})
    with pytest.raises(KamError) as info:
        access.hash_password("kort")
    assert (info.value.code, info.value.params) == ("access.password_too_short", {"n": 10})


def test_unknown_user_costs_a_full_bcrypt_check():
    """An unknown name runs one cost-12 comparison, like a known name with a wrong password."""
    users = {"kari": bcrypt.hashpw(b"riktig-hest-batteri", bcrypt.gensalt(12)).decode()}
    rounds = int(access._DUMMY_HASH.decode().split("$")[2])
    assert rounds == access.BCRYPT_ROUNDS == 12
    # Not a timing benchmark: checks that a bcrypt comparison ran at all (cost 12 takes far
    # longer than a dictionary miss), so the two paths cannot be told apart by a fast exit.
    start = time.perf_counter()
    assert access.verify_password(users, "nobody", "whatever-password") is None
    assert time.perf_counter() - start > 0.02


def test_hash_command(monkeypatch, capsys):
    answers = iter(["riktig-hest-batteri", "riktig-hest-batteri"])
    monkeypatch.setattr(access.getpass, "getpass", lambda prompt="": next(answers))
    monkeypatch.setattr(access, "BCRYPT_ROUNDS", FAST)
    monkeypatch.setattr(access.hash_password, "__defaults__", (FAST,))
    assert access._main(["hash"]) == 0
    printed = capsys.readouterr().out.strip()
    assert access.verify_password({"kari": printed}, "kari", "riktig-hest-batteri") == "kari"
    answers = iter(["riktig-hest-batteri", "feil-hest-batteri"])
    assert access._main(["hash"]) == 1
    assert access._main([]) == 2


@pytest.mark.parametrize(("value", "mode", "required"), [
    (None, "none", False), ("none", "none", False), ("password", "password", True), ("oidc", "oidc", True),
])
def test_auth_setting(value, mode, required):
    cfg = load_settings({} if value is None else {"KAMSTUDIO_AUTH": value})
    assert (cfg.auth_mode, cfg.login_required) == (mode, required)


def test_misspelt_auth_setting_fails_closed():
    with pytest.raises(ValueError):
        load_settings({"KAMSTUDIO_AUTH": "passwd"})


def test_example_secrets_parse_and_let_nobody_in():
    import tomllib

    root = Path(__file__).resolve().parents[2]
    example = tomllib.loads((root / ".streamlit" / "secrets.toml.example").read_text(encoding="utf-8"))
    assert set(example["auth"]) == {"redirect_uri", "cookie_secret", "client_id", "client_secret",
                                    "server_metadata_url"}
    assert example["auth"]["redirect_uri"].endswith("/oauth2callback")
    users = example["auth_passwords"]
    assert set(users) == {"kari", "ola"}
    # The placeholders are not valid bcrypt hashes: copying the example admits no one.
    assert access.verify_password(users, "kari", "replace") is None
    assert access.verify_password(users, "kari", "") is None
