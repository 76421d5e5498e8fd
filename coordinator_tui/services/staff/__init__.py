"""The staff desk: accounts and sign-in, actors, the audit trail's views, backup.

The desk's services by name, for callers that use the desk as one module
(`from coordinator_tui.services import checkin as svc`). Inside services/, import the
module that defines a name instead."""

from coordinator_tui.services.staff.accounts import (
    BREAK_GLASS_KEY,
    BREAK_GLASS_SESSION_MINUTES,
    LOGIN_FAILED,
    MAX_PASSWORD,
    MIN_PASSWORD,
    LoginRefused,
    StaffAccount,
    add_user,
    authenticate,
    check_password,
    clean_username,
    disable_user,
    enable_break_glass,
    end_break_glass,
    hash_password,
    list_users,
    lock,
    logout,
    reset_password,
    staff_count,
    unlock,
)
from coordinator_tui.services.staff.actors import actor_for, ensure_user
from coordinator_tui.services.staff.audit_trail import AuditLine, ChainReport, show, verify
from coordinator_tui.services.staff.audit_views import (
    MAX_LINES,
    AccessLine,
    describe,
    patient_access,
)
from coordinator_tui.services.staff.backups import (
    BackupReport,
    Progress,
    RestoreReport,
    backup,
    check_backup,
    restore,
    restore_needs_admin,
)

__all__ = [
    "AccessLine",
    "AuditLine",
    "BREAK_GLASS_KEY",
    "BREAK_GLASS_SESSION_MINUTES",
    "BackupReport",
    "ChainReport",
    "LOGIN_FAILED",
    "LoginRefused",
    "MAX_LINES",
    "MAX_PASSWORD",
    "MIN_PASSWORD",
    "Progress",
    "RestoreReport",
    "StaffAccount",
    "actor_for",
    "add_user",
    "authenticate",
    "backup",
    "check_backup",
    "check_password",
    "clean_username",
    "describe",
    "disable_user",
    "enable_break_glass",
    "end_break_glass",
    "ensure_user",
    "hash_password",
    "list_users",
    "lock",
    "logout",
    "patient_access",
    "reset_password",
    "restore",
    "restore_needs_admin",
    "show",
    "staff_count",
    "unlock",
    "verify",
]
