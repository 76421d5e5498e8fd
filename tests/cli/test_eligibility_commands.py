"""`coordinator eligibility request|import|estimate`, as a clinic runs them."""

from __future__ import annotations

import pytest

from tests.conftest import CLINIC_DAY, FREE_DAY
from tests.helpers.cli import one_line_error, run
from tests.helpers.clinic_files import copy_clinic
from tests.helpers.eligibility import ENV, traces
from tests.helpers.engines import raw_connect
from tests.helpers.x12_payer import ACTIVE, answer_270


@pytest.fixture
def db(seeded_template, tmp_path):
    path = tmp_path / "c.sqlite"
    copy_clinic(seeded_template, path)
    return path


def elig(db, *args):
    return run("eligibility", *args, "--db", str(db), "--user", "demo", env=ENV)


def rows(db, table):
    with raw_connect(db) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_request_writes_an_owner_only_270_and_import_records_the_271(db, tmp_path):
    out = tmp_path / "inquiries.x12"
    made = elig(db, "request", "--date", CLINIC_DAY.isoformat(), "-o", str(out))
    assert made.returncode == 0, made.stderr
    assert "inquiries for" in made.stderr and "interchange 000000001" in made.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    text = out.read_text()
    assert text.startswith("ISA*") and len(traces(text)) == rows(db, "eligibility_inquiries")
    answer = tmp_path / "responses.x12"
    answer.write_text(answer_270(text, lambda t: ACTIVE).replace("\n", "\r\n"))
    first = elig(db, "import", str(answer))
    assert first.returncode == 0, first.stderr
    assert f"{len(traces(text))} recorded" in first.stdout
    second = elig(db, "import", str(answer))
    assert "0 recorded" in second.stdout and "already recorded" in second.stdout
    # A second run asks only what is still not current, under the next control number.
    again = elig(db, "request", "--date", CLINIC_DAY.isoformat())
    assert again.returncode == 0 and ("interchange 000000002" in again.stderr or "Nothing to ask" in again.stderr)


def test_request_with_nothing_to_ask_says_so_and_writes_nothing(db, tmp_path):
    out = tmp_path / "none.x12"
    result = elig(db, "request", "--date", FREE_DAY.isoformat(), "-o", str(out))
    assert result.returncode == 0 and "Nothing to ask" in result.stderr
    assert not out.exists() and result.stdout == ""


def test_a_bad_271_is_one_line_naming_the_segment_and_records_nothing(db, tmp_path):
    out = tmp_path / "inquiries.x12"
    elig(db, "request", "--date", CLINIC_DAY.isoformat(), "-o", str(out))
    text = answer_270(out.read_text(), lambda t: ACTIVE)
    lines = text.splitlines()
    se = next(i for i, line in enumerate(lines) if line.startswith("SE*"))
    lines[se] = "SE*3*0001~"
    bad = tmp_path / "bad.x12"
    bad.write_text("\n".join(lines) + "\n")
    message = one_line_error(elig(db, "import", str(bad)))
    assert f"segment {se + 1}: SE01 says 3 segments" in message and "nothing recorded" in message
    assert rows(db, "eligibility_benefits") == 0
    csv = tmp_path / "people.csv"
    csv.write_text("name,dob\nAna,1985-03-04\n")
    assert "not an X12 interchange" in one_line_error(elig(db, "import", str(csv)))
    binary = tmp_path / "x.bin"
    binary.write_bytes(b"\xff\xfe\x00ISA")
    assert "not a text file" in one_line_error(elig(db, "import", str(binary)))
    assert "no file" in one_line_error(elig(db, "import", str(tmp_path / "missing.x12")))


def test_request_without_the_clinic_ids_is_refused(db):
    result = run("eligibility", "request", "--date", CLINIC_DAY.isoformat(), "--db", str(db), "--user", "demo")
    assert "eligibility_submitter_id" in one_line_error(result)
    assert rows(db, "eligibility_inquiries") == 0


def test_estimate_prints_the_sheet_and_records_it(db, tmp_path):
    with raw_connect(db) as conn:
        mrn = conn.execute(
            "SELECT p.mrn FROM appointments a JOIN patients p ON p.id = a.patient_id "
            "JOIN appointment_types t ON t.id = a.appointment_type_id "
            "WHERE a.status IN ('scheduled', 'confirmed') AND t.code = 'FU' AND date(a.starts_at) = ? "
            "ORDER BY a.starts_at LIMIT 1", (CLINIC_DAY.isoformat(),)).fetchone()[0]
    result = elig(db, "estimate", "--mrn", mrn, "--date", CLINIC_DAY.isoformat())
    assert result.returncode == 0, result.stderr
    assert "ESTIMATE OF WHAT YOU WILL OWE" in result.stdout and "$180.00" in result.stdout
    assert "This is an estimate" in result.stdout.replace("\n", " ")
    assert rows(db, "visit_estimates") == 1
    sheet = tmp_path / "sheet.txt"
    assert elig(db, "estimate", "--mrn", mrn, "--date", CLINIC_DAY.isoformat(), "-o", str(sheet)).returncode == 0
    assert sheet.stat().st_mode & 0o777 == 0o600
    assert "MRN" in one_line_error(elig(db, "estimate", "--mrn", "nobody"))
    assert "--appointment" in one_line_error(elig(db, "estimate"))


def test_a_bad_fee_schedule_or_payer_id_setting_is_named(db):
    for name, value, words in (("COORDINATOR_FEE_SCHEDULE", "FU=abc", "fee_schedule: FU"),
                               ("COORDINATOR_ELIGIBILITY_PAYER_IDS", "Aetna", "NAME=VALUE")):
        result = run("eligibility", "request", "--date", CLINIC_DAY.isoformat(), "--db", str(db),
                     "--user", "demo", env={**ENV, name: value})
        assert words in one_line_error(result)
    assert rows(db, "eligibility_inquiries") == 0



def test_the_eligibility_commands_run_as_real_processes(db):
    from tests.helpers.cli import run_process

    for what in ("request", "import", "estimate"):
        helped = run_process("eligibility", what, "--help")
        assert helped.returncode == 0 and "usage: coordinator eligibility" in helped.stdout
    nothing = run_process("eligibility", "request", "--date", FREE_DAY.isoformat(), "--db", str(db),
                          "--user", "demo", env=ENV)
    assert nothing.returncode == 0 and "Nothing to ask" in nothing.stderr, nothing.stderr
