"""Copay payments recorded before the ledger existed become ledger rows (migration 0012 and the
demo seed, which inserts payments in bulk).

For each visit with payments: one `charge` of the copay due (the active primary coverage's copay,
as the collections report has always counted it; without one, what was paid and not voided), one
`payment` row per payment (its receipt stays on the payments row the ledger row names), and for a
voided payment a `reversal` of its payment row with the void's reason. A visit paid in full nets
to zero; a copay left unpaid stays owed, a payment beyond it stays as a credit.

Service dates are the visit's clinic day (`tz`); a payment without a visit uses its own day.
Idempotent: payments that already have a ledger row are skipped."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, text

from coordinator_tui.store.bulk import sql_date, sql_instant

_COLUMNS = ("patient_id", "kind", "responsibility", "amount_cents", "service_date", "posted_at",
            "posted_by_id", "source", "appointment_id", "payment_id", "reverses_id", "reason")


def _insert(conn: Connection, rows: list[tuple]) -> None:
    """Portable executemany (named parameters: SQLite and PostgreSQL alike)."""
    if rows:
        conn.execute(text(f"INSERT INTO ledger_entries ({', '.join(_COLUMNS)}) VALUES "
                          f"({', '.join(':' + c for c in _COLUMNS)})"),
                     [dict(zip(_COLUMNS, row, strict=True)) for row in rows])


def _instant(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def backfill_payments(conn: Connection, tz: ZoneInfo) -> int:
    """Ledger rows for payments that have none; returns how many payments were posted."""
    rows = conn.exec_driver_sql(
        "SELECT p.id, p.patient_id, p.appointment_id, p.amount_cents, p.taken_at, p.taken_by_id, "
        "p.voided_at, p.voided_by_id, p.void_reason, a.starts_at, c.copay_cents FROM payments p "
        "LEFT JOIN appointments a ON a.id = p.appointment_id LEFT JOIN coverages c ON "
        "c.patient_id = p.patient_id AND c.rank = 'primary' AND c.active AND c.copay_cents > 0 "
        "WHERE NOT EXISTS (SELECT 1 FROM ledger_entries l WHERE l.payment_id = p.id) "
        "ORDER BY p.id").fetchall()
    if not rows:
        return 0
    charges: dict[int, list] = defaultdict(lambda: [None, 0, None, None, None])
    copays: dict[int, int] = {}
    plain = []
    voided = []
    for (pid, patient, appointment, cents, taken, taker, void_at, voider, reason, starts, copay) in rows:
        day = sql_date(_instant(starts or taken).astimezone(tz).date())
        if appointment is not None and copay:
            copays[appointment] = copay
            charge = charges[appointment]
            charge[0], charge[2], charge[3], charge[4] = patient, day, sql_instant(_instant(taken)), taker
        plain.append((patient, "payment", "patient", -cents, day, sql_instant(_instant(taken)), taker,
                      "migration", appointment, pid, None, None))
        if void_at is not None:
            voided.append((pid, patient, appointment, cents, day, sql_instant(_instant(void_at)), voider, reason))
        elif appointment is not None and not copay:
            charge = charges[appointment]
            charge[0], charge[2], charge[3], charge[4] = patient, day, sql_instant(_instant(taken)), taker
            charge[1] += cents
        elif appointment is None:  # money taken without a visit: what it paid was due that day
            plain.append((patient, "charge", "patient", cents, day, sql_instant(_instant(taken)), taker,
                          "migration", None, None, None, None))
    _insert(conn, [
        (patient, "charge", "patient", total, day, at, taker, "migration", appointment, None, None, None)
        for appointment, (patient, total, day, at, taker) in sorted(charges.items())
        for total in [copays.get(appointment, total)] if total > 0])
    _insert(conn, plain)
    if voided:
        ids = dict(conn.exec_driver_sql(
            "SELECT payment_id, id FROM ledger_entries WHERE kind = 'payment' AND source = 'migration' "
            "AND reverses_id IS NULL AND payment_id IS NOT NULL").fetchall())
        _insert(conn, [
            (patient, "reversal", "patient", cents, day, at, voider, "migration", appointment, pid,
             ids[pid], reason) for pid, patient, appointment, cents, day, at, voider, reason in voided])
    return len(rows)
