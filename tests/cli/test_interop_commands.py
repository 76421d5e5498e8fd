"""The interface commands on the command line: a summary on success; bad input is exit 2 and
one clear line on stderr, with nothing applied."""

from __future__ import annotations

from tests.conftest import SHARED_DATA
from tests.helpers.cli import one_line_error, run
from tests.helpers.engines import raw_connect
from tests.helpers.hl7 import adt, siu, slot

HL7 = SHARED_DATA / "hl7v2"


def patients(path) -> int:
    with raw_connect(path) as conn:
        return conn.execute("SELECT count(*) FROM patients").fetchone()[0]


def test_import_hl7_applies_a_file_and_reports(seeded_path, tmp_path):
    feed = tmp_path / "feed.hl7"
    feed.write_text(adt("A04", "F1", "E1", "Quispe", "Rosa")
                    + siu("S12", "F2", "A1", "E1", slot(9), family="Quispe", given="Rosa"))
    dry = run("import", "hl7", str(feed), "--dry-run", "--db", str(seeded_path), "--user", "super")
    assert dry.returncode == 0 and "would apply 2" in dry.stdout and "dry run" in dry.stdout
    before = patients(seeded_path)
    done = run("import", "hl7", str(feed), "--db", str(seeded_path), "--user", "super")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2 messages: applied 2, 0 already applied, 0 held as look-alikes"
    assert patients(seeded_path) == before + 1


def test_import_hl7_refuses_a_bad_file_in_one_line(seeded_path):
    before = patients(seeded_path)
    line = one_line_error(run("import", "hl7", str(HL7 / "rethinkhealth_hl7v2" / "invalid-missing-msh.hl7"),
                              "--db", str(seeded_path), "--user", "super"))
    assert line == ("coordinator: invalid-missing-msh.hl7: message 1: does not start with an MSH "
                    "segment; nothing was applied")
    assert "cannot read" in one_line_error(run("import", "hl7", "/nonexistent/x.hl7", "--db",
                                               str(seeded_path), "--user", "super"))
    assert patients(seeded_path) == before


def test_import_fhir_reports_and_refuses(seeded_path, tmp_path):
    done = run("import", "fhir", str(SHARED_DATA / "synthea_fhir_r4_smart"), "--db", str(seeded_path),
               "--user", "super")
    assert done.returncode == 0, done.stderr
    assert "imported 5 Coverage, 5 Patient" in done.stdout
    (tmp_path / "bad.json").write_text("{not json")
    line = one_line_error(run("import", "fhir", str(tmp_path / "bad.json"), "--db", str(seeded_path),
                              "--user", "super"))
    assert line.startswith("coordinator: bad.json: not JSON (line 1, column 2")


def test_outbox_switch_and_lists_need_the_right_role(seeded_path):
    assert "admin may turn" in one_line_error(run("hl7", "outbox", "on", "--db", str(seeded_path),
                                                  "--user", "demo"))
    on = run("hl7", "outbox", "on", "--db", str(seeded_path), "--user", "admin")
    assert on.returncode == 0 and on.stdout.strip() == "pending 0, sent 0, refused 0"
    assert "supervisors" in one_line_error(run("hl7", "refused", "--db", str(seeded_path), "--user", "demo"))
    listed = run("hl7", "refused", "--db", str(seeded_path), "--user", "super")
    assert listed.returncode == 0 and listed.stderr.strip() == "0 refused"


def test_bad_addresses_and_ports_are_usage_errors(seeded_path):
    assert "is not HOST:PORT" in one_line_error(run("hl7", "send", "--to", "nowhere", "--db", str(seeded_path)))
    assert "is not a port number" in one_line_error(run("hl7", "listen", "--port", "70000",
                                                        "--sender", "X", "--db", str(seeded_path)))
