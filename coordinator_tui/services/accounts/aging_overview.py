"""The A/R aging as the screen shows it (tui/screens/accounts/aging.py): the count of patients
owing, the totals by bucket and the first `top` patients by urgency, without an object per
patient (at a million patients aging() built a million of them, ~10 s). Two statements of
aging_sql.py: the totals and count summed in the database, and the first rows by urgency sorted
there (ORDER BY ... LIMIT). On SQLite they run at once on two connections on one snapshot
(store/snapshot_reads.py; each is one long step in SQLite, with the GIL let go); on PostgreSQL,
or when other desks kept committing, one after the other in one read transaction."""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass
from datetime import date

from coordinator_tui.domain.ledger import BUCKET_COUNT, bucket_labels
from coordinator_tui.services import audit
from coordinator_tui.services.accounts.aging import AgedPatient, as_date, bucket_width
from coordinator_tui.services.accounts.aging_sql import aging_statement
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.permissions import Permission, require
from coordinator_tui.store.driver_rows import plain_params
from coordinator_tui.store.snapshot_reads import in_parts, one_snapshot

TOP = 200  # what the screen draws (a DataTable repaint costs ~55 ms per 200 rows, GUIDE 5)


@dataclass(frozen=True)
class AgingOverview:
    as_of: date
    width: int
    labels: tuple[str, ...]
    count: int  # patients owing (or owed) anything
    totals: tuple[int, ...]
    top: tuple[AgedPatient, ...]  # the first by urgency (aging.by_urgency's order)

    @property
    def total_cents(self) -> int:
        return sum(self.totals)


def _patient(row) -> AgedPatient:
    return AgedPatient(row[0], row[1], f"{row[2]}, {row[3]}", tuple(row[4:4 + BUCKET_COUNT]),
                       as_date(row[-2]), as_date(row[-1]))


def aging_overview(ctx: AppContext, actor: Actor, as_of: date, *, top: int = TOP) -> AgingOverview:
    """The count, totals and first `top` patients on `as_of` (supervisors and admins); looking
    is audited, as aging() is."""
    require(actor, Permission.WORK_ACCOUNTS)
    width = bucket_width(ctx)
    sums_stmt, sums_params = aging_statement(as_of, width, totals=True)
    with one_snapshot(ctx.db.engine, 2) as readers:
        if readers is not None:
            first_stmt, first_params = aging_statement(as_of, width, top=top)
            jobs = [(sums_stmt.text, plain_params(sums_params), list),
                    (first_stmt.text, plain_params(first_params), list)]
            got: dict[int, list] = {0: [], 1: []}
            with closing(in_parts(readers, jobs, max(top, 1))) as parts:
                for part, rows in parts:
                    got[part] += rows
            sums, first = got[0][0], got[1]
    if readers is None:
        collate = ' COLLATE "C"' if ctx.db.engine.dialect.name == "postgresql" else ""
        first_stmt, first_params = aging_statement(as_of, width, top=top, collate=collate)
        with ctx.db.read() as session:
            sums = session.execute(sums_stmt, sums_params).one()
            first = session.execute(first_stmt, first_params).all()
    totals, count = tuple(int(c) for c in sums[:BUCKET_COUNT]), int(sums[BUCKET_COUNT])
    with audit.recorded(ctx, actor, "ar.aging", entity="ledger",
                        detail={"as_of": as_of.isoformat(), "patients": count}):
        pass
    return AgingOverview(as_of, width, bucket_labels(width), count, totals, tuple(map(_patient, first)))
