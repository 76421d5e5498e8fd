"""Signing in on the command line: a command acting as a staff member proves who it is.

Two proofs: the account's password (checked by `accounts.authenticate`, so wrong passwords count
towards the same lockout as the desk and every outcome is audited), or the operating-system
account an admin bound to the staff account (`bind_os`), checked against the real uid of the
process. A name alone proves nothing. Service accounts for scheduled jobs have no password at
all: only their bound OS account signs them in.
"""

from __future__ import annotations

from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select

from coordinator_tui.domain.text import clean_text
from coordinator_tui.domain.vocab import Role
from coordinator_tui.errors import UserError
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.permissions import Permission, require
from coordinator_tui.services.staff import accounts
from coordinator_tui.store.models import StaffUser

CLI_LOGIN = "cli.login"


def _stored(ctx: AppContext, username: str) -> StaffUser | None:
    with ctx.db.read() as session:
        return session.scalar(select(StaffUser).where(StaffUser.username == username,
                                                      StaffUser.active.is_(True)))


def _actor(user: StaffUser) -> Actor:
    return Actor(id=user.id, username=user.username, display_name=user.display_name,
                 role=Role(user.role))


def password_matches(ctx: AppContext, username: str, password: str) -> bool:
    """Whether this is the active account's password, without counting or recording anything
    (the demo clinic tries its public password this way before it signs in with it)."""
    user = _stored(ctx, username)
    if user is None or user.password_hash is None:
        return False
    try:
        return accounts._hasher().verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def sign_in_with_password(ctx: AppContext, username: str, password: str) -> Actor:
    """The actor for a right password. A clean success (no lockout, no failures to clear)
    writes nothing: the command's own events name the account, and a read-only command stays
    read-only. Anything else goes through `accounts.authenticate`, so a wrong password counts
    towards the desk's lockout and is audited, a locked account is refused like a wrong
    password, and a success after failures clears them (recorded as `cli.login`)."""
    user = _stored(ctx, username)
    if (user is not None and user.password_hash is not None and not user.failed_logins
            and (user.locked_until is None or user.locked_until <= ctx.now())
            and password_matches(ctx, username, password)):
        return _actor(user)
    return accounts.authenticate(ctx, username, password, action=CLI_LOGIN)


def sign_in_by_os_account(ctx: AppContext, username: str, uid: int) -> Actor | None:
    """The actor when this active account is bound to `uid`; None otherwise, the same for an
    unknown, disabled or unbound name (the caller asks for a password then)."""
    user = _stored(ctx, username)
    if user is None or user.os_uid is None or user.os_uid != uid:
        return None
    return _actor(user)


def bind_os(ctx: AppContext, actor: Actor, username: str, uid: int | None) -> accounts.StaffAccount:
    """Bind a staff account to an operating-system account (None: unbind). Admins only."""
    require(actor, Permission.MANAGE_USERS)
    if uid is not None and (isinstance(uid, bool) or not isinstance(uid, int) or uid < 0):
        raise UserError("the OS account's uid must be a whole number, 0 or more")
    with ctx.db.write() as session:
        user = accounts._get(session, username)
        if user.os_uid != uid:
            user.os_uid = uid
            audit.record(session, actor, "user.bind_os", ctx.now(), entity="staff_user",
                         entity_id=user.id, detail={"username": user.username, "uid": uid})
        return accounts._account(user)


def add_service_account(ctx: AppContext, actor: Actor, username: str, display_name: str,
                        role: Role | str, uid: int) -> accounts.StaffAccount:
    """An account for a scheduled job: no password (it can never sign in at a desk), bound
    to the OS account the job runs as, with only the role it needs. Admins only."""
    require(actor, Permission.MANAGE_USERS)
    username = accounts.clean_username(username)
    display_name = clean_text(display_name, "the name", limit=120, required=True)
    role = accounts._role(role)
    if isinstance(uid, bool) or not isinstance(uid, int) or uid < 0:
        raise UserError("a service account needs the OS account it runs as (--os-user)")
    with ctx.db.write() as session:
        taken = session.scalar(select(StaffUser.username).where(
            func.lower(StaffUser.username) == username.lower()))
        if taken is not None:
            raise UserError(f"a staff account named {taken!r} already exists")
        user = StaffUser(username=username, display_name=display_name, role=role.value,
                         password_hash=None, active=True, failed_logins=0,
                         created_at=ctx.now(), os_uid=uid)
        session.add(user)
        session.flush()
        audit.record(session, actor, "user.add", ctx.now(), entity="staff_user",
                     entity_id=user.id, detail={"username": username, "role": role.value,
                                                "service": True, "os_uid": uid})
        return accounts._account(user)
