"""Migration 0012 (issue 17): the copay payments taken before the ledger become ledger rows,
receipt numbers kept (each row names its payment), voids reversed with their reason, the
ledger's payment rows add up to the cash-up's total, and a visit paid in full nets to zero."""

from __future__ import annotations

import sqlite3

from coordinator_tui.store.engine import url_for_path
from coordinator_tui.store.migrate import downgrade, upgrade


def _all(path, sql, *args):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def test_payments_become_ledger_rows(seeded_path):
    url = url_for_path(seeded_path)
    downgrade(url, "0011_reminders")
    assert not _all(seeded_path, "SELECT name FROM sqlite_master WHERE name = 'ledger_entries'")
    conn = sqlite3.connect(seeded_path)
    voided = conn.execute("SELECT id, amount_cents FROM payments ORDER BY id LIMIT 1").fetchone()
    conn.execute("UPDATE payments SET voided_at = taken_at, voided_by_id = taken_by_id, void_reason = 'typo' "
                 "WHERE id = ?", (voided[0],))
    conn.commit()
    conn.close()
    payments = _all(seeded_path, "SELECT id, receipt_number, amount_cents, voided_at IS NOT NULL FROM payments")
    assert payments
    upgrade(url, "head")
    rows = _all(seeded_path, "SELECT l.payment_id, p.receipt_number, l.kind, l.amount_cents, l.reason FROM "
                             "ledger_entries l JOIN payments p ON p.id = l.payment_id ORDER BY l.id")
    paid = {r[0]: r for r in rows if r[2] == "payment"}
    assert {p[0] for p in payments} == set(paid)
    assert all(paid[pid][1] == receipt and paid[pid][3] == -cents for pid, receipt, cents, _v in payments)
    reversals = [r for r in rows if r[2] == "reversal"]
    assert [(r[0], r[3], r[4]) for r in reversals] == [(voided[0], voided[1], "typo")]
    kept = sum(cents for _id, _r, cents, is_void in payments if not is_void)
    assert -sum(r[3] for r in rows) == kept  # the cash-up's figure, from the ledger
    # Each paid visit is charged its copay once; paid in full, it nets to zero.
    per_visit = _all(seeded_path, "SELECT appointment_id, sum(amount_cents), sum(kind = 'charge') FROM ledger_entries "
                                  "WHERE appointment_id IS NOT NULL GROUP BY appointment_id")
    assert all(charges == 1 for _a, _s, charges in per_visit)
    assert sum(1 for _a, total, _c in per_visit if total == 0) >= len(per_visit) - 1
    # Downgraded and upgraded again, the backfill makes the same rows.
    before = _all(seeded_path, "SELECT count(*) FROM ledger_entries")
    downgrade(url, "0011_reminders")
    upgrade(url, "head")
    assert _all(seeded_path, "SELECT count(*) FROM ledger_entries") == before
