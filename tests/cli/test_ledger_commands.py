"""`coordinator ledger import` and `coordinator ar aging`, as a supervisor runs them (issue 17):
balances from the billing system posted whole or not at all, idempotent on the reference; the
aging's totals equal the ledger's sum."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from tests.conftest import CLINIC_DAY
from tests.helpers.cli import one_line_error, run
from tests.helpers.engines import raw_connect


def _mrns(db, count):
    conn = raw_connect(db)  # the clinic on either engine
    try:
        return [r[0] for r in conn.execute("SELECT mrn FROM patients WHERE merged_into_id IS NULL "
                                           "ORDER BY id LIMIT ?", (count,)).fetchall()]
    finally:
        conn.close()


def _sum(db, where="1 = 1"):
    conn = raw_connect(db)
    try:
        value = conn.execute(f"SELECT coalesce(sum(amount_cents), 0), count(*) FROM ledger_entries "
                             f"WHERE responsibility = 'patient' AND {where}").fetchone()
    finally:
        conn.close()
    return (int(value[0]), int(value[1]))


def _write(path, rows, encoding="utf-8"):
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def test_import_posts_whole_files_once_and_aging_adds_up(seeded_path, tmp_path):
    db = str(seeded_path)
    a, b, c = _mrns(seeded_path, 3)
    old = (CLINIC_DAY - timedelta(days=75)).isoformat()
    recent = (CLINIC_DAY - timedelta(days=5)).strftime("%m/%d/%Y")
    good = _write(tmp_path / "bal.csv", [
        ["Chart Number", "DOS", "Patient Responsibility", "Claim ID"],
        [a, old, "120.00", "CLM-1"], [b, recent, "35.50", "CLM-2"], [c, old, "10.05", "CLM-3"],
        ["TOTAL", "", "165.55", ""]])
    before = _sum(seeded_path)
    first = run("--db", db, "ledger", "import", str(good), "--user", "super")
    assert first.returncode == 0, first.stderr
    assert "posted 3 balance(s), $165.55" in first.stdout
    assert _sum(seeded_path)[0] == before[0] + 16555
    again = run("--db", db, "ledger", "import", str(good), "--user", "super")
    assert again.returncode == 0 and "posted 0 balance(s)" in again.stdout and "3 already" in again.stdout
    assert _sum(seeded_path)[0] == before[0] + 16555

    aging = run("--db", db, "ar", "aging", "--as-of", CLINIC_DAY.isoformat(), "--format", "csv", "--user", "super")
    assert aging.returncode == 0, aging.stderr
    rows = list(csv.reader(io.StringIO(aging.stdout)))
    assert rows[0][2:7] == ["0-30", "31-60", "61-90", "91-120", "120+"]
    mine = {r[0]: r for r in rows[1:]}
    assert mine[a][4] == "120.00" and mine[b][2] == "35.50"  # by date of service: 75 days, 5 days
    total = rows[-1]
    assert total[0] == "TOTAL"
    cents = round(float(total[7]) * 100)
    assert cents == _sum(seeded_path, f"service_date <= '{CLINIC_DAY.isoformat()}'")[0]
    assert sum(round(float(x) * 100) for x in total[2:7]) == cents
    text_out = run("--db", db, "ar", "aging", "--format", "txt", "--user", "super")
    assert text_out.returncode == 0 and "A/R aging as of" in text_out.stdout


def test_bad_files_post_nothing(seeded_path, tmp_path):
    db = str(seeded_path)
    a, b = _mrns(seeded_path, 2)
    day = (CLINIC_DAY - timedelta(days=3)).isoformat()
    header = ["mrn", "service_date", "amount", "reference"]
    before = _sum(seeded_path)
    cases = {
        "three decimals": ([header, [a, day, "12.345", "R1"], [b, day, "5.00", "R2"]], "line 2"),
        "negative": ([header, [a, day, "-5.00", "R1"]], "negative"),
        "unknown mrn": ([header, [a, day, "5.00", "R1"], ["NOPE999", day, "5.00", "R2"]], "line 3: no patient"),
        "trailer": ([header, [a, day, "5.00", "R1"], ["TOTAL", "", "6.00", ""]], "TOTAL trailer says $6.00"),
        "repeated reference": ([header, [a, day, "5.00", "R1"], [b, day, "6.00", "R1"]], "already on line 2"),
        "future date": ([header, [a, (CLINIC_DAY + timedelta(days=2)).isoformat(), "5.00", "R1"]], "after today"),
        "no amount column": ([["mrn", "service_date", "reference"], [a, day, "R1"]], "no column for amount"),
    }
    for name, (rows, message) in cases.items():
        result = run("--db", db, "ledger", "import", str(_write(tmp_path / "x.csv", rows)), "--user", "super")
        assert message in one_line_error(result), (name, result.stderr)
        assert _sum(seeded_path) == before, name
    latin = _write(tmp_path / "latin.csv", [header, [a, day, "5.00", "Müller"]], encoding="latin-1")
    assert "not UTF-8" in one_line_error(run("--db", db, "ledger", "import", str(latin), "--user", "super"))
    ok = _write(tmp_path / "ok.csv", [header, [a, day, "5.00", "R9"]])
    assert "add up to $5.00" in one_line_error(run("--db", db, "ledger", "import", str(ok), "--expect-total",
                                                   "5.01", "--user", "super"))
    assert "may not" in one_line_error(run("--db", db, "ledger", "import", str(ok), "--user", "demo"))
    assert _sum(seeded_path) == before


def test_post_show_and_refusals(seeded_path):
    db = str(seeded_path)
    (a,) = _mrns(seeded_path, 1)
    assert run("--db", db, "ledger", "post", a, "charge", "40.00", "--user", "demo").returncode == 0
    assert "may not" in one_line_error(run("--db", db, "ledger", "post", a, "write_off", "40.00",
                                           "--reason", "bad debt", "--user", "demo"))
    assert "confirm" in one_line_error(run("--db", db, "ledger", "post", a, "payment", "9999.00", "--user", "demo"))
    shown = run("--db", db, "ledger", "show", a, "--user", "demo")
    assert shown.returncode == 0 and "charge" in shown.stdout and "Balance" in shown.stdout


def test_transfer_and_reverse(seeded_path):
    db = str(seeded_path)
    (a,) = _mrns(seeded_path, 1)
    before = _sum(seeded_path)[0]
    moved = run("--db", db, "ledger", "transfer", a, "15.00", "--reason", "denied by payer", "--user", "demo")
    assert moved.returncode == 0, moved.stderr
    assert _sum(seeded_path)[0] == before + 1500
    engine_rows = _sum(seeded_path, "kind = 'transfer'")
    assert engine_rows == (1500, 1)  # the patient's side; the insurance side is its own row
    row = run("--db", db, "ledger", "post", a, "charge", "8.00", "--user", "demo").stdout.split("(row ")[1].split(")")[0]
    undone = run("--db", db, "ledger", "reverse", row, "--reason", "wrong patient", "--user", "super")
    assert undone.returncode == 0 and _sum(seeded_path)[0] == before + 1500
    assert "already reversed" in one_line_error(run("--db", db, "ledger", "reverse", row, "--reason", "again",
                                                    "--user", "super"))
    assert "reason" in one_line_error(run("--db", db, "ledger", "reverse", row, "--user", "super"))


def _aging_events(db) -> int:
    conn = raw_connect(db)
    try:
        return int(conn.execute("SELECT count(*) FROM audit_events WHERE action = 'ar.aging'").fetchone()[0])
    finally:
        conn.close()


def test_aging_csv_to_a_file_is_owner_only_whole_and_audited_once(seeded_path, tmp_path):
    db = str(seeded_path)
    (a,) = _mrns(seeded_path, 1)
    assert run("--db", db, "ledger", "post", a, "charge", "40.00", "--user", "super").returncode == 0
    before = _aging_events(seeded_path)
    target = tmp_path / "aging.csv"
    done = run("--db", db, "ar", "aging", "--format", "csv", "-o", str(target), "--user", "super")
    assert done.returncode == 0, done.stderr
    assert target.stat().st_mode & 0o777 == 0o600 and "Wrote A/R aging" in done.stderr
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert rows[-1][0] == "TOTAL" and len(rows) - 2 >= 1
    assert round(float(rows[-1][7]) * 100) == _sum(seeded_path, f"service_date <= '{CLINIC_DAY.isoformat()}'")[0]
    assert _aging_events(seeded_path) == before + 1
    # A folder that is not there: one line, nothing written, nothing audited.
    missing = run("--db", db, "ar", "aging", "--format", "csv", "-o", str(tmp_path / "nope" / "a.csv"),
                  "--user", "super")
    assert "no folder" in one_line_error(missing)
    assert _aging_events(seeded_path) == before + 1
    assert "may not" in one_line_error(run("--db", db, "ar", "aging", "--format", "csv", "--user", "demo"))
