"""coordinator referrals add|list|show|update|document|chase|rules: referrals and prior
authorisations for scripts and integrations, through the same services as the desks.

    coordinator referrals add --patient MRN --kind auth --number A123 --types PROC --visits 4 --to T+60
    coordinator referrals list --patient MRN | --expiring 14 [--format txt|csv|json]
    coordinator referrals show ID
    coordinator referrals update ID --status approved [--visits 6] [--to 3/31] ...
    coordinator referrals chase [--feed]       the work list; --feed puts it on the callback queue
    coordinator referrals rules [--type PROC [--payer NAME] --needs-auth yes|no] ...  (admins)
"""

from __future__ import annotations

import argparse
import csv
import json
import sys

from coordinator_tui.commands.common import acting_user, ready_context

LIST_COLUMNS = ("id", "mrn", "kind", "number", "status", "authorised", "used", "scheduled",
                "remaining", "valid_from", "valid_to", "types", "party", "specialty")


def register(sub, common: argparse.ArgumentParser) -> None:
    ref = sub.add_parser("referrals", parents=[common], help="referrals and prior authorisations")
    what = ref.add_subparsers(dest="referrals_command", required=True, parser_class=type(ref))

    def with_user(parser):
        parser.add_argument("--user", help="staff username to act as (default: $COORDINATOR_USER, "
                                           "else your login name)")
        return parser

    def record_fields(parser, *, adding: bool):
        parser.add_argument("--number", help="the referral or authorisation number")
        parser.add_argument("--party", help="referring (incoming) or receiving (outgoing) party")
        parser.add_argument("--specialty", help="specialty, e.g. Cardiology")
        parser.add_argument("--provider", help="our provider's short name")
        parser.add_argument("--types", help="appointment types covered, e.g. PROC,FU (default: any)")
        parser.add_argument("--codes", help="procedure codes covered, e.g. 45378,45380")
        parser.add_argument("--visits", type=int, help="visits authorised (default: open-ended)")
        parser.add_argument("--from", dest="valid_from", help="first day valid (T, 12/1, 2026-12-01)")
        parser.add_argument("--to", dest="valid_to", help="last day valid")
        parser.add_argument("--status", help="requested, pending, approved, denied, active, exhausted, "
                                             "expired or closed")
        parser.add_argument("--reason", help="why the patient is referred")
        parser.add_argument("--notes", help="notes")
        if not adding:
            parser.add_argument("--replied", help="the date an outgoing referral was answered")

    add = with_user(what.add_parser("add", parents=[common], help="record a referral or authorisation"))
    add.add_argument("--patient", required=True, metavar="MRN")
    add.add_argument("--kind", required=True, help="in (incoming referral), out (outgoing), auth "
                                                   "(prior authorisation)")
    add.add_argument("--received", help="the date it came (or was sent); default today")
    record_fields(add, adding=True)
    add.set_defaults(handler=cmd_add)

    listing = with_user(what.add_parser("list", parents=[common],
                                        help="a patient's referrals, or the authorisations ending soon"))
    listing.add_argument("--patient", metavar="MRN")
    listing.add_argument("--expiring", type=int, metavar="DAYS", help="usable authorisations ending "
                                                                      "within DAYS days")
    listing.add_argument("--format", choices=("txt", "csv", "json"), default="txt")
    listing.set_defaults(handler=cmd_list)

    show = with_user(what.add_parser("show", parents=[common], help="one referral, its history and visits"))
    show.add_argument("referral_id", type=int, metavar="ID")
    show.add_argument("--format", choices=("txt", "json"), default="txt")
    show.set_defaults(handler=cmd_show)

    update = with_user(what.add_parser("update", parents=[common], help="change a referral (history kept)"))
    update.add_argument("referral_id", type=int, metavar="ID")
    record_fields(update, adding=False)
    update.add_argument("--document", help="a document received, e.g. 'referral letter'")
    update.add_argument("--document-date", help="the date it came (default today; not in the future)")
    update.set_defaults(handler=cmd_update)

    chase = with_user(what.add_parser("chase", parents=[common], help="the referrals work list"))
    chase.add_argument("--feed", action="store_true", help="put every new item on the callback queue")
    chase.set_defaults(handler=cmd_chase)

    rules = with_user(what.add_parser("rules", parents=[common],
                                      help="which types need an authorisation, payer rules, documents"))
    rules.add_argument("--type", dest="type_code", help="appointment type code, e.g. PROC")
    rules.add_argument("--payer", help="payer name (with --needs-auth: default every payer)")
    rules.add_argument("--needs-auth", choices=("yes", "no"))
    rules.add_argument("--documents", help="documents the type needs: photo_id,insurance_card,"
                                           "referral,authorisation,consent ('' for none)")
    rules.add_argument("--cancelled-uses", choices=("yes", "no"), help="with --payer: a cancellation "
                                                                       "uses a visit")
    rules.add_argument("--no-show-uses", choices=("yes", "no"), help="with --payer: a no-show uses a visit")
    rules.set_defaults(handler=cmd_rules)


