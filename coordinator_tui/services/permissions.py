"""Which role may do what. Every service that needs more than a front-desk role calls
`require(actor, Permission.X)`, so the command line and the screens obey the same rules."""

from __future__ import annotations

from enum import StrEnum

from coordinator_tui.domain.vocab import Role
from coordinator_tui.errors import PermissionDenied
from coordinator_tui.services.context import Actor


class Permission(StrEnum):
    OVERBOOK = "overbook"
    MERGE_PATIENTS = "merge patients"
    VOID_PAYMENT = "void a payment"
    READ_AUDIT = "read the audit trail"
    MANAGE_USERS = "manage staff accounts"
    MANAGE_TEMPLATES = "manage schedule templates"
    MANAGE_SETTINGS = "change clinic settings"
    BREAK_GLASS_ENABLE = "enable emergency access"
    BACKUP = "back up the database"
    RESTORE = "restore the database from a backup"
    # Reports beyond today (issue 18); the front desk sees its own day only.
    READ_REPORTS = "see reports beyond today"
    OVERRIDE_AUTHORISATION = "book without a valid authorisation"
    WRITE_OFF = "write off a balance"  # issue 17
    WORK_ACCOUNTS = "work patient accounts (A/R aging, billing imports, statements)"


_SUPERVISOR_UP = frozenset({Role.SUPERVISOR, Role.ADMIN})
_ADMIN_ONLY = frozenset({Role.ADMIN})

ALLOWED: dict[Permission, frozenset[Role]] = {
    Permission.OVERBOOK: _SUPERVISOR_UP,
    Permission.MERGE_PATIENTS: _SUPERVISOR_UP,
    Permission.VOID_PAYMENT: _SUPERVISOR_UP,
    Permission.READ_AUDIT: _SUPERVISOR_UP,
    Permission.BREAK_GLASS_ENABLE: _SUPERVISOR_UP,
    Permission.BACKUP: _SUPERVISOR_UP,
    Permission.OVERRIDE_AUTHORISATION: _SUPERVISOR_UP,
    Permission.WRITE_OFF: _SUPERVISOR_UP,
    Permission.WORK_ACCOUNTS: _SUPERVISOR_UP,
    Permission.RESTORE: _ADMIN_ONLY,
    Permission.READ_REPORTS: _SUPERVISOR_UP,
    Permission.MANAGE_USERS: _ADMIN_ONLY,
    Permission.MANAGE_TEMPLATES: _ADMIN_ONLY,
    Permission.MANAGE_SETTINGS: _ADMIN_ONLY,
}

_ROLE_WORDS = {Role.FRONT_DESK: "front desk", Role.SUPERVISOR: "supervisor", Role.ADMIN: "admin"}


def allows(actor: Actor | None, permission: Permission) -> bool:
    return actor is not None and actor.role in ALLOWED[permission]


def require(actor: Actor | None, permission: Permission) -> None:
    """Raise PermissionDenied, with a message saying who may, unless the actor's role allows it."""
    if allows(actor, permission):
        return
    who = " or ".join(_ROLE_WORDS[r] for r in Role if r in ALLOWED[permission])
    if actor is None:
        raise PermissionDenied(f"sign in first: only a {who} may {permission.value}")
    article = "an" if who[0] in "aeiou" else "a"
    raise PermissionDenied(f"{actor.username} ({_ROLE_WORDS[actor.role]}) may not "
                           f"{permission.value}; ask {article} {who}")
