"""Staff accounts: who may act, in which role."""

from __future__ import annotations

from sqlalchemy import select

from coordinator_tui.domain.vocab import Role
from coordinator_tui.errors import disabled_staff, unknown_staff
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.store.models import StaffUser


def _actor(user: StaffUser) -> Actor:
    return Actor(id=user.id, username=user.username, display_name=user.display_name,
                 role=Role(user.role))


def actor_for(ctx: AppContext, username: str) -> Actor:
    """The active staff member with this username; a clear error otherwise."""
    with ctx.db.read() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.username == username))
        if user is None:
            raise unknown_staff(username)
        if not user.active:
            raise disabled_staff(username)
        return _actor(user)


def account_exists(ctx: AppContext, username: str) -> bool:
    """Whether a staff account (active or not) has this username."""
    with ctx.db.read() as session:
        return session.scalar(select(StaffUser.id).where(StaffUser.username == username)) is not None


def ensure_user(ctx: AppContext, username: str, display_name: str, role: Role) -> Actor:
    """Create the account if missing (used by the demo clinic and first-run setup)."""
    with ctx.db.write() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.username == username))
        if user is None:
            user = StaffUser(username=username, display_name=display_name, role=role.value,
                             created_at=ctx.now())
            session.add(user)
            session.flush()
        return _actor(user)
