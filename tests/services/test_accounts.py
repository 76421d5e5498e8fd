"""Staff accounts: roles and permissions through the services, Argon2 hashes, lockout."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from coordinator_tui.domain.vocab import Role
from coordinator_tui.errors import PermissionDenied, UserError
from coordinator_tui.services.context import Actor
from coordinator_tui.services.permissions import ALLOWED, Permission, require
from coordinator_tui.services.staff import accounts
from coordinator_tui.services.staff.accounts import LOGIN_FAILED, LoginRefused
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store.models import AuditEvent, StaffUser
from tests.conftest import make_context

GOOD = "correct horse 7"


def _actions(ctx):
    with ctx.db.read() as session:
        return [(e.action, e.user_id, json.loads(e.detail) if e.detail else None)
                for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


@pytest.mark.parametrize("permission", list(Permission))
@pytest.mark.parametrize("role", list(Role))
def test_each_role_gets_exactly_its_permissions(permission, role):
    actor = Actor(1, "x", "X", role)
    if role in ALLOWED[permission]:
        require(actor, permission)
    else:
        with pytest.raises(PermissionDenied, match="may not"):
            require(actor, permission)


def test_front_desk_is_refused_the_supervisor_and_admin_actions():
    desk = Actor(1, "demo", "Dana", Role.FRONT_DESK)
    for permission in (Permission.OVERBOOK, Permission.MERGE_PATIENTS, Permission.VOID_PAYMENT,
                       Permission.READ_AUDIT, Permission.MANAGE_USERS):
        with pytest.raises(PermissionDenied):
            require(desk, permission)
    sup = Actor(2, "super", "Sam", Role.SUPERVISOR)
    require(sup, Permission.READ_AUDIT)
    with pytest.raises(PermissionDenied, match="ask an admin"):
        require(sup, Permission.MANAGE_USERS)


def test_demo_users_sign_in_with_the_demo_password(ctx):
    for name in ("demo", "super", "admin"):
        assert accounts.authenticate(ctx, name, "demo").username == name
    with ctx.db.read() as session:
        hashes = list(session.scalars(select(StaffUser.password_hash)))
    assert all(h.startswith("$argon2id$") for h in hashes)


def test_user_management_needs_an_admin(ctx):
    admin, sup, desk = (actor_for(ctx, n) for n in ("admin", "super", "demo"))
    for actor in (sup, desk):
        with pytest.raises(PermissionDenied):
            accounts.add_user(ctx, actor, "newbie", "New Person", "front_desk", GOOD)
        with pytest.raises(PermissionDenied):
            accounts.list_users(ctx, actor)
        with pytest.raises(PermissionDenied):
            accounts.reset_password(ctx, actor, "demo", GOOD)
        with pytest.raises(PermissionDenied):
            accounts.disable_user(ctx, actor, "demo")
    with pytest.raises(PermissionDenied):  # staff exist: no anonymous creation
        accounts.add_user(ctx, None, "sneaky", "Sneaky", "admin", GOOD)
    added = accounts.add_user(ctx, admin, "newbie", "Nuño Ñandú", "front_desk", GOOD)
    assert added.role is Role.FRONT_DESK and added.has_password
    assert accounts.authenticate(ctx, "newbie", GOOD).display_name == "Nuño Ñandú"
    accounts.reset_password(ctx, admin, "newbie", "another pass 8")
    with pytest.raises(LoginRefused):
        accounts.authenticate(ctx, "newbie", GOOD)
    accounts.disable_user(ctx, admin, "newbie")
    with pytest.raises(LoginRefused, match=LOGIN_FAILED):
        accounts.authenticate(ctx, "newbie", "another pass 8")
    assert {u.username for u in accounts.list_users(ctx, admin)} >= {"demo", "newbie"}
    with pytest.raises(UserError, match="your own"):
        accounts.disable_user(ctx, admin, "admin")
    assert ("user.add", admin.id, {"role": "front_desk", "username": "newbie"}) in _actions(ctx)


def test_the_first_account_of_an_empty_database_must_be_an_admin(db_path):
    ctx = make_context(db_path)
    with pytest.raises(UserError, match="must be an admin"):
        accounts.add_user(ctx, None, "first", "First", "front_desk", GOOD)
    accounts.add_user(ctx, None, "first", "First Admin", "admin", GOOD)
    with pytest.raises(PermissionDenied):
        accounts.add_user(ctx, None, "second", "Second", "admin", GOOD)
    ctx.db.dispose()


@pytest.mark.parametrize("username,name,role,password,message", [
    ("", "Name", "admin", GOOD, "empty"),
    ("x" * 65, "Name", "admin", GOOD, "longer"),
    ("two words", "Name", "admin", GOOD, "spaces"),
    ("ok", "Na\x1bme", "admin", GOOD, "control"),
    ("ok", "Name", "janitor", GOOD, "unknown role"),
    ("ok", "Name", "admin", "short", "at least 8"),
    ("ok", "Name", "admin", "x" * 300, "at most"),
    ("ok", "Name", "admin", "pass\x00word", "control"),
    ("ok", "   ", "admin", GOOD, "empty"),
    ("ok", 42, "admin", GOOD, "text"),
    ("DEMO", "Someone Else", "front_desk", GOOD, "named 'demo' already exists"),  # case only
])
def test_bad_account_input_is_refused(ctx, username, name, role, password, message):
    with pytest.raises(UserError, match=message):
        accounts.add_user(ctx, actor_for(ctx, "admin"), username, name, role, password)


def test_lockout_after_repeated_failures_then_expiry(ctx, clock):
    limit = ctx.settings.login_max_failures
    for _ in range(limit):
        with pytest.raises(LoginRefused, match=LOGIN_FAILED):
            accounts.authenticate(ctx, "demo", "wrong")
    # Locked: even the right password is refused, in the same words as a wrong one (a stranger
    # must not learn that the name is an account), and the refusal is audited by account.
    with pytest.raises(LoginRefused, match=LOGIN_FAILED):
        accounts.authenticate(ctx, "demo", "demo")
    clock.advance(minutes=ctx.settings.login_lockout_minutes - 1)
    with pytest.raises(LoginRefused, match=LOGIN_FAILED):
        accounts.authenticate(ctx, "demo", "demo")
    clock.advance(minutes=2)
    assert accounts.authenticate(ctx, "demo", "demo").username == "demo"
    actions = [a for a, _u, _d in _actions(ctx)]
    assert actions.count("login.failed") == limit + 2
    assert actions.count("login.lockout") == 1 and actions[-1] == "login"


def test_unknown_user_and_wrong_password_look_the_same(ctx):
    with pytest.raises(LoginRefused) as unknown:
        accounts.authenticate(ctx, "nobody", "demo")
    with pytest.raises(LoginRefused) as wrong:
        accounts.authenticate(ctx, "demo", "nope")
    assert str(unknown.value) == str(wrong.value) == LOGIN_FAILED


def test_an_admin_reset_clears_a_lockout(ctx):
    for _ in range(ctx.settings.login_max_failures):
        with pytest.raises(LoginRefused):
            accounts.authenticate(ctx, "demo", "wrong")
    accounts.reset_password(ctx, actor_for(ctx, "admin"), "demo", GOOD)
    assert accounts.authenticate(ctx, "demo", GOOD).username == "demo"


def test_break_glass_needs_a_supervisor_a_reason_and_is_audited(ctx):
    desk = actor_for(ctx, "demo")
    reason = "patient collapsed in waiting room, need history"
    with pytest.raises(LoginRefused, match="not enabled"):
        accounts.authenticate(ctx, "demo", "demo", break_glass_reason=reason)
    with pytest.raises(PermissionDenied):
        accounts.enable_break_glass(ctx, desk, 30)
    accounts.enable_break_glass(ctx, actor_for(ctx, "super"), 30)
    with pytest.raises(UserError, match="reason"):
        accounts.authenticate(ctx, "demo", "demo", break_glass_reason="because")
    with pytest.raises(LoginRefused):
        accounts.authenticate(ctx, "demo", "wrong", break_glass_reason=reason)
    actor = accounts.authenticate(ctx, "demo", "demo", break_glass_reason=reason)
    assert actor.role is Role.SUPERVISOR
    action, user_id, detail = _actions(ctx)[-1]
    assert action == "break_glass" and user_id == desk.id and detail["reason"] == reason
    ctx.clock.advance(minutes=31)
    with pytest.raises(LoginRefused, match="not enabled"):
        accounts.authenticate(ctx, "demo", "demo", break_glass_reason=reason)
