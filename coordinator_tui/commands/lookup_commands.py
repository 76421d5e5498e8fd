"""coordinator find "QUERY" [--limit N] [--json]: the lookup engine of the desks, on the command line.
Exit 0 with rows, 1 when no patient matched (as grep), 2 for bad input."""

from __future__ import annotations

import argparse
import json
import sys

from coordinator_tui.commands.common import acting_user, positive_int, ready_context


def register(sub, common: argparse.ArgumentParser) -> None:
    find = sub.add_parser("find", parents=[common],
                          help="find patients by name, birth date, phone, MRN or member id")
    find.add_argument("query", help='what you would type in the search box, e.g. "smith, jo 3/4/85"')
    find.add_argument("--limit", type=positive_int, default=20, help="at most N rows (default 20, max 200)")
    find.add_argument("--json", action="store_true", help="one JSON array of rows on stdout")
    find.add_argument("--user", help="staff username to act as (default: $COORDINATOR_USER, "
                      "else your login name)")
    find.set_defaults(handler=cmd_find)


def cmd_find(args) -> int:
    from coordinator_tui.domain.lookup_query import parse_lookup
    from coordinator_tui.errors import UserError
    from coordinator_tui.services.patients.lookup import MAX_LIMIT, search_patients

    if args.limit > MAX_LIMIT:
        raise UserError(f"--limit must be at most {MAX_LIMIT}")
    ctx = ready_context(args)
    query = parse_lookup(args.query, day_first=ctx.settings.day_first, today=ctx.today())
    # Say what was left out (2/30/1985 is no date), or the results look like a match on it.
    left_out = ", ".join(f'"{text}"' for text in query.ignored)
    if query.is_empty:
        because = f"{left_out} is not a date or phone I can use; " if left_out else ""
        raise UserError(f"{because}nothing to search for: give a name, birth date, phone, MRN or member id")
    if left_out:
        print(f"coordinator: left out {left_out} (not a date or phone I can use)", file=sys.stderr)
    actor = acting_user(ctx, args.user, "find")
    hits = search_patients(ctx, actor, args.query, limit=args.limit)
    if args.json:
        rows = [{
            "mrn": h.mrn, "family_name": h.family_name, "given_name": h.given_name,
            "birth_date": h.birth_date.isoformat(), "age": h.age, "sex": h.sex,
            "phone": h.phone_masked,
            "next_appointment": h.next_appointment.isoformat() if h.next_appointment else None,
            "alerts": h.has_alerts, "possible_duplicate": h.possible_duplicate,
            "score": h.score, "reason": h.reason,
        } for h in hits]
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    if not hits:
        # As grep: nothing found is exit 1 (2 stays for bad input), said on stderr so that
        # stdout holds only rows (or the JSON array, empty) for a script. The query is not
        # repeated: it may be a patient's name, and stderr goes to cron's mail and logs.
        print("coordinator: no patient found", file=sys.stderr)
        return 1
    if args.json:
        return 0
    for number, h in enumerate(hits, start=1):
        flags = ("!" if h.has_alerts else " ") + ("D" if h.possible_duplicate else " ")
        print(f"{number:>3} {h.display_name[:28]:<28} {h.birth_date.isoformat()} {h.age:>3} "
              f"{h.sex} {h.mrn:<8} {h.phone_masked:<8} {flags} {h.score:.2f} {h.reason}")
    return 0
