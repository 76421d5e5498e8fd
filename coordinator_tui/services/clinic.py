"""Clinic-wide facts kept in the settings table."""

from __future__ import annotations

from sqlalchemy import select

from coordinator_tui.services.context import AppContext
from coordinator_tui.store.models import Setting
from coordinator_tui.store.startup_probe import CLINIC_NAME_KEY, DEMO_MARK_KEY

CLINIC_NAME = CLINIC_NAME_KEY
DEMO_DATE = "demo_date"
DEMO_SEED = "demo_seed"
# Written only by `coordinator demo` (never by seed): demo rebuilds only files carrying it.
DEMO_MARK = DEMO_MARK_KEY


def get_setting(ctx: AppContext, key: str) -> str | None:
    with ctx.db.read() as session:
        return session.scalar(select(Setting.value).where(Setting.key == key))


def clinic_name(ctx: AppContext) -> str:
    return get_setting(ctx, CLINIC_NAME) or ctx.settings.clinic_name


def is_demo(ctx: AppContext) -> bool:
    """Made by `coordinator demo` (its logins are public: the sign-in screen names them)."""
    return get_setting(ctx, DEMO_MARK) is not None
