"""How a command proves which staff member runs it (used by `common.acting_user`).

In this order, the first that applies:

1. the operating-system account: the staff account is bound to the real uid of this process
   (an admin ran `coordinator users bind-os NAME --os-user LOGIN`); scheduled jobs sign in so;
2. a password file named by `COORDINATOR_PASSWORD_FILE` (like PGPASSFILE): lines
   `USERNAME:PASSWORD`, `#` comments; the file must be a regular file of this OS account that
   nobody else can read or write (chmod 600), else it is refused;
3. `--password-stdin`: the first line of standard input (for users add / reset-password, the
   new password is the next line; when 1 or 2 signed the admin in, the first line is it);
4. the demo clinic only: its public password (`demo`), while the account still has it;
5. a terminal: the password is asked for, not echoed.

Otherwise the command stops with one line saying how to sign in. A wrong password is refused
with the same words whatever was wrong, counts towards the desk's lockout, and is audited.
"""

from __future__ import annotations

import argparse
import getpass
import os
import stat
import sys
from pathlib import Path

from coordinator_tui.errors import UserError

PASSWORD_FILE_VARIABLE = "COORDINATOR_PASSWORD_FILE"
DEMO_PASSWORD = "demo"  # services.demo.clinic.DEMO_PASSWORD: printed on the demo's sign-in screen

_args: argparse.Namespace | None = None


def remember(args: argparse.Namespace) -> None:
    """The parsed command line, for the flags every acting command shares (--password-stdin)."""
    global _args
    _args = args


def password_stdin() -> bool:
    return bool(getattr(_args, "password_stdin", False))


def stdin_line() -> str:
    line = sys.stdin.readline()
    return line[:-1] if line.endswith("\n") else line


def password_from_file(username: str) -> str | None:
    named = os.environ.get(PASSWORD_FILE_VARIABLE, "").strip()
    if not named:
        return None
    path = Path(named).expanduser()
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        raise UserError(f"{PASSWORD_FILE_VARIABLE}: cannot read {path}") from None
    with os.fdopen(fd, encoding="utf-8", errors="replace") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
            raise UserError(f"{PASSWORD_FILE_VARIABLE}: {path} must be a regular file of your "
                            "own OS account")
        if info.st_mode & 0o077:
            raise UserError(f"{PASSWORD_FILE_VARIABLE}: {path} can be read by others; "
                            f"'chmod 600 {path}' first")
        for raw in handle:
            line = raw.rstrip("\r\n")
            if not line or line.lstrip().startswith("#") or ":" not in line:
                continue
            name, password = line.split(":", 1)
            if name.strip() == username:
                return password
    return None


def prove(ctx, username: str, command: str, flag: str):
    """The actor for `username`, once proven (see the module docstring)."""
    from coordinator_tui.services.clinic import is_demo
    from coordinator_tui.services.staff.accounts import LoginRefused
    from coordinator_tui.services.staff.cli_signin import (
        password_matches,
        sign_in_by_os_account,
        sign_in_with_password,
    )

    actor = sign_in_by_os_account(ctx, username, os.getuid())
    if actor is not None:
        return actor
    password = password_from_file(username)
    if password is None and password_stdin():
        password = stdin_line()
    if password is None and is_demo(ctx) and password_matches(ctx, username, DEMO_PASSWORD):
        password = DEMO_PASSWORD
    if password is None and sys.stdin.isatty():
        try:
            password = getpass.getpass(f"Password for {username}: ")
        except EOFError:
            password = None
    if password is None:
        raise UserError(
            f"coordinator {command} acts as {username!r}: sign in with --password-stdin, in a "
            f"terminal, with a password file in ${PASSWORD_FILE_VARIABLE}, or from the OS "
            f"account bound to it ('coordinator users bind-os {username} --os-user LOGIN'; "
            f"{flag} names another account)")
    try:
        return sign_in_with_password(ctx, username, password)
    except LoginRefused as refused:
        raise UserError(f"coordinator {command}: {refused} (as {username!r})") from None
