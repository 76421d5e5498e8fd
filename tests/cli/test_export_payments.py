"""`coordinator export payments --date D --format csv`, as a user runs it."""

from __future__ import annotations

import csv
import io

from tests.conftest import CLINIC_DAY
from tests.helpers.cli import one_line_error, run
from tests.helpers.clinic_files import copy_clinic


def test_export_payments_csv_to_stdout_and_file(seeded_template, tmp_path):
    db = tmp_path / "c.sqlite"
    copy_clinic(seeded_template, db)
    result = run("export", "payments", "--date", CLINIC_DAY.isoformat(), "--format", "csv", "--db", str(db),
                 "--user", "demo")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and all(r["receipt_number"].startswith(f"R{CLINIC_DAY:%Y%m%d}-") for r in rows)
    out = tmp_path / "pay.csv"
    again = run("--db", str(db), "export", "payments", "--date", CLINIC_DAY.isoformat(), "-o", str(out), "--user", "demo")
    assert again.returncode == 0 and out.read_text() == result.stdout


def test_export_payments_bad_input_is_one_line(seeded_template, tmp_path):
    db = tmp_path / "c.sqlite"
    copy_clinic(seeded_template, db)
    assert "not" in one_line_error(run("export", "payments", "--date", "2026-02-30", "--db", str(db),
                                       "--user", "demo")).lower()
    one_line_error(run("export", "payments", "--date", "2026-11-23", "--format", "xml", "--db", str(db)))
    one_line_error(run("export", "payments", "--db", str(db)))
    assert run("export", "payments", "--help").returncode == 0
