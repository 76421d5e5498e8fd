"""The full A/R aging as CSV (`coordinator ar aging --format csv`), streamed: the one SQL pass of
aging_sql.py goes straight into the file row by row, with no object per patient and no copy of
the whole text in memory (at a million patients that text is ~75 MB). The ledger is read in a
read transaction (no write lock held while it runs); the export's audit event is a short write
of its own, committed as the file takes its name (interop/private_file.py's `publish`).

Columns: mrn, name, one per bucket, balance, last_payment, last_statement; then a TOTAL row. The
buckets add up to each balance, and the TOTAL row to the ledger's sum up to the as-of date."""

from __future__ import annotations

import csv
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from typing import TextIO

from coordinator_tui.domain.ledger import BUCKET_COUNT, bucket_labels
from coordinator_tui.interop.reminder_files import FORMULA_STARTS
from coordinator_tui.services import audit
from coordinator_tui.services.accounts.aging import bucket_width
from coordinator_tui.services.accounts.aging_sql import aging_statement
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.permissions import Permission, require
from coordinator_tui.store.driver_rows import driver_rows

ROWS_PER_FETCH = 5_000  # PostgreSQL: a server-side cursor, so the client never holds every row
# The name cell is reminder_files.inert() inlined: a call per row is measurable at a million.
if BUCKET_COUNT != 5:  # pragma: no cover - fill() unpacks five buckets by name (the hot loop)
    raise ImportError("aging_export.fill unpacks exactly five buckets")


def money_text(cents: int) -> str:
    """'12.50', '-3.05': plain dollars for a spreadsheet (integer arithmetic, no float)."""
    if cents < 0:
        return "-{}.{:02d}".format(*divmod(-cents, 100))
    return "{}.{:02d}".format(*divmod(cents, 100))


class _MoneyTexts(dict):
    """Amount -> its text, made on first sight: most cells repeat a few amounts (0.00 above all)."""

    def __missing__(self, cents: int) -> str:
        made = self[cents] = money_text(cents)
        return made


@dataclass
class AgingExport:
    """What `fill` wrote: the patients and the totals by bucket (known once `fill` has run)."""

    ctx: AppContext
    actor: Actor
    as_of: date
    min_balance_cents: int
    width: int
    patients: int = 0
    totals: tuple[int, ...] = field(default=(0,) * BUCKET_COUNT)

    def fill(self, out: TextIO) -> None:
        stmt, params = aging_statement(self.as_of, self.width, min_balance_cents=self.min_balance_cents)
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["mrn", "name", *bucket_labels(self.width), "balance", "last_payment", "last_statement"])
        money = _MoneyTexts().__getitem__  # a C-level look-up per cell once an amount was seen
        t0 = t1 = t2 = t3 = t4 = 0
        count = 0
        write = writer.writerow
        with self.ctx.db.read() as session:
            for _pid, mrn, family, given, b0, b1, b2, b3, b4, bal, paid, sent in driver_rows(
                    session, stmt, params, batch=ROWS_PER_FETCH):
                t0 += b0
                t1 += b1
                t2 += b2
                t3 += b3
                t4 += b4
                count += 1
                name = f"{family}, {given}"
                write((mrn, "'" + name if name[:1] in FORMULA_STARTS else name, money(b0), money(b1), money(b2),
                       money(b3), money(b4), money(bal), paid or "", sent or ""))
        self.patients, self.totals = count, (t0, t1, t2, t3, t4)
        writer.writerow(["TOTAL", "", *map(money_text, self.totals), money_text(sum(self.totals)), "", ""])

    def publish(self) -> AbstractContextManager:
        """The export's audit event, kept only if the file (or standard output) got the text."""
        return audit.recorded(self.ctx, self.actor, "ar.aging", entity="ledger",
                              detail={"as_of": self.as_of.isoformat(), "patients": self.patients,
                                      "format": "csv"})


def aging_export(ctx: AppContext, actor: Actor, as_of: date, *, min_balance_cents: int = 0) -> AgingExport:
    """The export to hand to interop/private_file.py's `deliver_stream(target, e.fill, e.publish)`
    (supervisors and admins: it lists every patient who owes)."""
    require(actor, Permission.WORK_ACCOUNTS)
    return AgingExport(ctx, actor, as_of, min_balance_cents, bucket_width(ctx))
