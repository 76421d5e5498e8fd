"""coordinator users add | disable | reset-password | bind-os | list: staff accounts.

The acting admin is --user / $COORDINATOR_USER / your login name, signed in (commands/sign_in.py).
The very first account of a new database needs no sign-in and must be an admin; it is bound to
the OS account that made it (that account owns the database file anyway):

    coordinator users add alex --name "Alex Admin" --role admin
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from coordinator_tui.commands.common import acting_user, ready_context, settings_from
from coordinator_tui.commands.sign_in import stdin_line
from coordinator_tui.errors import UserError


def register(sub, common: argparse.ArgumentParser) -> None:
    users = sub.add_parser("users", parents=[common], help="staff accounts")
    users_sub = users.add_subparsers(dest="users_command", required=True, parser_class=type(users))

    def acting(p: argparse.ArgumentParser) -> None:
        p.add_argument("--user", help="the admin doing this (default: $COORDINATOR_USER, else "
                       "your login name)")

    add = users_sub.add_parser("add", parents=[common], help="add a staff account")
    add.add_argument("username")
    add.add_argument("--name", required=True, help="the name shown on screen")
    add.add_argument("--role", required=True, choices=["front_desk", "supervisor", "admin"])
    add.add_argument("--service", action="store_true", help="a service account for a scheduled "
                     "job: no password, signed in only by its OS account (--os-user)")
    add.add_argument("--os-user", metavar="LOGIN", help="bind the account to this OS account "
                     "(a login name or a uid)")
    acting(add)
    add.set_defaults(handler=cmd_users_add)

    disable = users_sub.add_parser("disable", parents=[common], help="disable a staff account")
    disable.add_argument("username")
    acting(disable)
    disable.set_defaults(handler=cmd_users_disable)

    reset = users_sub.add_parser("reset-password", parents=[common],
                                 help="set a new password (and clear a lockout)")
    reset.add_argument("username")
    acting(reset)
    reset.set_defaults(handler=cmd_users_reset)

    bind = users_sub.add_parser("bind-os", parents=[common], help="let an OS account sign in "
                                "as this staff account on the command line (no password)")
    bind.add_argument("username")
    target = bind.add_mutually_exclusive_group(required=True)
    target.add_argument("--os-user", metavar="LOGIN", help="an OS login name or uid")
    target.add_argument("--none", action="store_true", help="remove the binding")
    acting(bind)
    bind.set_defaults(handler=cmd_users_bind_os)

    glass = users_sub.add_parser("break-glass", parents=[common],
                                 help="emergency access: let an account sign in with a reason "
                                      "(and a supervisor's role) for a while")
    glass_sub = glass.add_subparsers(dest="glass_command", required=True, parser_class=type(users))
    enable = glass_sub.add_parser("enable", parents=[common], help="open the emergency window")
    enable.add_argument("username", nargs="?", help="only this account (default: any account)")
    enable.add_argument("--minutes", type=int, default=60, help="how long the window stays "
                        "open, 1-1440 (default 60)")
    enable.add_argument("--by", dest="user", help="the supervisor or admin enabling it "
                        "(default: $COORDINATOR_USER, else your login name)")
    enable.set_defaults(handler=cmd_break_glass_enable)
    end = glass_sub.add_parser("disable", parents=[common], help="close the emergency window now")
    end.add_argument("username", nargs="?", help="only this account's window (default: the "
                     "window for any account)")
    end.add_argument("--by", dest="user", help="the supervisor or admin closing it")
    end.set_defaults(handler=cmd_break_glass_disable, minutes=0)

    listing = users_sub.add_parser("list", parents=[common], help="list staff accounts")
    acting(listing)
    listing.set_defaults(handler=cmd_users_list)


def read_password(args) -> str:
    if getattr(args, "password_stdin", False):
        return stdin_line()
    if not sys.stdin.isatty():
        raise UserError("no terminal to ask for the password; use --password-stdin")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Again: ") != first:
        raise UserError("the two passwords differ; nothing was changed")
    return first


def os_uid(login: str) -> int:
    """A login name or a uid, as the uid the kernel gives that account's processes."""
    import pwd

    text = login.strip()
    if text.isdigit():
        return int(text)
    try:
        return pwd.getpwnam(text).pw_uid
    except KeyError:
        raise UserError(f"no OS account named {text[:32]!r} on this machine") from None


