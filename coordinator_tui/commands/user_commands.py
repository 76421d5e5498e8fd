"""coordinator users add | disable | reset-password | list: staff accounts.

The acting admin is --user / $COORDINATOR_USER / your login name. The very first account of a
new database needs no acting user and must be an admin:

    coordinator users add alex --name "Alex Admin" --role admin
"""

from __future__ import annotations

import argparse
import getpass
import sys

from coordinator_tui.commands.common import acting_user, ready_context, settings_from
from coordinator_tui.errors import UserError


def register(sub, common: argparse.ArgumentParser) -> None:
    users = sub.add_parser("users", parents=[common], help="staff accounts")
    users_sub = users.add_subparsers(dest="users_command", required=True, parser_class=type(users))

    def acting(p: argparse.ArgumentParser) -> None:
        p.add_argument("--user", help="the admin doing this (default: $COORDINATOR_USER, else "
                       "your login name)")

    def password_source(p: argparse.ArgumentParser) -> None:
        p.add_argument("--password-stdin", action="store_true",
                       help="read the password from the first line of standard input")

    add = users_sub.add_parser("add", parents=[common], help="add a staff account")
    add.add_argument("username")
    add.add_argument("--name", required=True, help="the name shown on screen")
    add.add_argument("--role", required=True, choices=["front_desk", "supervisor", "admin"])
    acting(add)
    password_source(add)
    add.set_defaults(handler=cmd_users_add)

    disable = users_sub.add_parser("disable", parents=[common], help="disable a staff account")
    disable.add_argument("username")
    acting(disable)
    disable.set_defaults(handler=cmd_users_disable)

    reset = users_sub.add_parser("reset-password", parents=[common],
                                 help="set a new password (and clear a lockout)")
    reset.add_argument("username")
    acting(reset)
    password_source(reset)
    reset.set_defaults(handler=cmd_users_reset)

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
    if args.password_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    if not sys.stdin.isatty():
        raise UserError("no terminal to ask for the password; use --password-stdin")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Again: ") != first:
        raise UserError("the two passwords differ; nothing was changed")
    return first


def cmd_users_add(args) -> int:
    from coordinator_tui.services.database import sqlite_path, undone_on_failure
    from coordinator_tui.services.staff.accounts import add_user, staff_count

    # The first admin of a fresh install makes the database; refused, nothing is left behind.
    with undone_on_failure(sqlite_path(settings_from(args).db_url)):
        ctx = ready_context(args, create=True)
        try:
            actor = acting_user(ctx, args.user, "users add") if staff_count(ctx) else None
            account = add_user(ctx, actor, args.username, args.name, args.role, read_password(args))
        finally:
            ctx.db.dispose()
    print(f"added {account.username} ({account.role.value})")
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
        print(f"{a.username:<16} {a.role.value:<11} {state:<9} {a.display_name}")
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
