"""coordinator import patients FILE.csv [--map column=field ...] [--dry-run] [--user NAME]."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from pathlib import Path

from coordinator_tui.commands.common import acting_user, progress_bar, ready_context

MAX_LISTED = 200  # problems listed one per line; the rest are counted


@contextlib.contextmanager
def _ctrl_c_between_rows():
    """Ctrl+C asks the import to stop at the next row, so what it reports as saved is exact
    (a second Ctrl+C stops at once; the batch under way is rolled back either way)."""
    stopped = threading.Event()

    def on_interrupt(signum, frame):
        if stopped.is_set():
            raise KeyboardInterrupt
        stopped.set()

    try:
        previous = signal.signal(signal.SIGINT, on_interrupt)
    except ValueError:  # not the main thread: Ctrl+C is not ours to catch
        yield stopped
        return
    try:
        yield stopped
    finally:
        signal.signal(signal.SIGINT, previous)


def register(sub, common: argparse.ArgumentParser) -> None:
    imp = sub.add_parser("import", parents=[common], help="import data from files")
    imp_sub = imp.add_subparsers(dest="import_what", required=True, parser_class=type(imp))
    patients = imp_sub.add_parser(
        "patients", parents=[common], help="import patients from a CSV file (Synthea's patients.csv "
        "or any file with name and birth date columns)")
    patients.add_argument("file", type=Path, help="the CSV file (UTF-8)")
    patients.add_argument("--map", action="append", metavar="COLUMN=FIELD", default=[],
                          help="use COLUMN for FIELD (repeatable), e.g. --map Surname=family_name")
    patients.add_argument("--dry-run", action="store_true",
                          help="check the file and report what would be imported; change nothing")
    patients.add_argument("--user", help="staff username to act as (default: $COORDINATOR_USER, "
                          "else your login name)")
    patients.set_defaults(handler=cmd_import_patients)


def cmd_import_patients(args) -> int:
    from coordinator_tui.interop.patients_csv import parse_mapping
    from coordinator_tui.services.patients.importing import ImportInterrupted, import_patients

    mapping = parse_mapping(args.map)  # bad --map fails before the database is touched
    ctx = ready_context(args)
    try:
        actor = acting_user(ctx, args.user, "import patients")
        update, bar = progress_bar()
        with bar, _ctrl_c_between_rows() as stopped:
            report = import_patients(ctx, actor, args.file, mapping=mapping, dry_run=args.dry_run,
                                     progress=update, stop=stopped.is_set)
    except ImportInterrupted as stop:
        saved = stop.report.committed
        print(f"coordinator: interrupted after {saved:,} patient(s) were imported (saved in whole "
              f"batches; the batch under way was not kept); run the same command again to finish: "
              f"rows already imported are skipped" if saved else
              "coordinator: interrupted; nothing was imported", file=sys.stderr)
        return 130
    finally:
        ctx.db.dispose()
    problems = sorted([("bad", p) for p in report.bad] + [("look-alike", p) for p in report.flagged],
                      key=lambda item: item[1].line)
    for kind, problem in problems[:MAX_LISTED]:
        print(f"line {problem.line}: {kind}: {problem.reason}", file=sys.stderr)
    if len(problems) > MAX_LISTED:
        print(f"... and {len(problems) - MAX_LISTED} more problem rows", file=sys.stderr)
    verb = "would import" if report.dry_run else "imported"
    print(f"{report.rows} rows: {verb} {report.imported} ({report.deceased} deceased), "
          f"{report.already} already imported, {len(report.flagged)} look like existing patients, "
          f"{len(report.bad)} bad" + (" (dry run: nothing changed)" if report.dry_run else ""))
    # 1 when any row is not in the database: bad, or held back as a look-alike.
    return 0 if report.all_imported else 1
