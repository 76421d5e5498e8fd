"""The declarative base, the constraint naming convention and two column helpers."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    MetaData,
)
from sqlalchemy.orm import DeclarativeBase, mapped_column

from coordinator_tui.domain import vocab

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def one_of(column: str, enum_cls, name: str | None = None, nullable: bool = False) -> CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in vocab.values(enum_cls))
    expr = f"{column} IN ({allowed})"
    if nullable:
        expr = f"{column} IS NULL OR {expr}"
    return CheckConstraint(expr, name=name or f"{column}_valid")


def staff_fk(nullable: bool = True):
    return mapped_column(ForeignKey("staff_users.id"), nullable=nullable)
