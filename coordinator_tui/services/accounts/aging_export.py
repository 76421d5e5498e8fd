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
from coordinator_tui.domain.money import format_cents
from coordinator_tui.interop.reminder_files import FORMULA_STARTS
from coordinator_tui.services import audit
from coordinator_tui.services.accounts.aging import bucket_width, text_head, text_tail
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


def _cell(text: str) -> str:
    """A cell as csv.writer's QUOTE_MINIMAL writes it."""
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


class _Padded(dict):
    """Amount -> format_cents right-aligned in `width`, made on first sight."""

    def __init__(self, width: int):
        super().__init__()
        self.width = width

    def __missing__(self, cents: int) -> str:
        made = self[cents] = f"{format_cents(cents):>{self.width}}"
        return made


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
    format: str = "csv"  # or "txt": aging.py's aging_text, line for line, streamed
    patients: int = 0
    totals: tuple[int, ...] = field(default=(0,) * BUCKET_COUNT)

    def fill(self, out: TextIO) -> None:
        if self.format == "txt":
            self._fill_text(out)
            return
        stmt, params = aging_statement(self.as_of, self.width, min_balance_cents=self.min_balance_cents)
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["mrn", "name", *bucket_labels(self.width), "balance", "last_payment", "last_statement"])
        money = _MoneyTexts().__getitem__  # a C-level look-up per cell once an amount was seen
        t0 = t1 = t2 = t3 = t4 = 0
        count = 0
        lines: list[str] = []
        add = lines.append
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
                if name[:1] in FORMULA_STARTS:
                    name = "'" + name
                # The line by hand, as csv.writer would write it (it was 60% of the loop's time):
                # the name always holds a comma, so always quoted; the rest need no quoting.
                name = name.replace('"', '""')
                add(f'{mrn if mrn.isalnum() else _cell(mrn)},"{name}",{money(b0)},{money(b1)},{money(b2)},'
                    f'{money(b3)},{money(b4)},{money(bal)},{paid or ""},{sent or ""}\n')
                if len(lines) >= ROWS_PER_FETCH:
                    out.write("".join(lines))
                    lines.clear()
        out.write("".join(lines))
        self.patients, self.totals = count, (t0, t1, t2, t3, t4)
        writer.writerow(["TOTAL", "", *map(money_text, self.totals), money_text(sum(self.totals)), "", ""])

    def publish(self) -> AbstractContextManager:
        """The export's audit event, kept only if the file (or standard output) got the text."""
        return audit.recorded(self.ctx, self.actor, "ar.aging", entity="ledger",
                              detail={"as_of": self.as_of.isoformat(), "patients": self.patients,
                                      "format": self.format})

    def _fill_text(self, out: TextIO) -> None:
        """aging_text(report) for the whole report, without an object per patient or the whole
        text in memory; each amount's padded text made once (format_cents per cell was most of
        the time)."""
        stmt, params = aging_statement(self.as_of, self.width, min_balance_cents=self.min_balance_cents)
        head = text_head(self.as_of, self.width, bucket_labels(self.width))
        out.write("\n".join(head) + "\n")
        cell, balance = _Padded(11).__getitem__, _Padded(12).__getitem__
        t0 = t1 = t2 = t3 = t4 = 0
        count = 0
        lines: list[str] = []
        add = lines.append
        with self.ctx.db.read() as session:
            for _pid, mrn, family, given, b0, b1, b2, b3, b4, bal, paid, sent in driver_rows(
                    session, stmt, params, batch=ROWS_PER_FETCH):
                t0 += b0
                t1 += b1
                t2 += b2
                t3 += b3
                t4 += b4
                count += 1
                add(f"{mrn[:10]:<10} {f'{family}, {given}'[:22]:<22}{cell(b0)}{cell(b1)}{cell(b2)}{cell(b3)}"
                    f"{cell(b4)}{balance(bal)} {str(paid or '-'):<10} {str(sent or '-'):<10}\n")
                if len(lines) >= ROWS_PER_FETCH:
                    out.write("".join(lines))
                    lines.clear()
        out.write("".join(lines))
        self.patients, self.totals = count, (t0, t1, t2, t3, t4)
        out.write("\n".join(text_tail(head[1], count, self.totals)) + "\n")


def aging_export(ctx: AppContext, actor: Actor, as_of: date, *, min_balance_cents: int = 0,
                 format: str = "csv") -> AgingExport:
    """The export to hand to interop/private_file.py's `deliver_stream(target, e.fill, e.publish)`
    (supervisors and admins: it lists every patient who owes); `format` csv or txt."""
    require(actor, Permission.WORK_ACCOUNTS)
    return AgingExport(ctx, actor, as_of, min_balance_cents, bucket_width(ctx), format)
