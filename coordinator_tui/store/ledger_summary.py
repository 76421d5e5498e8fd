"""The per-patient ledger summary (ledger_summary, migration 0017_ledger_summary) rebuilt from
the ledger in one statement: for a bulk load that inserted ledger rows with the triggers
dropped (store/bulk.py's `indexes_built_after`), which must do in bulk what they would have."""

from __future__ import annotations

from sqlalchemy.engine import Connection

REFILL = ("INSERT INTO ledger_summary (patient_id, balance_cents, last_date, last_debit, last_payment, "
          "last_statement) SELECT patient_id, sum(amount_cents), max(service_date), "
          "max(CASE WHEN amount_cents > 0 THEN service_date END), "
          "max(CASE WHEN kind = 'payment' THEN service_date END), "
          "max(CASE WHEN kind = 'statement' THEN service_date END) "
          "FROM ledger_entries WHERE responsibility = 'patient' GROUP BY patient_id")


def refill_ledger_summary(conn: Connection) -> None:
    conn.exec_driver_sql("DELETE FROM ledger_summary")
    conn.exec_driver_sql(REFILL)
