"""The `coordinator` command: parses arguments, dispatches to a command module, and turns every
failure into one line on stderr (exit 2 for bad input; never a traceback, which could hold
patient data).

    coordinator [run]                 open the app on the configured database
    coordinator demo                  build (or reuse) today's demo clinic and open the app on it
    coordinator seed --patients N     fill a database with a synthetic clinic, no UI
    coordinator db upgrade|downgrade REV|current|check
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from coordinator_tui.commands.common import EXIT_USER_ERROR, database_argument
from coordinator_tui.errors import UserError

# One module per area; each has register(subparsers, common_parent). Add new areas here.
COMMAND_MODULES = [
    "coordinator_tui.commands.app_commands",
    "coordinator_tui.commands.db_commands",
    "coordinator_tui.commands.patient_commands",
    "coordinator_tui.commands.user_commands",
    "coordinator_tui.commands.audit_commands",
    "coordinator_tui.commands.lookup_commands",
    "coordinator_tui.commands.export_commands",
    "coordinator_tui.commands.schedule_commands",
    "coordinator_tui.commands.callback_commands",
    "coordinator_tui.commands.backup_commands",
    "coordinator_tui.commands.eligibility_commands",
    "coordinator_tui.commands.report_commands",
    "coordinator_tui.commands.interop_commands",  # after the modules that make import/export
    "coordinator_tui.commands.reminder_commands",
    "coordinator_tui.commands.print_commands",
    "coordinator_tui.commands.referral_commands",
    "coordinator_tui.commands.booking_commands",
    "coordinator_tui.commands.ledger_commands",
    "coordinator_tui.commands.ar_commands",
    "coordinator_tui.commands.statement_commands",
]


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors exit 2 with the one-line message our other errors use."""

    def error(self, message: str):
        self.exit(EXIT_USER_ERROR, f"coordinator: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    # SUPPRESS: a subcommand's copy of --db must not overwrite one given before the subcommand.
    common.add_argument("--db", metavar="URL", default=argparse.SUPPRESS, type=database_argument,
                        help="database URL or file path (default: $COORDINATOR_DB_URL, else a file "
                             "in your data directory)")
    common.add_argument("--password-stdin", action="store_true", default=argparse.SUPPRESS,
                        help="sign in with the password on the first line of standard input "
                             "(users add/reset-password: the new password is the next line)")
    parser = _Parser(prog="coordinator", description="The clinic front desk, in the terminal.",
                     parents=[common])
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub, common)
    return parser


def _not_text(argv: Sequence[str]) -> str | None:
    """Why the command line cannot be used, if an argument or a COORDINATOR_ variable holds bytes
    that are not UTF-8 (Python carries them as lone surrogates, which would fail deep inside a
    command, after it had started changing things). The value is not echoed: it may be a name."""
    for position, arg in enumerate(argv, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            return f"argument {position} is not valid UTF-8 text; nothing was changed"
    for name, value in os.environ.items():
        if name.startswith("COORDINATOR_"):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return f"{name} is not valid UTF-8 text; nothing was changed"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    problem = _not_text(argv)
    if problem is not None:
        print(f"coordinator: {problem}", file=sys.stderr)
        return EXIT_USER_ERROR
    args = build_parser().parse_args(argv)
    if not hasattr(args, "handler"):
        from coordinator_tui.commands.app_commands import cmd_run

        args.handler = cmd_run
    from coordinator_tui.commands.sign_in import remember

    remember(args)
    try:
        return args.handler(args)
    except UserError as exc:
        print(f"coordinator: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("coordinator: interrupted; nothing half-written was kept", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("COORDINATOR_DEBUG"):
            raise
        # A traceback's values could hold patient data: name the kind of failure only.
        print(f"coordinator: unexpected error ({type(exc).__name__}); nothing half-written was kept. "
              f"Set COORDINATOR_DEBUG=1 to see details.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
