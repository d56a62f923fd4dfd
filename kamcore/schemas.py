"""Shared pydantic models: column roles, mappings, table kinds and filter settings."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kamcore.errors import KamError

#: Canonical column roles, in the order the mapping step shows them.
ROLES: tuple[str, ...] = (
    "customer_id",
    "customer_name",
    "date",
    "order_id",
    "revenue",
    "cost",
    "profit",
    "quantity",
    "product",
    "region",
    "industry",
    "segment",
    "owner",
    "status",
    "customer_since",
)

#: Roles of the relationship tables (CRM contact exports; see kamcore.relationships), by kind.
RELATIONSHIP_ROLES: dict[str, tuple[str, ...]] = {
    "contacts": (
        "account", "contact", "title", "department", "roles", "influence", "attitude", "last_contact", "left_on",
    ),
    "people": ("person", "role", "executive"),
    "links": ("account", "person", "contact", "strength", "last_contact"),
}
#: Every role a mapping may use: the sales roles above, then the relationship roles.
ALL_ROLES: tuple[str, ...] = ROLES + tuple(
    dict.fromkeys(role for roles in RELATIONSHIP_ROLES.values() for role in roles if role not in ROLES)
)

#: Roles whose values are numbers after canonical().
NUMERIC_ROLES: frozenset[str] = frozenset({"revenue", "cost", "profit", "quantity", "influence", "strength"})
#: Roles whose values are dates after canonical().
DATE_ROLES: frozenset[str] = frozenset({"date", "customer_since", "left_on", "last_contact"})
#: Roles used as categorical filters on every page.
FILTER_ROLES: tuple[str, ...] = ("region", "industry", "segment", "owner")


class TableKind(StrEnum):
    """What an uploaded table holds."""

    transactions = "transactions"
    accounts = "accounts"
    survey = "survey"
    contacts = "contacts"
    people = "people"
    links = "links"
    other = "other"


class ColumnMapping(BaseModel):
    """Role -> column name in the uploaded table; each column used for at most one role."""

    model_config = ConfigDict(frozen=True)

    roles: dict[str, str] = Field(default_factory=dict)

    @field_validator("roles")
    @classmethod
    def _known_roles_once(cls, roles: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(roles) - set(ALL_ROLES))
        if unknown:
            raise KamError(
                "schemas.unknown_role",
                "Unknown role(s): {roles}.",
                roles=", ".join(unknown),
            )
        seen: dict[str, str] = {}
        for role, column in roles.items():
            if column in seen:
                raise KamError(
                    "schemas.column_twice",
                    "Column '{column}' is mapped to both '{first}' and '{second}'. Each column can have only one meaning.",
                    column=column,
                    first=seen[column],
                    second=role,
                )
            seen[column] = role
        return roles

    def get(self, role: str) -> str | None:
        """The column mapped to ``role``, or None."""
        return self.roles.get(role)

    def has(self, *roles: str) -> bool:
        """True when every role in ``roles`` is mapped."""
        return all(role in self.roles for role in roles)


class FilterSettings(BaseModel):
    """The shared sidebar filters; empty lists mean 'all'."""

    model_config = ConfigDict(frozen=True)

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    region: tuple[str, ...] = ()
    industry: tuple[str, ...] = ()
    segment: tuple[str, ...] = ()
    owner: tuple[str, ...] = ()
    cluster: tuple[str, ...] = ()


#: Roles a table of each kind needs before the analysis pages can use it.
REQUIRED_ROLES: dict[TableKind, tuple[str, ...]] = {
    TableKind.transactions: ("customer_id", "date", "revenue"),
    TableKind.accounts: ("customer_id",),
    TableKind.survey: (),
    TableKind.contacts: ("account", "contact"),
    TableKind.people: ("person",),
    TableKind.links: ("person", "contact"),
    TableKind.other: (),
}


def roles_for_kind(kind: TableKind | str | None) -> tuple[str, ...]:
    """The roles the mapping step offers for a table of ``kind`` (sales roles unless relationship)."""
    return RELATIONSHIP_ROLES.get(str(TableKind(kind)) if kind else "", ROLES)


def missing_required_roles(kind: TableKind | str, mapping: ColumnMapping) -> list[str]:
    """The roles ``kind`` needs that ``mapping`` leaves unmapped, in display order."""
    return [role for role in REQUIRED_ROLES[TableKind(kind)] if not mapping.has(role)]
