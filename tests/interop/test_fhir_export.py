"""FHIR bulk export: NDJSON per resource type, valid R4, owner-only, `--since` honoured, and a
round trip: what one clinic exports another imports as the same patients and coverage."""

from __future__ import annotations

import json
import sqlite3
import stat
from datetime import timedelta

from coordinator_tui.domain.vocab import Role
from coordinator_tui.interop.fhir.read import check
from coordinator_tui.services.exchange.fhir_export import export_fhir
from coordinator_tui.services.exchange.fhir_import import import_fhir
from coordinator_tui.services.staff.actors import actor_for, ensure_user
from tests.conftest import CLINIC_DAY, make_context
from tests.helpers.cli import run


def lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_export_writes_valid_r4_ndjson_owner_only(ctx, seeded_path, tmp_path):
    out = tmp_path / "bulk"
    counts = export_fhir(ctx, actor_for(ctx, "super"), out)
    with sqlite3.connect(seeded_path) as conn:
        patients = conn.execute("SELECT count(*) FROM patients").fetchone()[0]
        appointments = conn.execute("SELECT count(*) FROM appointments").fetchone()[0]
    assert counts["Patient"] == patients and counts["Appointment"] == appointments
    assert sorted(p.name for p in out.iterdir()) == ["Appointment.ndjson", "Coverage.ndjson",
                                                     "Location.ndjson", "Patient.ndjson",
                                                     "Practitioner.ndjson"]
    assert counts["Practitioner"] == 8 and counts["Location"] >= 1
    for path in out.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        for number, resource in enumerate(lines(path)[:150]):
            check(resource, f"{path.name} line {number + 1}")


def test_since_keeps_only_what_changed_from_that_day(ctx, tmp_path):
    actor = actor_for(ctx, "super")
    later = export_fhir(ctx, actor, tmp_path / "later", since=CLINIC_DAY + timedelta(days=1))
    assert later["Patient"] == 0 and later["Coverage"] == 0
    assert (tmp_path / "later" / "Patient.ndjson").read_text() == ""


def test_what_one_clinic_exports_another_imports(ctx, tmp_path, db_path):
    out = tmp_path / "bulk"
    export_fhir(ctx, actor_for(ctx, "super"), out)
    first = lines(out / "Patient.ndjson")[:25]
    covered = {f"Patient/{p['id']}" for p in first}
    sample = tmp_path / "sample"
    sample.mkdir()
    (sample / "Patient.ndjson").write_text("\n".join(json.dumps(p) for p in first))
    coverage = [c for c in lines(out / "Coverage.ndjson") if c["beneficiary"]["reference"] in covered]
    (sample / "Coverage.ndjson").write_text("\n".join(json.dumps(c) for c in coverage))
    other = make_context(db_path)
    try:
        admin = ensure_user(other, "admin", "Admin", Role.ADMIN)
        report = import_fhir(other, admin, sample)
    finally:
        other.db.dispose()
    assert report.applied == {"Patient": 25, "Coverage": len(coverage)}
    with sqlite3.connect(db_path) as conn:
        names = conn.execute("SELECT family_name, given_name, birth_date FROM patients ORDER BY id").fetchall()
    assert names == [(p["name"][0]["family"], p["name"][0]["given"][0], p["birthDate"]) for p in first]


def test_the_command_writes_the_folder_and_refuses_a_file_as_folder(seeded_path, tmp_path):
    done = run("export", "fhir", "-o", str(tmp_path / "out"), "--db", str(seeded_path), "--user", "super")
    assert done.returncode == 0, done.stderr
    assert "Patient" in done.stderr and (tmp_path / "out" / "Patient.ndjson").exists()
    (tmp_path / "file").write_text("x")
    refused = run("export", "fhir", "-o", str(tmp_path / "file"), "--db", str(seeded_path), "--user", "super")
    assert refused.returncode == 2 and "is not a folder" in refused.stderr
