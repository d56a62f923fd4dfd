"""Who may open which workspace, and the password hashes for the simple login.

A workspace's access rule lives in a small sidecar file beside it
(``<workspace>.duckdb.access.json``), not inside the DuckDB file: the workspace picker has to
decide what to list without opening every database (a file open in another process is
locked, and opening dozens of files on every page run is slow). ``kamcore.db`` renames and
deletes the sidecar together with its workspace.

Rules:

* Login off (``user is None``): one person uses the app, every workspace is visible.
* No sidecar: the workspace predates login (or is the demo) and is shared with everyone
  who can sign in.
* ``private``: only the owner. ``named``: the owner and the users in ``shared_with``.
  ``everyone``: everyone who can sign in.
* A sidecar that cannot be read is treated as private with no owner: nobody sees the
  workspace until an operator repairs or deletes the file (fail closed).

Run ``python -m kamcore.access hash`` to hash a password for ``.streamlit/secrets.toml``.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Literal

import bcrypt
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kamcore.db import WorkspaceInfo, workspace_path
from kamcore.errors import KamError

ACCESS_SUFFIX = ".access.json"
Visibility = Literal["everyone", "private", "named"]
#: bcrypt reads at most 72 bytes; longer passwords would be silently truncated.
MAX_PASSWORD_BYTES = 72
MIN_PASSWORD_CHARS = 10
BCRYPT_ROUNDS = 12
# Checked against when the user name is unknown, so a wrong name costs as much time as a
# wrong password and response times do not reveal which user names exist.
_DUMMY_HASH = b"$2b$12$TxVfoWJmG8R..Zwn9fhgjOPmNLWYw/IS6GSHqJqxpJccKR5sZOlkO"


class WorkspaceAccess(BaseModel):
    """The access rule of one workspace.

    ``owner`` is the login name of the user who created (or claimed) it; ``shared_with``
    only matters when ``visibility`` is ``"named"``.
    """

    model_config = ConfigDict(frozen=True)

    owner: str | None = None
    visibility: Visibility = "everyone"
    shared_with: tuple[str, ...] = Field(default=())


#: What an unreadable sidecar means: nobody may open the workspace.
LOCKED = WorkspaceAccess(owner=None, visibility="private")


def can_open(user: str | None, access: WorkspaceAccess | None) -> bool:
    """True when ``user`` may see and open a workspace with rule ``access``.

    Parameters
    ----------
    user : str or None
        The signed-in login name; ``None`` when login is off (single user).
    access : WorkspaceAccess or None
        The workspace's rule; ``None`` when it has none (shared with everyone).

    Returns
    -------
    bool
    """
    if user is None or access is None or access.visibility == "everyone":
        return True
    if access.owner is not None and user == access.owner:
        return True
    return access.visibility == "named" and user in access.shared_with


def can_manage(user: str | None, access: WorkspaceAccess | None) -> bool:
    """True when ``user`` may change the rule, rename or delete the workspace.

    With login off nobody needs to (there is only one user); a workspace without an owner
    may be claimed by any signed-in user; otherwise only the owner may.
    """
    if user is None:
        return False
    if access is None or access.owner is None:
        return access is None or access.visibility == "everyone"
    return user == access.owner


def visible_workspaces(
    user: str | None,
    infos: Iterable[WorkspaceInfo],
    rules: Mapping[str, WorkspaceAccess | None],
) -> list[WorkspaceInfo]:
    """The workspaces ``user`` may see, in the order given.

    Parameters
    ----------
    user : str or None
        Signed-in login name, ``None`` with login off.
    infos : iterable of WorkspaceInfo
        The workspace files (``kamcore.db.list_workspaces``).
    rules : mapping of workspace name to WorkspaceAccess or None
        The rule of each workspace (``read_rules``); a missing name means no rule.

    Returns
    -------
    list of WorkspaceInfo
    """
    return [info for info in infos if can_open(user, rules.get(info.name))]


# ------------------------------------------------------------------ sidecar files
def access_path(root: str | Path, name: str) -> Path:
    """Where the access rule of workspace ``name`` is stored."""
    path = workspace_path(root, name)
    return path.with_name(path.name + ACCESS_SUFFIX)


def read_access(root: str | Path, name: str) -> WorkspaceAccess | None:
    """The rule of workspace ``name``; None when it has none; :data:`LOCKED` when unreadable."""
    path = access_path(root, name)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError:
        return LOCKED
    try:
        return WorkspaceAccess.model_validate_json(text)
    except ValidationError:
        return LOCKED


def read_rules(root: str | Path, names: Iterable[str]) -> dict[str, WorkspaceAccess | None]:
    """The rule of each workspace in ``names`` (see :func:`read_access`)."""
    return {name: read_access(root, name) for name in names}


def write_access(root: str | Path, name: str, access: WorkspaceAccess) -> None:
    """Store the rule of workspace ``name`` (atomically: a reader sees the old or the new rule)."""
    if not workspace_path(root, name).exists():
        raise KamError("db.no_workspace", "There is no workspace called '{name}'.", name=name)
    path = access_path(root, name)
    clean = WorkspaceAccess(
        owner=access.owner,
        visibility=access.visibility,
        shared_with=tuple(sorted({u.strip() for u in access.shared_with if u.strip()})),
    )
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(clean.model_dump_json(), encoding="utf-8")
    os.replace(temporary, path)


def parse_user_list(text: str) -> tuple[str, ...]:
    """Login names from a comma- or line-separated list, trimmed, without blanks or repeats."""
    names = [part.strip() for part in text.replace("\n", ",").split(",")]
    return tuple(sorted({name for name in names if name}))


# ---------------------------------------------------------------------- passwords
def hash_password(password: str, rounds: int = BCRYPT_ROUNDS) -> str:
    """A bcrypt hash (``$2b$...``) of ``password`` for ``[auth_passwords]`` in secrets.toml.

    ``password`` must have at least 10 characters and at most 72 bytes in UTF-8.
    """
    raw = password.encode("utf-8")
    if len(password) < MIN_PASSWORD_CHARS:
        raise KamError("access.password_too_short",
                       "A password needs at least {n} characters.", n=MIN_PASSWORD_CHARS)
    if len(raw) > MAX_PASSWORD_BYTES:
        raise KamError("access.password_too_long",
                       "A password can be at most {n} bytes long.", n=MAX_PASSWORD_BYTES)
    return bcrypt.hashpw(raw, bcrypt.gensalt(rounds)).decode("ascii")


def verify_password(users: Mapping[str, str], name: str, password: str) -> str | None:
    """The login name when ``password`` matches the stored hash of user ``name``, else None.

    Parameters
    ----------
    users : mapping of login name to bcrypt hash
        ``[auth_passwords]`` from secrets.toml.
    name, password : str
        What the person typed.

    Notes
    -----
    One bcrypt comparison runs whatever happens (against a dummy hash for an unknown name,
    an unusable stored hash or an over-long password), so the time taken does not tell an
    attacker whether the name exists; bcrypt's own comparison is constant-time.
    """
    name = name.strip()
    stored = users.get(name) if name else None
    raw = password.encode("utf-8")
    usable = isinstance(stored, str) and stored.startswith(("$2a$", "$2b$", "$2y$")) and 0 < len(raw) <= MAX_PASSWORD_BYTES
    candidate = raw[:MAX_PASSWORD_BYTES] or b"\x00"
    try:
        matched = bcrypt.checkpw(candidate, stored.encode("ascii") if usable else _DUMMY_HASH)
    except ValueError:  # a malformed hash in secrets.toml
        bcrypt.checkpw(candidate, _DUMMY_HASH)
        matched = False
    return name if usable and matched else None


def _main(argv: list[str]) -> int:
    if argv[:1] != ["hash"]:
        print("usage: python -m kamcore.access hash   (asks for the password twice)", file=sys.stderr)
        return 2
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat: "):
        print("The two passwords differ.", file=sys.stderr)
        return 1
    try:
        print(hash_password(first))
    except KamError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
