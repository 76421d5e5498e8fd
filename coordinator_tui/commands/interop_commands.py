"""Talking to the EHR (issue #19):

    coordinator hl7 listen --port N [--host 127.0.0.1] --sender APP [...]   receive over MLLP
    coordinator hl7 send --to HOST:PORT [--once]                            deliver the outbox
    coordinator hl7 outbox on|off|status      coordinator hl7 refused [--retry KEY]
    coordinator hl7 held
    coordinator import hl7 FILE [--dry-run]   coordinator import fhir FILE|DIR [--dry-run]
    coordinator export fhir --since DATE -o DIR
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coordinator_tui.commands.common import acting_user, iso_day, progress_bar, ready_context
from coordinator_tui.errors import UserError

USER_HELP = "staff username to act as (default: $COORDINATOR_USER, else your login name)"


def _subparsers(sub, common, name: str, help_text: str):
    """`import`/`export` are shared with other areas: add to them when they exist."""
    parser = sub.choices.get(name)
    if parser is None:
        parser = sub.add_parser(name, parents=[common], help=help_text)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest=f"{name}_what", parser_class=type(parser))


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT")
    return host, int(port)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)")
    return int(text)


def register(sub, common: argparse.ArgumentParser) -> None:
    hl7 = sub.add_parser("hl7", parents=[common], help="HL7 v2 over MLLP with the EHR")
    hl7_sub = hl7.add_subparsers(dest="hl7_what", required=True, parser_class=type(hl7))
    listen = hl7_sub.add_parser("listen", parents=[common], help="receive ADT/SIU messages")
    listen.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    listen.add_argument("--port", type=_port, required=True, help="TCP port (0: any free one)")
    listen.add_argument("--sender", action="append", default=[], metavar="APP",
                        help="a sending application (MSH-3) to accept; repeatable")
    listen.add_argument("--any-sender", action="store_true",
                        help="accept every sender (only on a trusted network)")
    listen.add_argument("--user", help=USER_HELP)
    listen.set_defaults(handler=cmd_listen)
    send = hl7_sub.add_parser("send", parents=[common], help="deliver the outbox to the EHR")
    send.add_argument("--to", type=_address, required=True, metavar="HOST:PORT")
    send.add_argument("--once", action="store_true", help="stop when nothing is waiting")
    send.add_argument("--user", help=USER_HELP)
    send.set_defaults(handler=cmd_send)
    outbox = hl7_sub.add_parser("outbox", parents=[common], help="turn the outbox on or off")
    outbox.add_argument("state", choices=["on", "off", "status"])
    outbox.add_argument("--user", help=USER_HELP)
    outbox.set_defaults(handler=cmd_outbox)
    for name, helptext, handler in (
            ("refused", "messages refused either way, to re-try (supervisors)", cmd_refused),
            ("held", "imported patients held as look-alikes, for a person to decide", cmd_held)):
        parser = hl7_sub.add_parser(name, parents=[common], help=helptext)
        parser.add_argument("--user", help=USER_HELP)
        parser.set_defaults(handler=handler)
        if name == "refused":
            parser.add_argument("--retry", metavar="KEY", help="re-try one (KEY as listed: in:N or out:N)")
        if name == "held":
            parser.add_argument("--decide", type=int, metavar="ID", help="decide held item ID")
            parser.add_argument("--register", action="store_true", help="...as a new patient")
            parser.add_argument("--same-as", metavar="MRN", help="...as this existing patient")

    imports = _subparsers(sub, common, "import", "import data from files")
    for name, helptext, handler in (
            ("hl7", "HL7 v2 messages (one, a batch, an FHS/BHS file); whole or nothing", cmd_import_hl7),
            ("fhir", "FHIR R4 resources or Bundles (a file or a folder); whole or nothing",
             cmd_import_fhir)):
        parser = imports.add_parser(name, parents=[common], help=helptext)
        parser.add_argument("path", type=Path, help="the file" + (" or folder" if name == "fhir" else ""))
        parser.add_argument("--dry-run", action="store_true", help="say what would happen; change nothing")
        parser.add_argument("--user", help=USER_HELP)
        parser.set_defaults(handler=handler)
    exports = _subparsers(sub, common, "export", "write data out for other systems")
    fhir = exports.add_parser("fhir", parents=[common], help="FHIR R4 bulk NDJSON, one file per type")
    fhir.add_argument("--since", type=iso_day, help="only what changed on or after this day")
    fhir.add_argument("--output", "-o", type=Path, required=True, metavar="DIR")
    fhir.add_argument("--user", help=USER_HELP)
    fhir.set_defaults(handler=cmd_export_fhir)


def cmd_listen(args) -> int:
    import asyncio

    from coordinator_tui.interop.hl7.mllp import serve
    from coordinator_tui.services.exchange.hl7_group import receive_group
    from coordinator_tui.services.exchange.hl7_receive import receive, unframed

    if not args.sender and not args.any_sender:
        raise UserError("name the senders to accept (--sender APP, repeatable) or give --any-sender")
    ctx = ready_context(args)
    actor = acting_user(ctx, args.user, "hl7 listen")
    senders = None if args.any_sender else frozenset(args.sender)

    def ready(port: int) -> None:
        print(f"listening on {args.host}:{port}", file=sys.stderr, flush=True)

    try:
        asyncio.run(serve(args.host, args.port, lambda data: receive(ctx, actor, data, senders),
                          lambda data: unframed(ctx, data), ready=ready,
                          group=lambda frames: receive_group(ctx, actor, frames, senders)))
    except OSError as exc:
        raise UserError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    finally:
        ctx.db.dispose()
    return 0


def cmd_send(args) -> int:
    from coordinator_tui.services.exchange.sender import run_sender

    ctx = ready_context(args)
    host, port = args.to
    try:
        # It reads patients' messages and sends them where --to says: a staff member (a service
        # account bound to the OS account the service runs as) signs in first.
        acting_user(ctx, args.user, "hl7 send")
        stats = run_sender(ctx, host, port, once=args.once,
                           report=lambda line: print(line, file=sys.stderr, flush=True))
    finally:
        ctx.db.dispose()
    print(f"sent {stats.sent}, refused {stats.refused}, retries {stats.retries}", file=sys.stderr)
    return 0


def cmd_outbox(args) -> int:
    from coordinator_tui.services.exchange.outbox import counts, set_outbox

    ctx = ready_context(args)
    try:
        if args.state != "status":
            set_outbox(ctx, acting_user(ctx, args.user, "hl7 outbox"), args.state == "on")
        found = counts(ctx)
    finally:
        ctx.db.dispose()
    print(", ".join(f"{k} {found.get(k, 0)}" for k in ("pending", "sent", "refused")))
    return 0


def cmd_refused(args) -> int:
    from coordinator_tui.services.exchange.hl7_refused import refused_messages, retry_refused

    ctx = ready_context(args)
    try:
        actor = acting_user(ctx, args.user, "hl7 refused")
        if args.retry:
            print(retry_refused(ctx, actor, args.retry))
            return 0
        rows = refused_messages(ctx, actor)
    finally:
        ctx.db.dispose()
    for r in rows:  # KEY, direction, sender, control id, type, time (UTC), code, reason
        print(f"{r.key}\t{r.direction}\t{r.sender}\t{r.control_id}\t{r.message_type}\t"
              f"{r.at:%Y-%m-%d %H:%M}\t{r.code}\t{r.reason}")
    print(f"{len(rows)} refused", file=sys.stderr)
    return 0


def cmd_held(args) -> int:
    from coordinator_tui.services.exchange.held import resolve_held
    from coordinator_tui.services.exchange.hl7_receive import held_items

    ctx = ready_context(args)
    try:
        actor = acting_user(ctx, args.user, "hl7 held")
        if args.decide is not None:
            mrn = resolve_held(ctx, actor, args.decide, same_as_mrn=args.same_as,
                               register=args.register)
            print(f"held item {args.decide}: {'registered as' if args.register else 'linked to'} {mrn}")
            return 0
        rows = held_items(ctx, actor)
    finally:
        ctx.db.dispose()
    for r in rows:
        print(f"{r['id']}\t{r['source']}\t{r['sender']}\t{r['reference']}\t{r['reason']}")
    print(f"{len(rows)} held", file=sys.stderr)
    return 0


def cmd_import_hl7(args) -> int:
    from coordinator_tui.services.exchange.hl7_receive import import_file

    ctx = ready_context(args)
    try:
        report = import_file(ctx, acting_user(ctx, args.user, "import hl7"), args.path,
                             dry_run=args.dry_run)
    finally:
        ctx.db.dispose()
    for line in report.held + report.notes:
        print(line, file=sys.stderr)
    verb = "would apply" if report.dry_run else "applied"
    print(f"{report.messages} messages: {verb} {report.applied}, {report.duplicates} already "
          f"applied, {len(report.held)} held as look-alikes"
          + (" (dry run: nothing changed)" if report.dry_run else ""))
    return 0


def cmd_import_fhir(args) -> int:
    from coordinator_tui.services.exchange.fhir_import import import_fhir

    ctx = ready_context(args)
    try:
        report = import_fhir(ctx, acting_user(ctx, args.user, "import fhir"), args.path,
                             dry_run=args.dry_run)
    finally:
        ctx.db.dispose()
    for line in report.held + report.notes:
        print(line, file=sys.stderr)
    verb = "would import" if report.dry_run else "imported"
    made = ", ".join(f"{n} {k}" for k, n in sorted(report.applied.items())) or "nothing"
    skipped = ", ".join(f"{n} {k}" for k, n in sorted(report.skipped.items()))
    print(f"{report.resources} resources in {report.files} file(s): {verb} {made}; "
          f"{report.already} already here; {len(report.held)} held as look-alikes"
          + (f"; not imported: {skipped}" if skipped else "")
          + (" (dry run: nothing changed)" if report.dry_run else ""))
    return 0


def cmd_export_fhir(args) -> int:
    from coordinator_tui.services.exchange.fhir_export import export_fhir

    ctx = ready_context(args)
    try:
        actor = acting_user(ctx, args.user, "export fhir")
        update, bar = progress_bar()
        with bar:
            written = export_fhir(ctx, actor, args.output, since=args.since, progress=update)
    finally:
        ctx.db.dispose()
    print(", ".join(f"{n} {k}" for k, n in written.items()) + f" written to {args.output}",
          file=sys.stderr)
    return 0
