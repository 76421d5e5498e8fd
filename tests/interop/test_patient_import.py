"""Importing patients from CSV: Synthea's file, a file with bad rows, look-alikes, idempotence,
and the command as a user runs it."""

from __future__ import annotations

import csv
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from coordinator_tui.domain.vocab import Role
from coordinator_tui.errors import UserError
from coordinator_tui.interop.patients_csv import map_columns, parse_mapping
from coordinator_tui.services.patients.importing import import_patients
from coordinator_tui.services.staff.actors import ensure_user
from coordinator_tui.store.models import Patient
from tests.conftest import SHARED_DATA, make_context

SYNTHEA = SHARED_DATA / "synthea_csv_packt_ma1k" / "patients.csv"
if not SYNTHEA.exists():
    SYNTHEA = Path("/work/shared/data/synthea_csv_packt_ma1k/patients.csv")


@pytest.fixture
def empty_ctx(db_path, clock):
    ctx = make_context(db_path, clock)
    yield ctx
    ctx.db.dispose()


@pytest.fixture
def importer(empty_ctx):
    return ensure_user(empty_ctx, "demo", "Dana Demo", Role.FRONT_DESK)


def test_headers_are_recognised():
    assert set(map_columns(["FIRST", "LAST", "BIRTHDATE", "GENDER", "ADDRESS", "Id", "ZIP"]).columns) >= {
        "given_name", "family_name", "birth_date", "sex", "address_line1", "external_id", "postal_code"}
    assert set(map_columns(["first_name", "surname", "dob"]).columns) == {
        "given_name", "family_name", "birth_date"}
    assert set(map_columns(["Given", "Family", "Date of Birth", "E-mail"]).columns) == {
        "given_name", "family_name", "birth_date", "email"}
    with pytest.raises(UserError, match="--map"):
        map_columns(["name", "born_on"])
    assert map_columns(["Nom", "Prenom", "Naissance"], parse_mapping(
        ["Nom=family_name", "Prenom=given_name", "Naissance=birth_date"])).columns == {
        "family_name": 0, "given_name": 1, "birth_date": 2}
    with pytest.raises(UserError):
        parse_mapping(["Nom=shoe_size"])
    with pytest.raises(UserError):
        parse_mapping(["Nom"])


@pytest.mark.skipif(not SYNTHEA.exists(), reason="shared Synthea data not present")
def test_synthea_import_counts_deceased_non_ascii_and_second_run(empty_ctx, importer):
    seen: list[tuple[int, int]] = []
    report = import_patients(empty_ctx, importer, SYNTHEA, progress=lambda s, d, t: seen.append((d, t)))
    assert (report.rows, report.imported, report.deceased, report.bad, report.flagged) == (
        1174, 1174, 174, [], [])
    assert report.synthea and seen[-1] == (1174, 1174)
    with open(SYNTHEA, encoding="utf-8") as handle:
        first = next(r for r in csv.DictReader(handle) if r["LAST"].startswith("Urías"))
    with empty_ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Patient)) == 1174
        assert s.scalar(select(func.count()).where(Patient.deceased_date.is_not(None))) == 174
        p = s.scalar(select(Patient).where(Patient.external_id == first["Id"]))
        assert p.family_name == "Urías" and p.family_key == "urias"
        assert p.given_name == first["FIRST"].rstrip("0123456789")
        assert p.region == "MA" and p.postal_code == first["ZIP"]
        assert s.scalar(select(func.count()).where(Patient.family_name.like("%ñ%"))) > 0
    again = import_patients(empty_ctx, importer, SYNTHEA)
    assert (again.imported, again.already, again.flagged) == (0, 1174, [])


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def bad_file(tmp_path) -> Path:
    return write_csv(tmp_path / "people.csv", [
        ["first_name", "surname", "dob", "gender", "phone", "email"],
        ["Ana", "García", "1980-02-03", "F", "617-555-0111", ""],         # line 2 good
        ["", "Nobody", "1980-02-03", "F", "", ""],                       # 3 no first name
        ["Bo", "Ek", "1980-02-30", "M", "", ""],                         # 4 impossible date
        ["Cy", "Li", "2099-01-01", "M", "", ""],                         # 5 future
        ["Di", "Ng", "1970-01-01", "Q", "", ""],                         # 6 bad sex
        ["Ed", "Oz", "1970-01-01", "M", "12", ""],                        # 7 bad phone
        ["Flo", "Pé\x01rez", "1970-01-01", "F", "", ""],                 # 8 control character
        ["Gus", "Quist", "1970-01-01", "M", "", "gus@"],                 # 9 bad email
        ["Hana", "Łukasik", "1991-09-09", "F", "", "hana@example.com"],  # 10 good
    ])


