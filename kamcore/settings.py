"""Application settings read from ``KAMSTUDIO_*`` environment variables."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kamcore.db import DbSettings

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class AppSettings(BaseModel):
    """Everything an operator can set without touching code."""

    model_config = ConfigDict(frozen=True)

    workspaces_root: Path = PROJECT_ROOT / "workspaces"
    demo_data_dir: Path = PROJECT_ROOT / "data" / "demo"
    max_upload_mb: int = Field(default=200, ge=1)
    duckdb_memory_limit: str = "2GB"
    duckdb_threads: int = Field(default=2, ge=1)
    shortlist_limit: int = Field(default=15, ge=1)
    fiscal_year_start_month: int = Field(default=1, ge=1, le=12)
    #: "none" (single user, no login), "password" (bcrypt hashes in secrets.toml
    #: [auth_passwords]) or "oidc" (st.login with the provider in secrets.toml [auth]).
    auth_mode: Literal["none", "password", "oidc"] = "none"
    #: Login names allowed to reset the demo workspace (KAMSTUDIO_ADMINS, comma-separated).
    admins: tuple[str, ...] = ()
    #: Header holding the client's address when a reverse proxy sets it (e.g. X-Real-IP);
    #: unset: the connection's own address. Only set it when the proxy overwrites the header.
    client_ip_header: str | None = None
    #: Megabytes of uploads one signed-in session may hold at once (KAMSTUDIO_SESSION_UPLOAD_MB).
    session_upload_mb: int = Field(default=300, ge=1)

    @property
    def login_required(self) -> bool:
        """True when users must sign in (and workspace access rules apply)."""
        return self.auth_mode != "none"

    @property
    def db(self) -> DbSettings:
        """Connection caps for workspaces."""
        return DbSettings(memory_limit=self.duckdb_memory_limit, threads=self.duckdb_threads)


def load_settings(environ: dict[str, str] | None = None) -> AppSettings:
    """Settings from ``environ`` (default: the process environment); unset keys keep defaults.

    Recognised: KAMSTUDIO_WORKSPACES, KAMSTUDIO_MAX_UPLOAD_MB, KAMSTUDIO_DUCKDB_MEMORY,
    KAMSTUDIO_DUCKDB_THREADS, KAMSTUDIO_SHORTLIST_LIMIT, KAMSTUDIO_AUTH, KAMSTUDIO_ADMINS,
    KAMSTUDIO_CLIENT_IP_HEADER, KAMSTUDIO_SESSION_UPLOAD_MB.
    """
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    names = {
        "KAMSTUDIO_WORKSPACES": "workspaces_root",
        "KAMSTUDIO_MAX_UPLOAD_MB": "max_upload_mb",
        "KAMSTUDIO_DUCKDB_MEMORY": "duckdb_memory_limit",
        "KAMSTUDIO_DUCKDB_THREADS": "duckdb_threads",
        "KAMSTUDIO_SHORTLIST_LIMIT": "shortlist_limit",
        "KAMSTUDIO_FISCAL_YEAR_START": "fiscal_year_start_month",
        "KAMSTUDIO_AUTH": "auth_mode",
        "KAMSTUDIO_CLIENT_IP_HEADER": "client_ip_header",
        "KAMSTUDIO_SESSION_UPLOAD_MB": "session_upload_mb",
    }
    for variable, field in names.items():
        if env.get(variable):
            values[field] = env[variable]
    if env.get("KAMSTUDIO_ADMINS"):
        values["admins"] = tuple(n.strip() for n in env["KAMSTUDIO_ADMINS"].split(",") if n.strip())
    return AppSettings(**values)
