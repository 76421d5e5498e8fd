"""Emergency (break-glass) access: enabled by a supervisor for one account or any, needs a
reason, is audited prominently, tags every action taken under it, and expires."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from coordinator_tui.errors import PermissionDenied, UserError
from coordinator_tui.services.patients.records import get_record
from coordinator_tui.services.staff import accounts
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.services.view_audit import settle
from coordinator_tui.store.models import AuditEvent

REASON = "patient collapsed in the waiting room"


def _events(ctx, action):
    settle(ctx.db)  # views' events waiting in the journal join the chain first, as for any reader
    with ctx.db.read() as session:
        return session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_window_for_one_account_only(ctx):
    sup = actor_for(ctx, "super")
    accounts.enable_break_glass(ctx, sup, 30, "demo")
    actor = accounts.authenticate(ctx, "demo", "demo", break_glass_reason=REASON)
    assert actor.role.value == "supervisor"
    assert actor.elevated_until == ctx.now() + timedelta(minutes=30)
    with pytest.raises(accounts.LoginRefused, match="not enabled"):
        accounts.authenticate(ctx, "admin", "demo", break_glass_reason=REASON)
    event = _events(ctx, "break_glass.enable")[-1]
    assert json.loads(event.detail)["for"] == "demo" and event.user_id == sup.id


def test_session_is_capped_and_ends(ctx, clock):
    sup = actor_for(ctx, "super")
    accounts.enable_break_glass(ctx, sup, 600)
    actor = accounts.authenticate(ctx, "demo", "demo", break_glass_reason=REASON)
    assert actor.elevated_until == ctx.now() + timedelta(
        minutes=accounts.BREAK_GLASS_SESSION_MINUTES)
    clock.advance(minutes=601)
    with pytest.raises(accounts.LoginRefused, match="not enabled"):
        accounts.authenticate(ctx, "demo", "demo", break_glass_reason=REASON)


def test_actions_under_emergency_access_are_tagged(ctx):
    accounts.enable_break_glass(ctx, actor_for(ctx, "super"), 30)
    actor = accounts.authenticate(ctx, "demo", "demo", break_glass_reason=REASON)
    get_record(ctx, actor, 1)
    view = _events(ctx, "patient.view")[-1]
    assert json.loads(view.detail)["break_glass"] is True
    plain = get_record(ctx, actor_for(ctx, "demo"), 1)
    assert plain.id == 1
    assert _events(ctx, "patient.view")[-1].detail is None
    glass = _events(ctx, "break_glass")[-1]
    assert json.loads(glass.detail)["reason"] == REASON


def test_disable_closes_the_window_and_rules(ctx):
    sup = actor_for(ctx, "super")
    accounts.enable_break_glass(ctx, sup, 30)
    accounts.enable_break_glass(ctx, sup, 0)
    with pytest.raises(accounts.LoginRefused, match="not enabled"):
        accounts.authenticate(ctx, "demo", "demo", break_glass_reason=REASON)
    assert _events(ctx, "break_glass.disable")
    with pytest.raises(PermissionDenied):
        accounts.enable_break_glass(ctx, actor_for(ctx, "demo"), 30)
    for bad in (-1, 1441, "30", True):
        with pytest.raises(UserError):
            accounts.enable_break_glass(ctx, sup, bad)
    with pytest.raises(UserError, match="no staff account"):
        accounts.enable_break_glass(ctx, sup, 30, "nobody")
    for reason in ("", "   ", "short", "x" * 501, "bad\x1b[2Jreason here"):
        with pytest.raises(UserError):
            accounts.authenticate(ctx, "demo", "demo", break_glass_reason=reason)
    accounts.enable_break_glass(ctx, sup, 30)
    elevated = accounts.authenticate(ctx, "demo", "demo", break_glass_reason=REASON)
    with pytest.raises(PermissionDenied, match="emergency"):
        accounts.enable_break_glass(ctx, elevated, 30)
