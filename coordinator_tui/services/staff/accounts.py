"""Staff accounts and signing in: Argon2 password hashes, lockout after repeated failures,
emergency ("break-glass") access, and an audit event for every login, failure, lock and unlock.

Every message about a failed sign-in is the same whatever was wrong (unknown user, wrong
password, disabled or locked account), so the screen gives no hint which part was wrong; the
audit names the account when there is one, else a keyed hash of the name, never the text.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select

from coordinator_tui.domain.text import clean_text
from coordinator_tui.domain.vocab import Role
from coordinator_tui.errors import PermissionDenied, UserError
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.permissions import Permission, require
from coordinator_tui.store.models import Setting, StaffUser

MIN_PASSWORD = 8
MAX_PASSWORD = 256
BREAK_GLASS_KEY = "break_glass_until"  # any account; "break_glass_until:<user id>" for one
BREAK_GLASS_SESSION_MINUTES = 60  # an emergency sign-in's elevated role lasts at most this long
LOGIN_FAILED = "wrong username or password"


class LoginRefused(UserError):
    """A sign-in that did not succeed; the message never says which part was wrong."""


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Verified against when the username is unknown, so both cases take as long.
    return _hasher().hash("not-a-real-password")


@dataclass(frozen=True)
class StaffAccount:
    username: str
    display_name: str
    role: Role
    active: bool
    has_password: bool
    locked_until: datetime | None
    created_at: datetime
    os_uid: int | None = None  # the OS account that signs it in on the command line


def _account(user: StaffUser) -> StaffAccount:
    return StaffAccount(user.username, user.display_name, Role(user.role), bool(user.active),
                        user.password_hash is not None, user.locked_until, user.created_at,
                        user.os_uid)


def _actor(user: StaffUser) -> Actor:
    return Actor(id=user.id, username=user.username, display_name=user.display_name,
                 role=Role(user.role))


def clean_username(username: str) -> str:
    username = clean_text(username, "the username", limit=64, required=True)
    if any(ch.isspace() for ch in username):
        raise UserError("the username must not contain spaces")
    return username


def check_password(password: str) -> str:
    if not isinstance(password, str):
        raise UserError("the password must be text")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must be at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise UserError(f"the password must be at most {MAX_PASSWORD} characters")
    if any(unicodedata.category(ch) == "Cc" for ch in password):
        raise UserError("the password contains control characters")
    return password


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise UserError(f"unknown role {role!r}; use one of: "
                        f"{', '.join(r.value for r in Role)}") from None


def _get(session, username: str) -> StaffUser:
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None:
        raise UserError(f"no staff account named {username!r}")
    return user


def staff_count(ctx: AppContext) -> int:
    with ctx.db.read() as session:
        return session.scalar(select(func.count()).select_from(StaffUser)) or 0


# --- managing accounts --------------------------------------------------------------------


def add_user(ctx: AppContext, actor: Actor | None, username: str, display_name: str,
             role: Role | str, password: str, *, os_uid: int | None = None) -> StaffAccount:
    """Create an account. Needs MANAGE_USERS, except the very first account of an empty
    staff table, which needs no actor and must be an admin. `os_uid` binds it to an
    operating-system account (the command line's first admin: the account that made it)."""
    username = clean_username(username)
    display_name = clean_text(display_name, "the name", limit=120, required=True)
    role = _role(role)
    check_password(password)
    password_hash = hash_password(password)  # slow on purpose: outside the transaction
    with ctx.db.write() as session:
        if actor is None:
            if session.scalar(select(func.count()).select_from(StaffUser)):
                raise PermissionDenied("staff accounts exist: an admin must add new ones "
                                       "(use --user ADMIN)")
            if role is not Role.ADMIN:
                raise UserError("the first account must be an admin (--role admin)")
        else:
            require(actor, Permission.MANAGE_USERS)
        # "DEMO" beside "demo" would be two people a supervisor cannot tell apart in the audit.
        taken = session.scalar(select(StaffUser.username).where(
            func.lower(StaffUser.username) == username.lower()))
        if taken is not None:
            raise UserError(f"a staff account named {taken!r} already exists")
        user = StaffUser(username=username, display_name=display_name, role=role.value,
                         password_hash=password_hash, active=True, failed_logins=0,
                         created_at=ctx.now(), os_uid=os_uid)
        session.add(user)
        session.flush()
        audit.record(session, actor, "user.add", ctx.now(), entity="staff_user", entity_id=user.id,
                     detail={"username": username, "role": role.value,
                             **({"os_uid": os_uid} if os_uid is not None else {})})
        return _account(user)


def disable_user(ctx: AppContext, actor: Actor, username: str) -> StaffAccount:
    require(actor, Permission.MANAGE_USERS)
    with ctx.db.write() as session:
        user = _get(session, username)
        if user.id == actor.id:
            raise UserError("you cannot disable your own account; ask another admin")
        if user.active:
            user.active = False
            audit.record(session, actor, "user.disable", ctx.now(), entity="staff_user",
                         entity_id=user.id, detail={"username": user.username})
        return _account(user)


def reset_password(ctx: AppContext, actor: Actor, username: str, password: str) -> StaffAccount:
    """Set a new password and clear any lockout."""
    require(actor, Permission.MANAGE_USERS)
    check_password(password)
    password_hash = hash_password(password)
    with ctx.db.write() as session:
        user = _get(session, username)
        user.password_hash = password_hash
        user.failed_logins = 0
        user.locked_until = None
        audit.record(session, actor, "user.reset_password", ctx.now(), entity="staff_user",
                     entity_id=user.id, detail={"username": user.username})
        return _account(user)


def list_users(ctx: AppContext, actor: Actor) -> list[StaffAccount]:
    require(actor, Permission.MANAGE_USERS)
    with ctx.db.read() as session:
        return [_account(u) for u in session.scalars(select(StaffUser).order_by(StaffUser.username))]


# --- signing in, locking, emergency access --------------------------------------------------


def authenticate(ctx: AppContext, username: str, password: str, *,
                 break_glass_reason: str | None = None, action: str = "login") -> Actor:
    """The actor for a correct username and password. Wrong passwords count towards a lockout
    of `login_lockout_minutes` after `login_max_failures` in a row; every outcome is audited.

    With `break_glass_reason`, emergency access (when a supervisor has enabled it): the sign-in
    is allowed while the account is locked out, a front-desk user acts as a supervisor, and a
    prominent "break_glass" event records the reason."""
    if not isinstance(username, str) or not isinstance(password, str):
        raise LoginRefused(LOGIN_FAILED)
    username = username.strip()[:64]
    if break_glass_reason is not None:
        break_glass_reason = clean_text(break_glass_reason, "the reason", limit=500, required=True)
        if len(break_glass_reason) < 10:
            raise UserError("emergency access needs a reason of at least 10 characters")
    with ctx.db.read() as session:
        stored = session.scalar(select(StaffUser.password_hash).where(
            StaffUser.username == username, StaffUser.active.is_(True)))
    try:
        # The slow hash check runs outside the write transaction, so other desks never wait.
        ok = _hasher().verify(stored or _dummy_hash(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    now = ctx.now()
    refusal: str | None = None
    with ctx.db.write() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.username == username))
        if user is None or not user.active or user.password_hash != stored:
            # Never the text typed (it may be a password typed into the wrong box): the account
            # when there is one, else a keyed hash of the name (repeats show, the name does not).
            detail = {"reason": "unknown or disabled" if user is None or not user.active
                      else "password changed"}
            if user is None:
                detail["name_hmac"] = audit.keyed_name(session, username)
            audit.record(session, None, f"{action}.failed", now,
                         entity="staff_user" if user is not None else None,
                         entity_id=user.id if user is not None else None, detail=detail)
            refusal = LOGIN_FAILED
        else:
            actor = _actor(user)
            locked = user.locked_until is not None and user.locked_until > now
            window_end: datetime | None = None
            if break_glass_reason is not None and ok:
                # Asked only with the right password: the answer must not tell a stranger
                # that the name is an account, nor, while it is locked, that this password is
                # the right one (guessing would go on through the lockout).
                window_end = _break_glass_window(session, user.id, now)
                if window_end is None and not locked:
                    refusal = "emergency access is not enabled; a supervisor can enable it"
                    audit.record(session, actor, "break_glass.refused", now,
                                 detail={"reason": break_glass_reason})
            if refusal is None and locked and window_end is None:
                # The same answer as a wrong password or an unknown name (no enumeration); the
                # lockout holds and is audited by account. Only an open emergency window
                # lets the right password in meanwhile.
                refusal = LOGIN_FAILED
                audit.record(session, actor, f"{action}.failed", now, detail={"reason": "locked"})
            elif refusal is None and not ok:
                user.failed_logins += 1
                audit.record(session, actor, f"{action}.failed", now,
                             detail={"reason": "wrong password", "failures": user.failed_logins})
                refusal = LOGIN_FAILED
                if user.failed_logins >= ctx.settings.login_max_failures:
                    user.failed_logins = 0
                    user.locked_until = now + timedelta(minutes=ctx.settings.login_lockout_minutes)
                    audit.record(session, actor, "login.lockout", now,
                                 detail={"minutes": ctx.settings.login_lockout_minutes})
            elif refusal is None:
                user.failed_logins = 0
                user.locked_until = None
                if _hasher().check_needs_rehash(stored):
                    user.password_hash = hash_password(password)
                if break_glass_reason is not None:
                    ends = min(window_end, now + timedelta(minutes=BREAK_GLASS_SESSION_MINUTES))
                    role = Role.SUPERVISOR if actor.role is Role.FRONT_DESK else actor.role
                    actor = Actor(actor.id, actor.username, actor.display_name, role,
                                  elevated_until=ends)
                    audit.record(session, actor, "break_glass", now,
                                 detail={"reason": break_glass_reason, "role": user.role,
                                         "acting_as": actor.role.value,
                                         "until": ends.isoformat()})
                else:
                    audit.record(session, actor, action, now)
                return actor
    raise LoginRefused(refusal)


def logout(ctx: AppContext, actor: Actor) -> None:
    with ctx.db.write() as session:
        audit.record(session, actor, "logout", ctx.now())


def lock(ctx: AppContext, actor: Actor, *, idle: bool) -> None:
    with ctx.db.write() as session:
        audit.record(session, actor, "lock", ctx.now(), detail={"idle": idle})


def unlock(ctx: AppContext, actor: Actor, password: str) -> Actor:
    """Unlock a locked screen with the signed-in user's own password (counts towards lockout)."""
    return authenticate(ctx, actor.username, password, action="unlock")


def _break_glass_window(session, user_id: int, now: datetime) -> datetime | None:
    """When the emergency-access window open to this account ends (None: not open)."""
    ends = [datetime.fromisoformat(v) for v in session.scalars(select(Setting.value).where(
        Setting.key.in_([BREAK_GLASS_KEY, f"{BREAK_GLASS_KEY}:{user_id}"])))]
    ends = [e for e in ends if e > now]
    return max(ends) if ends else None


def enable_break_glass(ctx: AppContext, actor: Actor, minutes: int = 60,
                       username: str | None = None) -> datetime:
    """Allow emergency sign-ins for the next `minutes`, by `username` only (or by any account
    when None); returns when that ends. `minutes=0` closes the window at once."""
    require(actor, Permission.BREAK_GLASS_ENABLE)
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 <= minutes <= 24 * 60:
        raise UserError("emergency access can be enabled for 1 to 1440 minutes (0 ends it)")
    if actor.elevated_until is not None:
        raise PermissionDenied("emergency access cannot be enabled from an emergency sign-in")
    until = ctx.now() + timedelta(minutes=minutes)
    with ctx.db.write() as session:
        key, target = BREAK_GLASS_KEY, None
        if username is not None:
            target = _get(session, clean_username(username))
            if not target.active:
                raise UserError(f"the staff account {target.username!r} is disabled")
            key = f"{BREAK_GLASS_KEY}:{target.id}"
        row = session.get(Setting, key)
        if row is None:
            session.add(Setting(key=key, value=until.isoformat()))
        else:
            row.value = until.isoformat()
        audit.record(session, actor, "break_glass.enable" if minutes else "break_glass.disable",
                     ctx.now(), entity="staff_user" if target else None,
                     entity_id=target.id if target else None,
                     detail={"minutes": minutes, "for": target.username if target else "anyone"})
    return until


def end_break_glass(ctx: AppContext, actor: Actor) -> None:
    """The elevated role of an emergency sign-in ran out (the app locks the screen)."""
    with ctx.db.write() as session:
        audit.record(session, actor, "break_glass.end", ctx.now(),
                     detail={"until": actor.elevated_until.isoformat()
                             if actor.elevated_until else None})