def cmd_users_add(args) -> int:
    from coordinator_tui.services.database import sqlite_path, undone_on_failure
    from coordinator_tui.services.staff.accounts import add_user, staff_count
    from coordinator_tui.services.staff.cli_signin import add_service_account

    if args.service and not args.os_user:
        raise UserError("a service account needs --os-user: the OS account its job runs as")
    uid = os_uid(args.os_user) if args.os_user else None
    # The first admin of a fresh install makes the database; refused, nothing is left behind.
    with undone_on_failure(sqlite_path(settings_from(args).db_url)):
        ctx = ready_context(args, create=True)
        try:
            first = not staff_count(ctx)
            actor = None if first else acting_user(ctx, args.user, "users add")
            if args.service:
                account = add_service_account(ctx, actor, args.username, args.name, args.role, uid)
            else:
                if first and uid is None:
                    uid = os.getuid()  # the account that made the database, which it owns
                account = add_user(ctx, actor, args.username, args.name, args.role,
                                   read_password(args), os_uid=uid)
        finally:
            ctx.db.dispose()
    print(f"added {account.username} ({account.role.value})")
    if first:
        print(f"the first admin needs no sign-in (the database had no staff); it signs in on "
              f"the command line from OS uid {uid} without a password (change with 'users "
              f"bind-os {account.username}')", file=sys.stderr)
    return 0


def cmd_users_bind_os(args) -> int:
    from coordinator_tui.services.staff.cli_signin import bind_os

    uid = None if args.none else os_uid(args.os_user)
    ctx = ready_context(args)
    account = bind_os(ctx, acting_user(ctx, args.user, "users bind-os"), args.username, uid)
    print(f"{account.username}: " + ("no OS account bound" if uid is None
                                     else f"signs in from OS uid {uid}"))
    return 0


def cmd_users_disable(args) -> int:
    from coordinator_tui.services.staff.accounts import disable_user

    ctx = ready_context(args)
    account = disable_user(ctx, acting_user(ctx, args.user, "users disable"), args.username)
    print(f"disabled {account.username}")
    return 0


def cmd_users_reset(args) -> int:
    from coordinator_tui.services.staff.accounts import reset_password

    ctx = ready_context(args)
    actor = acting_user(ctx, args.user, "users reset-password")
    account = reset_password(ctx, actor, args.username, read_password(args))
    print(f"new password set for {account.username}")
    return 0


def cmd_users_list(args) -> int:
    from coordinator_tui.services.staff.accounts import list_users

    ctx = ready_context(args)
    accounts = list_users(ctx, acting_user(ctx, args.user, "users list"))
    print(f"{'username':<16} {'role':<11} {'state':<9} name")
    for a in accounts:
        state = "disabled" if not a.active else ("no pass" if not a.has_password else "active")
        if a.active and a.locked_until is not None and a.locked_until > ctx.now():
            state = "locked"
        bound = f" (OS uid {a.os_uid})" if a.os_uid is not None else ""
        print(f"{a.username:<16} {a.role.value:<11} {state:<9} {a.display_name}{bound}")
    return 0


def cmd_break_glass_enable(args) -> int:
    from coordinator_tui.services.staff.accounts import (
        BREAK_GLASS_SESSION_MINUTES,
        enable_break_glass,
    )

    ctx = ready_context(args)
    if args.minutes < 1:
        raise UserError("--minutes must be 1 to 1440")
    until = enable_break_glass(ctx, acting_user(ctx, args.user, "users break-glass", "--by"), args.minutes, args.username)
    who = args.username or "any account"
    print(f"emergency access open for {who} until {ctx.local(until):%Y-%m-%d %H:%M}; each "
          f"emergency sign-in needs a reason and lasts at most {BREAK_GLASS_SESSION_MINUTES} min")
    return 0


def cmd_break_glass_disable(args) -> int:
    from coordinator_tui.services.staff.accounts import enable_break_glass

    ctx = ready_context(args)
    enable_break_glass(ctx, acting_user(ctx, args.user, "users break-glass", "--by"), 0, args.username)
    print(f"emergency access closed for {args.username or 'any account'}")
    return 0