def test_bad_rows_reported_by_line_and_reason_good_rows_imported(empty_ctx, importer, tmp_path):
    report = import_patients(empty_ctx, importer, bad_file(tmp_path))
    assert report.imported == 2
    reasons = {p.line: p.reason for p in report.bad}
    assert set(reasons) == {3, 4, 5, 6, 7, 8, 9}
    assert "First name" in reasons[3] and "required" in reasons[3]
    assert "does not exist" in reasons[4] and "future" in reasons[5]
    assert "Sex" in reasons[6] and "phone" in reasons[7]
    assert "control" in reasons[8] and "Email" in reasons[9]
    with empty_ctx.db.read() as s:
        assert sorted(s.scalars(select(Patient.family_name))) == ["García", "Łukasik"]


def test_look_alikes_are_flagged_not_duplicated(empty_ctx, importer, tmp_path):
    import_patients(empty_ctx, importer, bad_file(tmp_path))
    second = write_csv(tmp_path / "more.csv", [
        ["given", "family", "birthdate", "sex", "mobile"],
        ["Anna", "Garcia", "1980-02-03", "F", ""],          # similar name, same birth date
        ["Zed", "Other", "1955-05-05", "M", "(617) 555-0111"],  # same phone alone: a household
        ["Hana", "Łukasik", "1991-09-09", "F", ""],          # exactly the same: already there
        ["New", "Person", "2001-01-01", "X", ""],
    ])
    report = import_patients(empty_ctx, importer, second)
    assert report.imported == 2 and report.already == 1
    flagged = {p.line: p.reason for p in report.flagged}
    assert set(flagged) == {2}  # a shared phone alone is not a duplicate (issue #22)
    assert "similar name" in flagged[2]
    assert "Garcia" not in flagged[2]


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "coordinator_tui", *args], capture_output=True,
                          text=True, timeout=180, env={**os.environ, **(env or {})})


def count(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM patients").fetchone()[0]


def test_import_command(seeded_path, tmp_path):
    source = bad_file(tmp_path)
    before = count(seeded_path)
    dry = run("--db", str(seeded_path), "import", "patients", str(source), "--dry-run", "--user", "demo")
    assert dry.returncode == 1, dry.stderr
    assert "would import 2" in dry.stdout and "dry run" in dry.stdout
    assert "line 4: bad: Birth date" in dry.stderr
    assert count(seeded_path) == before
    real = run("--db", str(seeded_path), "import", "patients", str(source), "--user", "demo")
    assert real.returncode == 1 and "imported 2" in real.stdout
    assert "García" not in real.stderr + real.stdout  # no patient data in the report
    assert count(seeded_path) == before + 2
    again = run("--db", str(seeded_path), "import", "patients", str(source), "--user", "demo")
    assert "imported 0" in again.stdout and "2 already imported" in again.stdout
    assert count(seeded_path) == before + 2


def test_a_huge_field_is_one_bad_row_and_the_rest_is_imported(seeded_path, tmp_path):
    # The huge field is quoted and runs over three lines; its second line looks like a patient
    # and must not be imported as one.
    source = tmp_path / "hugefield.csv"
    source.write_text("first_name,surname,dob,gender,phone,email\n"
                      "Ana,García,1980-02-03,F,,\n"
                      'Big,One,1980-01-01,F,,"' + "x" * 200_000 + "\nEve,Quixotl,1975-05-05,F,,\n\"\n"
                      "Hana,Łukasik,1991-09-09,F,,\n", encoding="utf-8")
    before = count(seeded_path)
    result = run("--db", str(seeded_path), "import", "patients", str(source), "--user", "demo")
    assert result.returncode == 1, result.stderr
    assert "imported 2" in result.stdout and "Traceback" not in result.stderr
    assert "line 3: bad: a field is longer than 131,072 characters" in result.stderr
    assert "line 4" not in result.stderr and "line 6" not in result.stderr
    assert count(seeded_path) == before + 2
    with sqlite3.connect(seeded_path) as conn:
        assert conn.execute("SELECT count(*) FROM patients WHERE family_name = 'Quixotl'").fetchone() == (0,)


@pytest.mark.parametrize("args,words", [
    (["missing.csv"], "no file"),
    (["people.csv", "--map", "oops"], "--map"),
    (["people.csv", "--map", "x=shoe"], "unknown field"),
])
def test_import_command_bad_input_is_one_line_exit_2(seeded_path, tmp_path, args, words):
    bad_file(tmp_path)
    args = [str(tmp_path / a) if a.endswith(".csv") else a for a in args]
    result = run("--db", str(seeded_path), "import", "patients", *args, "--user", "demo")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in result.stderr
