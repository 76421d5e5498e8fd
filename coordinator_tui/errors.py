"""Errors a person can act on. The CLI prints them as one line and exits 2; the TUI shows them
on screen. Messages never contain patient data: they name records by id or MRN at most."""


class UserError(Exception):
    """Bad input or a refused action, explained in words a front-desk user understands."""


class StorageError(UserError):
    """The database cannot be used as asked (not a database, unwritable, newer schema...)."""


class ConnectionLost(StorageError):
    """The database server went away or cannot be reached (PostgreSQL: a restart, a failover).
    A desk says so and reconnects; the next unit of work connects again (store/engine.py)."""


class PermissionDenied(UserError):
    """The acting user's role does not allow this action."""


class ConflictError(UserError):
    """Another desk changed the record first; nothing was saved."""


def unknown_staff(username: str) -> UserError:
    return UserError(f"no staff account named {username!r}; an admin can add one with "
                     f"'coordinator users add'")


def disabled_staff(username: str) -> UserError:
    return UserError(f"the staff account {username!r} is disabled")