def _day(ctx, text: str | None, what: str):
    from coordinator_tui.domain.relative_dates import DateNotUnderstood, parse_day
    from coordinator_tui.errors import UserError

    if text is None:
        return None
    try:
        return parse_day(text, today=ctx.today(), day_first=ctx.settings.day_first)
    except DateNotUnderstood as exc:
        raise UserError(f"{what}: {exc}") from None


def _patient_id(ctx, actor, mrn: str, *, follow_merge: bool) -> int:
    from coordinator_tui.errors import UserError
    from coordinator_tui.services.patients.records import resolve_mrn

    found = resolve_mrn(ctx, actor, mrn)
    if found.mrn != found.asked_mrn and not follow_merge:
        raise UserError(f"patient {found.asked_mrn} was merged into {found.mrn}; use {found.mrn}")
    return found.patient_id


def _types(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [t for t in text.replace(" ", ",").split(",") if t]


def cmd_add(args) -> int:
    from coordinator_tui.domain.referrals import parse_kind
    from coordinator_tui.services.referrals import add_referral

    ctx = ready_context(args)
    actor = acting_user(ctx, args.user, "referrals add")
    kind = parse_kind(args.kind)
    received = _day(ctx, args.received, "--received")
    valid_from, valid_to = _day(ctx, args.valid_from, "--from"), _day(ctx, args.valid_to, "--to")
    pid = _patient_id(ctx, actor, args.patient, follow_merge=False)
    rid = add_referral(ctx, actor, pid, kind=kind, number=args.number, party=args.party,
                       specialty=args.specialty, provider=args.provider, type_codes=_types(args.types) or (),
                       procedure_codes=args.codes, visits=args.visits, valid_from=valid_from,
                       valid_to=valid_to, status=args.status or "requested", received_on=received,
                       reason=args.reason, notes=args.notes)
    print(f"added {kind.label.lower()} {rid}")
    return 0


def _as_dict(row) -> dict:
    return {"id": row.id, "mrn": row.mrn, "kind": row.kind, "number": row.number, "status": row.status,
            "authorised": row.authorised, "used": row.used, "scheduled": row.scheduled,
            "remaining": row.remaining,
            "valid_from": row.valid_from.isoformat() if row.valid_from else None,
            "valid_to": row.valid_to.isoformat() if row.valid_to else None,
            "types": ",".join(row.types), "party": row.party, "specialty": row.specialty}


def cmd_list(args) -> int:
    from coordinator_tui.errors import UserError
    from coordinator_tui.services.referrals import referral_rows

    if args.patient is None and args.expiring is None:
        raise UserError("give --patient MRN or --expiring DAYS")
    ctx = ready_context(args)
    actor = acting_user(ctx, args.user, "referrals list")
    pid = _patient_id(ctx, actor, args.patient, follow_merge=True) if args.patient else None
    rows = [_as_dict(r) for r in referral_rows(ctx, actor, patient_id=pid, expiring_days=args.expiring)]
    if args.format == "json":
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    elif args.format == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=LIST_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        if not rows:
            print("no referrals")
        for r in rows:
            left = "open" if r["authorised"] is None else r["remaining"]
            print(f"{r['id']:>6} {r['mrn']:<9} {r['kind'][:8]:<8} {(r['number'] or '-')[:14]:<14} "
                  f"{r['status']:<9} auth {r['authorised'] if r['authorised'] is not None else '-':>3} "
                  f"used {r['used']:>3} sched {r['scheduled']:>3} left {left:>4} "
                  f"to {r['valid_to'] or '-':<10} {r['types'] or 'any'}")
    return 0


def cmd_show(args) -> int:
    from coordinator_tui.services.referrals import referral_detail

    ctx = ready_context(args)
    actor = acting_user(ctx, args.user, "referrals show")
    d = referral_detail(ctx, actor, args.referral_id)
    tz = ctx.settings.tz
    if args.format == "json":
        out = {**_as_dict(d.row), "payer": d.payer, "provider": d.provider, "reason": d.reason,
               "procedure_codes": d.procedure_codes, "notes": d.notes,
               "replied_on": d.replied_on.isoformat() if d.replied_on else None,
               "documents": [{"document": n, "received_on": on.isoformat()} for n, on in d.documents],
               "history": [{"at": h.at.isoformat(), "by": h.by, "field": h.field, "from": h.from_value,
                            "to": h.to_value} for h in d.history],
               "visits": [{"appointment_id": v.appointment_id, "starts_at": v.starts_at.isoformat(),
                           "provider": v.provider, "status": v.status, "moved": v.moved,
                           "override_reason": v.override_reason} for v in d.visits]}
        json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return 0
    r = d.row
    print(f"{r.label} ({r.kind.replace('_', ' ')}) for {r.patient} {r.mrn}")
    print(f"  status {r.status}; {r.summary}; used {r.used}, scheduled {r.scheduled}")
    print(f"  payer {d.payer or '-'}; party {r.party or '-'}; specialty {r.specialty or '-'}; "
          f"provider {d.provider or '-'}; types {','.join(r.types) or 'any'}; codes {d.procedure_codes or '-'}")
    print(f"  received {r.received_on.isoformat()}; valid {r.valid_from or '-'} to {r.valid_to or '-'}"
          + (f"; reply {d.replied_on.isoformat()}" if d.replied_on else ""))
    for name, on in d.documents:
        print(f"  document {on.isoformat()} {name}")
    for v in d.visits:
        flag = " (moved)" if v.moved else (f" override: {v.override_reason}" if v.override_reason else "")
        print(f"  visit {v.appointment_id} {v.starts_at.astimezone(tz):%Y-%m-%d %H:%M} {v.provider} {v.status}{flag}")
    for h in d.history:
        print(f"  {h.at.astimezone(tz):%Y-%m-%d %H:%M} {h.by}: {h.field} {h.from_value or '-'} -> {h.to_value or '-'}")
    return 0


def cmd_update(args) -> int:
    from coordinator_tui.errors import UserError
    from coordinator_tui.services.referrals import add_document, update_referral

    ctx = ready_context(args)
    actor = acting_user(ctx, args.user, "referrals update")
    changes = {name: value for name, value in (
        ("auth_number", args.number), ("referring_party", args.party), ("to_specialty", args.specialty),
        ("procedure_codes", args.codes), ("auth_visits", args.visits), ("reason", args.reason),
        ("notes", args.notes),
        ("auth_valid_from", _day(ctx, args.valid_from, "--from")),
        ("auth_valid_to", _day(ctx, args.valid_to, "--to")),
        ("replied_on", _day(ctx, args.replied, "--replied"))) if value is not None}
    document_date = _day(ctx, args.document_date, "--document-date")
    if args.document_date is not None and args.document is None:
        raise UserError("--document-date goes with --document")
    has_change = changes or args.status is not None or args.types is not None or args.provider is not None
    if not has_change and args.document is None:
        raise UserError("nothing to change: give a field to change or --document")
    if has_change:
        # One transaction: the changes and the document are saved together or not at all.
        update_referral(ctx, actor, args.referral_id, status=args.status, type_codes=_types(args.types),
                        provider=args.provider, document=args.document, document_date=document_date,
                        **changes)
    else:
        add_document(ctx, actor, args.referral_id, args.document, document_date)
    print(f"updated referral {args.referral_id}")
    return 0


def cmd_chase(args) -> int:
    from coordinator_tui.services.referrals import feed_callbacks, work_list

    ctx = ready_context(args)
    actor = acting_user(ctx, args.user, "referrals chase")
    if args.feed:
        print(f"added {feed_callbacks(ctx, actor)} referral chase(s) to the callback queue")
        return 0
    rows = work_list(ctx, actor)
    if not rows:
        print("nothing to chase")
    for r in rows:
        print(f"{r.referral_id:>6} {r.mrn:<9} {r.label[:24]:<24} {r.reason.label:<24} {r.detail}"
              + ("  (on the queue)" if r.fed else ""))
    return 0


def _yes(answer: str | None) -> bool | None:
    """yes / no / not given (None: leave that half of the rule as it is)."""
    return None if answer is None else answer == "yes"


def cmd_rules(args) -> int:
    from coordinator_tui.services import referrals as svc

    ctx = ready_context(args)
    actor = acting_user(ctx, args.user, "referrals rules")
    if any(v is not None for v in (args.needs_auth, args.documents, args.cancelled_uses, args.no_show_uses)):
        svc.change_rules(ctx, actor, type_code=args.type_code, payer=args.payer,
                         needs_auth=_yes(args.needs_auth),
                         documents=None if args.documents is None else _types(args.documents) or [],
                         cancelled_uses=_yes(args.cancelled_uses), no_show_uses=_yes(args.no_show_uses))
    current = svc.rules(ctx, actor)
    for code, payer in current.needs_auth:
        print(f"needs authorisation: {code} ({payer})")
    for payer, cancelled, no_show in current.payer_rules:
        print(f"visit rule: {payer}: cancellation {'uses' if cancelled else 'gives back'} a visit, "
              f"no-show {'uses' if no_show else 'gives back'} one")
    for code, docs in current.documents:
        print(f"documents: {code}: {', '.join(docs)}")
    if not (current.needs_auth or current.payer_rules or current.documents):
        print("no rules: no type needs an authorisation or documents")
    return 0
