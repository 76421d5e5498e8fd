"""Issue 22, point 4: sign-in leaks nothing. An unknown name, a wrong password and a locked
account get the same answer (the lockout still holds and is audited by account); a failed
sign-in records the account when there is one, else a keyed hash of the name, never the text."""

from __future__ import annotations

import pytest

from coordinator_tui.services.staff import accounts
from coordinator_tui.services.staff.accounts import LOGIN_FAILED, LoginRefused
from coordinator_tui.services.staff.actors import actor_for
from tests.helpers.engines import raw_connect


def _failed(ctx):
    conn = raw_connect(ctx.db.url)
    try:
        return conn.execute("SELECT user_id, entity, entity_id, detail FROM audit_events WHERE "
                            "action = 'login.failed' ORDER BY id").fetchall()
    finally:
        conn.close()


def _dump(ctx) -> str:
    """Everything the database holds (SQLite: the file's SQL dump; PostgreSQL: every row of the
    tables a failed sign-in writes to)."""
    conn = raw_connect(ctx.db.url)
    try:
        if hasattr(conn, "iterdump"):
            return "\n".join(conn.iterdump())
        return "\n".join(repr(row) for table in ("audit_events", "staff_users")
                         for row in conn.execute(f"SELECT * FROM {table}").fetchall())
    finally:
        conn.close()


def _answer(ctx, username, password, **kw) -> str:
    with pytest.raises(LoginRefused) as refused:
        accounts.authenticate(ctx, username, password, **kw)
    return str(refused.value)


def test_a_locked_account_answers_like_an_unknown_name(ctx):
    for _ in range(ctx.settings.login_max_failures):
        _answer(ctx, "demo", "wrong")
    locked = _answer(ctx, "demo", "demo")  # the right password, while locked
    unknown = _answer(ctx, "nobody-here", "demo")
    wrong = _answer(ctx, "super", "wrong")
    assert locked == unknown == wrong == LOGIN_FAILED
    # The lockout is on the trail, by account.
    demo = actor_for(ctx, "demo")
    assert (demo.id, None, None, '{"reason": "locked"}') in _failed(ctx)


def test_a_failed_sign_in_never_keeps_the_text_typed(ctx):
    typed = "Hunter2-my-real-password"  # a password typed into the username box
    _answer(ctx, typed, "whatever")
    _answer(ctx, typed, "again")
    _answer(ctx, "Another Name", "x")
    dump = _dump(ctx)
    assert typed not in dump and typed.lower() not in dump
    rows = _failed(ctx)
    assert all(user is None and entity is None for user, entity, _e, _d in rows)
    hashes = [detail.split('"name_hmac": "')[1][:32] for *_rest, detail in rows]
    # The same name gives the same keyed hash (repeated guesses show); another name does not.
    assert hashes[0] == hashes[1] != hashes[2]


def test_a_failed_sign_in_of_a_disabled_account_names_the_account(ctx):
    accounts.disable_user(ctx, actor_for(ctx, "admin"), "super")
    assert _answer(ctx, "super", "demo") == LOGIN_FAILED
    user, entity, entity_id, detail = _failed(ctx)[-1]
    assert user is None and entity == "staff_user" and entity_id is not None
    assert "super" not in detail


def test_emergency_access_does_not_tell_a_stranger_the_name_exists(ctx):
    reason = "patient collapsed in the waiting room"
    unknown = _answer(ctx, "nobody-here", "x", break_glass_reason=reason)
    known_wrong = _answer(ctx, "demo", "x", break_glass_reason=reason)
    assert unknown == known_wrong == LOGIN_FAILED
    # With the right password the account's owner is told why (no window is open).
    assert "not enabled" in _answer(ctx, "demo", "demo", break_glass_reason=reason)


def test_emergency_access_does_not_confirm_a_locked_accounts_password(ctx):
    """While an account is locked every answer is the same, so guessing is pointless. F9 told
    the right password apart ("not enabled") even then: guessing went on through the lockout."""
    reason = "patient collapsed in the waiting room"
    for _ in range(ctx.settings.login_max_failures):
        _answer(ctx, "demo", "wrong")
    right = _answer(ctx, "demo", "demo", break_glass_reason=reason)
    wrong = _answer(ctx, "demo", "not it", break_glass_reason=reason)
    assert right == wrong == LOGIN_FAILED
    demo = actor_for(ctx, "demo")
    assert _failed(ctx)[-2:] == [(demo.id, None, None, '{"reason": "locked"}')] * 2
    # An open window still lets the account's owner in while locked out (that is its purpose).
    accounts.enable_break_glass(ctx, actor_for(ctx, "super"), 30, "demo")
    assert accounts.authenticate(ctx, "demo", "demo", break_glass_reason=reason).username == "demo"
