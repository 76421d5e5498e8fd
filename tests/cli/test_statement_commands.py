"""`coordinator statements` (issue 17): one PDF page per patient owing, read back with
pdftotext; owner-only; the statement date is recorded on the ledger; the next statement lists
only what happened since; a plain-text version for a plain printer."""

from __future__ import annotations

import stat
from datetime import timedelta

from coordinator_tui.services.accounts import aging, ledger
from coordinator_tui.services.staff.actors import actor_for
from tests.conftest import CLINIC_DAY
from tests.helpers.cli import one_line_error, run
from tests.helpers.engines import raw_connect
from tests.helpers.reminders import pdf_text


def _with_address(path, patient_ids):
    db = raw_connect(path)
    db.executemany("UPDATE patients SET address_line1 = '12 Elm St', city = 'Springfield', region = 'MA', "
                   "postal_code = '01101', country = 'US' WHERE id = ?", [(p,) for p in patient_ids])
    mrns = [db.execute("SELECT mrn FROM patients WHERE id = ?", (p,)).fetchone()[0] for p in patient_ids]
    db.commit()
    db.close()
    return mrns


def test_statements_pdf_one_page_each_recorded_on_the_ledger(ctx, seeded_path, tmp_path):
    sup = actor_for(ctx, "super")
    a, b = _with_address(seeded_path, [121, 122])
    for pid in (121, 122):
        ledger.post_entry(ctx, sup, pid, "charge", "75.00", service_date=CLINIC_DAY - timedelta(days=40))
    ledger.post_entry(ctx, sup, 121, "payment", "20.00", service_date=CLINIC_DAY - timedelta(days=10))
    min_balance = "50.00"
    out = tmp_path / "statements.pdf"
    result = run("--db", str(seeded_path), "statements", "--as-of", CLINIC_DAY.isoformat(), "--min-balance",
                 min_balance, "-o", str(out), "--user", "super")
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    owing = [p for p in aging.aging(ctx, sup, CLINIC_DAY, min_balance_cents=5000).patients]
    text = pdf_text(out)
    pages = text.split("\f")
    assert len([p for p in pages if "Statement of account" in p]) + result.stdout.count("skipped") == len(owing)
    mine = next(p for p in pages if f"MRN {a}" in p)
    assert "Springfield, MA 01101" in mine and "Payment - thank you" in mine and "31-60" in mine
    assert "How to pay" in mine
    assert any(f"MRN {b}" in p for p in pages)  # 122 owes $75.00: over the minimum
    db = raw_connect(seeded_path)
    recorded = db.execute("SELECT count(*) FROM ledger_entries WHERE kind = 'statement' AND patient_id = 121 "
                          "AND service_date = ?", (CLINIC_DAY.isoformat(),)).fetchone()[0]
    db.close()
    assert recorded == 1
    assert next(p for p in aging.aging(ctx, sup, CLINIC_DAY).patients if p.patient_id == 121).last_statement \
        == CLINIC_DAY


def test_one_patient_as_text_lists_only_what_is_new(ctx, seeded_path, tmp_path, clock):
    sup = actor_for(ctx, "super")
    (mrn,) = _with_address(seeded_path, [123])
    ledger.post_entry(ctx, sup, 123, "charge", "30.00", service_date=CLINIC_DAY - timedelta(days=5))
    first = tmp_path / "one.txt"
    assert run("--db", str(seeded_path), "statements", "--patient", mrn, "--text", "-o", str(first),
               "--as-of", (CLINIC_DAY - timedelta(days=1)).isoformat(), "--user", "super").returncode == 0
    assert "Visit / charge" in first.read_text() and f"MRN {mrn}" in first.read_text()
    ledger.post_entry(ctx, sup, 123, "charge", "12.00", service_date=CLINIC_DAY)
    second = tmp_path / "two.txt"
    assert run("--db", str(seeded_path), "statements", "--patient", mrn, "--text", "-o", str(second),
               "--user", "super").returncode == 0
    body = second.read_text()
    assert "$12.00" in body and "Balance carried forward" in body


def test_statement_refusals(seeded_path, tmp_path):
    db = str(seeded_path)
    assert "may not" in one_line_error(run("--db", db, "statements", "-o", str(tmp_path / "s.pdf"), "--user", "demo"))
    assert "after today" in one_line_error(run("--db", db, "statements", "-o", str(tmp_path / "s.pdf"), "--as-of",
                                               (CLINIC_DAY + timedelta(days=3)).isoformat(), "--user", "super"))
    assert "two digits" in one_line_error(run("--db", db, "statements", "-o", str(tmp_path / "s.pdf"),
                                              "--min-balance", "1.234", "--user", "super"))
    assert not (tmp_path / "s.pdf").exists()
