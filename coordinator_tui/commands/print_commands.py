"""coordinator printers: the CUPS queues this desk can print to (lpstat), and which one the
`printer` setting names (empty: printouts go to owner-only files in print_dir)."""

from __future__ import annotations

import argparse
import sys

from coordinator_tui.commands.common import settings_from


def register(sub, common: argparse.ArgumentParser) -> None:
    printers = sub.add_parser("printers", parents=[common],
                              help="list the CUPS printers and the one the desks print to")
    printers.set_defaults(handler=cmd_printers)


def cmd_printers(args) -> int:
    from coordinator_tui.services.printing import list_printers

    settings = settings_from(args)
    queues = list_printers()
    chosen = settings.printer.strip()
    for name in queues:
        print(f"{'*' if name == chosen else ' '} {name}")
    if not queues:
        print("no CUPS printers here (lpstat lists none)", file=sys.stderr)
    if chosen and chosen not in queues:
        print(f"the printer setting names {chosen!r}, which CUPS does not list", file=sys.stderr)
        return 1
    if not chosen:
        print(f"printer setting empty: printouts go to files in "
              f"{settings.print_dir or 'the data directory (printouts/)'}", file=sys.stderr)
    return 0
