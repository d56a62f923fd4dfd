"""Who may open which workspace, and the password hashes for the simple login.

A workspace's access rule lives in a small sidecar file beside it
(``<workspace>.duckdb.access.json``), not inside the DuckDB file: the workspace picker has to
decide what to list without opening every database (a file open in another process is
locked, and opening dozens of files on every page run is slow). ``kamcore.db`` renames and
deletes the sidecar together with its workspace.

Rules:

* Login off (``user is None``): one person uses the app, every workspace is visible.
* No sidecar: nobody may open the workspace (fail closed: a name whose file was just
  renamed or deleted, or a file copied in by hand). Workspaces made before login was
  switched on get a sidecar once, from :func:`migrate_legacy`: shared with everyone, with
  no owner, so nobody can claim, rename or delete them until an administrator names an
  owner (``python -m kamcore.access owner WORKSPACE USER``).
* ``private``: only the owner. ``named``: the owner and the users in ``shared_with``.
  ``everyone``: everyone who can sign in.
* A sidecar that cannot be read is treated as private with no owner: nobody sees the
  workspace until an operator repairs or deletes the file (fail closed).

Run ``python -m kamcore.access hash`` to hash a password for ``.streamlit/secrets.toml``.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
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
    if user is None:
        return True
    if access is None:
        return False  # never "shared": a missing rule is a renamed, deleted or foreign file
    if access.visibility == "everyone":
        return True
    if access.owner is not None and user == access.owner:
        return True
    return access.visibility == "named" and user in access.shared_with


def can_manage(user: str | None, access: WorkspaceAccess | None) -> bool:
    """True when ``user`` may change the rule, rename or delete the workspace.

    With login off nobody needs to (there is only one user). A workspace without an owner
    (made before login was switched on, or the demo) cannot be claimed by anyone: an
    administrator names its owner with ``python -m kamcore.access owner``.
    """
    if user is None or access is None or access.owner is None:
        return False
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


#: Why a workspace may not be renamed or deleted (``manage_refusal``).
Refusal = Literal["demo_protected", "not_owner"]


def manage_refusal(
    name: str, user: str | None, access: WorkspaceAccess | None, *, login_required: bool, demo_name: str
) -> Refusal | None:
    """Why ``user`` may not rename or delete workspace ``name``; ``None`` when they may.

    The demo (``demo_name``) is never renamed or deleted, with login on or off
    (``"demo_protected"``: it is rebuilt with its reset instead). With login on, only the
    owner may (``"not_owner"``, see :func:`can_manage`); with login off the one user may.
    ``access`` is the workspace's rule (:func:`read_access`).

    >>> manage_refusal("demo", None, None, login_required=False, demo_name="demo")
    'demo_protected'
    >>> rule = WorkspaceAccess(owner="kari", visibility="everyone")
    >>> manage_refusal("Kunde Vest", "ola", rule, login_required=True, demo_name="demo")
    'not_owner'
    >>> manage_refusal("Kunde Vest", "kari", rule, login_required=True, demo_name="demo") is None
    True
    """
    if name == demo_name:
        return "demo_protected"
    if login_required and not can_manage(user, access):
        return "not_owner"
    return None


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


def may_open(root: str | Path, user: str | None, name: str) -> bool:
    """True when workspace ``name`` exists under ``root`` and ``user`` may open it now.

    The one check every workspace choice goes through, on every run: a name that is not a
    valid workspace name, has no file, or has no readable rule allowing ``user`` is refused,
    and the answer is the same in each case (it does not tell whether the name exists).
    """
    try:
        path = workspace_path(root, name)
    except KamError:
        return False
    if not path.is_file():
        return False
    return can_open(user, read_access(root, name))


def migrate_legacy(root: str | Path, names: Iterable[str]) -> list[str]:
    """Give each workspace in ``names`` that has no rule yet an explicit one: shared with
    everyone, no owner (so it cannot be claimed). Returns the names migrated."""
    migrated = []
    for name in names:
        if access_path(root, name).exists():
            continue
        try:
            write_access(root, name, WorkspaceAccess(owner=None, visibility="everyone"), only_if_missing=True)
        except (KamError, FileExistsError):
            continue
        migrated.append(name)
    return migrated


def assign_owner(root: str | Path, name: str, owner: str) -> WorkspaceAccess:
    """Make ``owner`` the owner of workspace ``name`` (an administrator's command), keeping
    who else sees it."""
    current = read_access(root, name) or WorkspaceAccess(visibility="private")
    rule = WorkspaceAccess(owner=owner.strip(), visibility=current.visibility, shared_with=current.shared_with)
    write_access(root, name, rule)
    return rule


def read_rules(root: str | Path, names: Iterable[str]) -> dict[str, WorkspaceAccess | None]:
    """The rule of each workspace in ``names`` (see :func:`read_access`)."""
    return {name: read_access(root, name) for name in names}


def write_access(root: str | Path, name: str, access: WorkspaceAccess, *, only_if_missing: bool = False) -> None:
    """Store the rule of workspace ``name`` (atomically: a reader sees the old or the new rule).

    A write that fails (full disk) leaves the old rule and no temporary file behind, and is
    KamError ``access.write_failed``. With ``only_if_missing`` an existing rule is kept
    (FileExistsError).
    """
    if not workspace_path(root, name).exists():
        raise KamError("db.no_workspace", "There is no workspace called '{name}'.", name=name)
    path = access_path(root, name)
    clean = WorkspaceAccess(
        owner=access.owner,
        visibility=access.visibility,
        shared_with=tuple(sorted({u.strip() for u in access.shared_with if u.strip()})),
    )
    temporary = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(temporary, "x", encoding="utf-8") as handle:
            handle.write(clean.model_dump_json())
            handle.flush()
            os.fsync(handle.fileno())
        if only_if_missing:
            os.link(temporary, path)  # fails with FileExistsError when a rule appeared meanwhile
        else:
            os.replace(temporary, path)
    except FileExistsError:
        raise
    except OSError as exc:
        raise KamError("access.write_failed",
                       "Who may open '{name}' could not be saved (is the server's disk full?); nothing was changed.",
                       name=name) from exc
    finally:
        temporary.unlink(missing_ok=True)


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


class VerifiedPasswords:
    """Remembers, for a while, that a user's password was verified, so the next sign-in of the
    same user with the same password (another tab, a reopened browser) skips bcrypt.

    Only an HMAC of the password under a random key made at process start is kept (never the
    password), together with the stored hash it was checked against: changing the user's line
    in secrets.toml invalidates it. Wrong passwords and unknown names always cost a full
    bcrypt check, so response times tell an attacker nothing new (a right password gets in
    either way). The trade-off: someone who can read the server process's memory could test
    guesses against these HMACs faster than against bcrypt — but could read the sessions'
    data anyway. ``ttl`` seconds (default 12 hours), at most ``max_users`` entries.

    Sign-ins of the same user with the same password that arrive while a bcrypt check of that
    pair is running wait for it instead of starting their own (a team opening the app at
    9:00, one person with several tabs): one bcrypt per pair, not one per tab. If that check
    fails, each waiter runs its own full check, so a wrong password never gets cheaper.
    """

    def __init__(self, *, ttl: float = 12 * 3600, max_users: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.max_users, self.clock = ttl, max_users, clock
        self._key = os.urandom(32)
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], tuple[bytes, float]] = {}
        #: (name, stored hash, HMAC of the password) -> set when its running check ends.
        self._running: dict[tuple[str, str, bytes], threading.Event] = {}

    def _mac(self, password: str) -> bytes:
        return hmac.new(self._key, password.encode("utf-8"), hashlib.sha256).digest()

    def _cached(self, key: tuple[str, str], mac: bytes) -> bool:
        with self._lock:
            hit = self._entries.get(key)
        return hit is not None and hit[1] > self.clock() and hmac.compare_digest(hit[0], mac)

    def verify(self, users: Mapping[str, str], name: str, password: str) -> str | None:
        """Like :func:`verify_password`, skipping bcrypt for a recently verified pair."""
        name = name.strip()
        stored = users.get(name) if name else None
        if not isinstance(stored, str):
            return verify_password(users, name, password)
        key, mac = (name, stored), self._mac(password)
        if self._cached(key, mac):
            return name
        flight = (name, stored, mac)
        with self._lock:
            running = self._running.get(flight)
            if running is None:
                self._running[flight] = mine = threading.Event()
        if running is not None:
            # The same pair is being checked right now: its result, if it was a success.
            running.wait(timeout=60)
            if self._cached(key, mac):
                return name
            return verify_password(users, name, password)
        try:
            user = verify_password(users, name, password)
            if user is not None:
                with self._lock:
                    if len(self._entries) >= self.max_users:
                        self._entries.clear()
                    self._entries[key] = (mac, self.clock() + self.ttl)
            return user
        finally:
            with self._lock:
                self._running.pop(flight, None)
            mine.set()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


# ----------------------------------------------------------------- sign-in throttle
class LoginThrottle:
    """Failed sign-ins counted per user name and per client address, for the whole process.

    Each key (``user:<name>``, ``addr:<address>``) gets ``free`` failures; after that every
    further failure blocks the key for ``base * 2**k`` seconds (k = failures beyond the free
    ones), at most ``name_cap`` for a user name — so someone guessing a colleague's password
    can delay that colleague by half a minute at most — and ``address_cap`` for an address.
    A success clears both keys; a key is forgotten ``forget_after`` seconds after its last
    failure. Thread-safe; the clock can be replaced in tests.
    """

    def __init__(self, *, free: int = 5, base: float = 2.0, name_cap: float = 30.0,
                 address_cap: float = 900.0, forget_after: float = 3600.0, max_keys: int = 50_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.free, self.base = free, base
        self.name_cap, self.address_cap = name_cap, address_cap
        self.forget_after, self.max_keys = forget_after, max_keys
        self.clock = clock
        self._lock = threading.Lock()
        # key -> (failures, last failure time, blocked until)
        self._entries: dict[str, tuple[int, float, float]] = {}

    @staticmethod
    def _keys(name: str, address: str | None) -> tuple[str, str]:
        return "user:" + name.strip().casefold(), "addr:" + (address or "local")

    def wait_seconds(self, name: str, address: str | None) -> float:
        """Seconds until a sign-in for ``name`` from ``address`` may be tried (0: now)."""
        now = self.clock()
        with self._lock:
            waits = [self._entries.get(key, (0, 0.0, 0.0))[2] - now for key in self._keys(name, address)]
        return max(0.0, *waits)

    def failed(self, name: str, address: str | None) -> None:
        """Count a failed attempt."""
        now = self.clock()
        with self._lock:
            self._forget_old(now)
            for key, cap in zip(self._keys(name, address), (self.name_cap, self.address_cap), strict=True):
                failures = self._entries.get(key, (0, 0.0, 0.0))[0] + 1
                blocked = now
                if failures >= self.free:
                    blocked = now + min(cap, self.base * 2 ** (failures - self.free))
                self._entries[key] = (failures, now, blocked)

    def succeeded(self, name: str, address: str | None) -> None:
        """Clear the counts of ``name`` and ``address``."""
        with self._lock:
            for key in self._keys(name, address):
                self._entries.pop(key, None)

    def clear(self) -> None:
        """Forget everything (tests)."""
        with self._lock:
            self._entries.clear()

    def _forget_old(self, now: float) -> None:
        stale = [key for key, (_, last, until) in self._entries.items()
                 if now - last > self.forget_after and until <= now]
        for key in stale:
            del self._entries[key]
        while len(self._entries) >= self.max_keys:  # a flood of addresses: drop the oldest
            oldest = min(self._entries, key=lambda key: self._entries[key][1])
            del self._entries[oldest]


def _main(argv: list[str]) -> int:
    if argv[:1] == ["owner"] and len(argv) == 3:
        from kamcore.settings import load_settings

        root = load_settings().workspaces_root
        try:
            rule = assign_owner(root, argv[1], argv[2])
        except KamError as exc:
            print(str(exc), file=sys.stderr)
            return 1
        print(f"{argv[1]}: owner {rule.owner}, visibility {rule.visibility}")
        return 0
    if argv[:1] != ["hash"]:
        print("usage: python -m kamcore.access hash   (asks for the password twice)\n"
              "       python -m kamcore.access owner WORKSPACE USER   (in KAMSTUDIO_WORKSPACES)",
              file=sys.stderr)
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
