"""Balances from the billing system: `coordinator ledger import FILE.csv` posts one patient-
responsibility charge per row (MRN, date of service, amount, reference). Whole or not at all:
any bad row (named by line), a total that does not match the file's TOTAL trailer or
`--expect-total`, or a service date after today refuses the whole file and posts nothing.
Idempotent on the reference: a row whose reference was posted before is counted as already
there (when its patient, date and amount match; otherwise it is a bad row). One transaction
and one audit event for the file. A row for a merged record goes to its survivor."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from coordinator_tui.domain.ledger import EntryKind, EntrySource
from coordinator_tui.domain.money import format_cents
from coordinator_tui.errors import UserError
from coordinator_tui.interop.ledger_csv import parse_mapping, read_billing_file
from coordinator_tui.services import audit
from coordinator_tui.services.accounts.ledger import parse_cents, post_row, survivor
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.permissions import Permission, require
from coordinator_tui.store.models import LedgerEntry, Patient

SHOWN_PROBLEMS = 20


@dataclass
class ImportResult:
    rows: int = 0
    posted: int = 0
    already: int = 0
    total_cents: int = 0
    posted_cents: int = 0
    dry_run: bool = False
    problems: list[tuple[int, str]] = field(default_factory=list)


class ImportRefused(UserError):
    def __init__(self, name: str, problems: list[tuple[int, str]], headline: str | None = None):
        self.problems = problems
        lines = [f"line {line}: {why}" for line, why in problems[:SHOWN_PROBLEMS]]
        if len(problems) > SHOWN_PROBLEMS:
            lines.append(f"... and {len(problems) - SHOWN_PROBLEMS} more")
        head = headline or f"{name}: {len(problems)} bad row(s); nothing was posted"
        super().__init__(": ".join([head, "; ".join(lines)]) if lines else head)  # one line


def import_balances(ctx: AppContext, actor: Actor, path: Path | str, *, mapping: list[str] | None = None,
                    expect_total: str | None = None, dry_run: bool = False) -> ImportResult:
    require(actor, Permission.WORK_ACCOUNTS)
    path = Path(path)
    parsed = read_billing_file(path, parse_mapping(mapping))
    problems = list(parsed.bad)
    result = ImportResult(rows=len(parsed.rows) + len(parsed.bad), dry_run=dry_run)
    result.total_cents = sum(r.cents for r in parsed.rows)
    expected = parse_cents(expect_total) if expect_total else None
    for label, want in (("the TOTAL trailer", parsed.trailer_cents), ("--expect-total", expected)):
        if want is not None and want >= 0 and want != result.total_cents and not problems:
            raise ImportRefused(path.name, [], f"{path.name}: the rows add up to {format_cents(result.total_cents)}"
                                               f" but {label} says {format_cents(want)}; nothing was posted")
    today = ctx.today()
    at = ctx.now()
    with ctx.db.write() as session:
        mrns = {r.mrn for r in parsed.rows}
        ids = dict(session.execute(select(Patient.mrn, Patient.id).where(Patient.mrn.in_(mrns))).all()) if mrns else {}
        refs = [r.reference for r in parsed.rows]
        before = {e.reference: e for e in session.scalars(select(LedgerEntry).where(
            LedgerEntry.source == EntrySource.IMPORT.value, LedgerEntry.reference.in_(refs)))} if refs else {}
        todo = []
        for row in parsed.rows:
            if row.mrn not in ids:
                problems.append((row.line, f"no patient with MRN {row.mrn[:20]!r}"))
            elif row.service_date > today:
                problems.append((row.line, f"date of service {row.service_date} is after today"))
            else:
                patient_id = survivor(session, ids[row.mrn]).id
                old = before.get(row.reference)
                if old is None:
                    todo.append((row, patient_id))
                elif (old.patient_id, old.service_date, old.amount_cents) == (patient_id, row.service_date, row.cents):
                    result.already += 1
                else:
                    problems.append((row.line, f"reference {row.reference[:30]!r} was posted before with "
                                               f"another patient, date or amount"))
        if problems:
            raise ImportRefused(path.name, sorted(problems))
        if dry_run:
            result.posted = len(todo)
            result.posted_cents = sum(r.cents for r, _ in todo)
            return result
        for row, patient_id in todo:
            post_row(session, actor, patient_id, EntryKind.CHARGE, row.cents, at=at, service_date=row.service_date,
                     source=EntrySource.IMPORT, reference=row.reference)
        result.posted = len(todo)
        result.posted_cents = sum(r.cents for r, _ in todo)
        audit.record(session, actor, "ledger.import", at, entity="ledger",
                     detail={"file": path.name, "posted": result.posted, "already": result.already,
                             "cents": result.posted_cents})
    return result
