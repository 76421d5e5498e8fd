"""The full A/R aging as CSV or text (`coordinator ar aging --format csv|txt`), streamed: the SQL
of aging_sql.py (on SQLite in parts, one per core, on one snapshot: aging_parts.py) goes into the
file a batch at a time, with no object per patient and no copy of the whole text in memory (at a
million patients that text is ~75 MB). The ledger is read in read transactions (no write lock
held while it runs); the export's audit event is a short write of its own, committed as the file
takes its name (interop/private_file.py's `publish`). Rows come in no promised order.

Columns: mrn, name, one per bucket, balance, last_payment, last_statement; then a TOTAL row. The
buckets add up to each balance, and the TOTAL row to the ledger's sum up to the as-of date."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from typing import TextIO

from coordinator_tui.domain.ledger import BUCKET_COUNT, bucket_labels
from coordinator_tui.domain.money import format_cents
from coordinator_tui.interop.reminder_files import FORMULA_STARTS
from coordinator_tui.services import audit
from coordinator_tui.services.accounts.aging import bucket_width, text_head, text_tail
from coordinator_tui.services.accounts.aging_parts import PARTS, aged_batches
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.permissions import Permission, require

WRITE_CHARS = 1 << 20  # text gathered before a write
# The name cell is reminder_files.inert() inlined: a call per row is measurable at a million.
if BUCKET_COUNT != 5:  # pragma: no cover - the line makers unpack five buckets by name (the hot loop)
    raise ImportError("aging_export's line makers unpack exactly five buckets")


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


class _Days(dict):
    """A last-payment or statement date (ISO text, a date, or None) -> its padded text column."""

    def __missing__(self, day) -> str:
        made = self[day] = f" {str(day or '-'):<10}"
        return made


class _MoneyTexts(dict):
    """Amount -> its text, made on first sight: most cells repeat a few amounts (0.00 above all)."""

    def __missing__(self, cents: int) -> str:
        made = self[cents] = money_text(cents)
        return made


class _CsvLines:
    """A batch of rows -> their CSV lines, as csv.writer's QUOTE_MINIMAL writes them (by hand:
    csv.writer was 60% of the loop's time); counts the patients and sums the buckets. One per
    part of the read (aging_parts.py), used in that part's thread only."""

    def __init__(self) -> None:
        self.money = _MoneyTexts().__getitem__  # a C-level look-up per cell once an amount was seen
        self.count, self.totals = 0, [0] * BUCKET_COUNT

    def summary(self) -> tuple[int, list[int]]:
        """What a part's process sends back when it ends (store/snapshot_procs.py)."""
        return self.count, self.totals

    def merge(self, summary: tuple[int, list[int]]) -> None:
        self.count, self.totals = summary

    def __call__(self, rows: list) -> str:
        money = self.money
        t0 = t1 = t2 = t3 = t4 = 0
        lines: list[str] = []
        add = lines.append
        for _pid, mrn, family, given, b0, b1, b2, b3, b4, bal, paid, sent in rows:
            t0 += b0
            t1 += b1
            t2 += b2
            t3 += b3
            t4 += b4
            name = f"{family}, {given}"
            if name[:1] in FORMULA_STARTS:
                name = "'" + name
            # The name always holds a comma, so always quoted; the rest need no quoting.
            name = name.replace('"', '""')
            add(f'{mrn if mrn.isalnum() else _cell(mrn)},"{name}",{money(b0)},{money(b1)},{money(b2)},'
                f'{money(b3)},{money(b4)},{money(bal)},{paid or ""},{sent or ""}\n')
        _count(self, len(rows), (t0, t1, t2, t3, t4))
        return "".join(lines)


class _TextLines(_CsvLines):
    """A batch of rows -> aging_text's patient lines; each amount's padded text made once
    (format_cents per cell was most of the time)."""

    def __init__(self) -> None:
        super().__init__()
        self.cell, self.balance = _Padded(11).__getitem__, _Padded(12).__getitem__
        self.day = _Days().__getitem__  # a few hundred dates repeat over a million rows

    def __call__(self, rows: list) -> str:
        cell, balance, day = self.cell, self.balance, self.day
        t0 = t1 = t2 = t3 = t4 = 0
        lines: list[str] = []
        add = lines.append
        for _pid, mrn, family, given, b0, b1, b2, b3, b4, bal, paid, sent in rows:
            t0 += b0
            t1 += b1
            t2 += b2
            t3 += b3
            t4 += b4
            add(f"{mrn[:10]:<10} {f'{family}, {given}'[:22]:<22}{cell(b0)}{cell(b1)}{cell(b2)}{cell(b3)}"
                f"{cell(b4)}{balance(bal)}{day(paid)}{day(sent)}\n")
        _count(self, len(rows), (t0, t1, t2, t3, t4))
        return "".join(lines)


def _count(lines: _CsvLines, rows: int, sums: tuple[int, ...]) -> None:
    lines.count += rows
    lines.totals = [a + b for a, b in zip(lines.totals, sums, strict=True)]


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
    parts: int = PARTS  # connections reading at once on SQLite (aging_parts.py); 1: one read
    forked: bool = True  # the parts in processes (Linux), else threads (aging_parts.py)

    def fill(self, out: TextIO) -> None:
        labels = bucket_labels(self.width)
        if self.format == "txt":
            head = text_head(self.as_of, self.width, labels)
            out.write("\n".join(head) + "\n")
        else:
            out.write(",".join(map(_cell, ["mrn", "name", *labels, "balance", "last_payment", "last_statement"]))
                      + "\n")
        made: list[_CsvLines] = []

        def make() -> _CsvLines:
            made.append(_TextLines() if self.format == "txt" else _CsvLines())
            return made[-1]

        pending: list[str] = []
        size = 0
        for text in aged_batches(self.ctx, self.as_of, self.width, self.min_balance_cents, make, self.parts,
                                 self.forked):
            pending.append(text)
            size += len(text)
            if size >= WRITE_CHARS:  # a few large writes, not one per batch
                out.write("".join(pending))
                pending, size = [], 0
        out.write("".join(pending))
        self.patients = sum(m.count for m in made)
        self.totals = tuple(sum(m.totals[k] for m in made) for k in range(BUCKET_COUNT))
        if self.format == "txt":
            out.write("\n".join(text_tail(head[1], self.patients, self.totals)) + "\n")
        else:
            out.write(",".join(["TOTAL", "", *map(money_text, self.totals), money_text(sum(self.totals)), "", ""])
                      + "\n")

    def publish(self) -> AbstractContextManager:
        """The export's audit event, kept only if the file (or standard output) got the text."""
        return audit.recorded(self.ctx, self.actor, "ar.aging", entity="ledger",
                              detail={"as_of": self.as_of.isoformat(), "patients": self.patients,
                                      "format": self.format})


def aging_export(ctx: AppContext, actor: Actor, as_of: date, *, min_balance_cents: int = 0,
                 format: str = "csv") -> AgingExport:
    """The export to hand to interop/private_file.py's `deliver_stream(target, e.fill, e.publish)`
    (supervisors and admins: it lists every patient who owes); `format` csv or txt."""
    require(actor, Permission.WORK_ACCOUNTS)
    return AgingExport(ctx, actor, as_of, min_balance_cents, bucket_width(ctx), format)
