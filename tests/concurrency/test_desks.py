"""Several desks, crashes: real processes on a real SQLite file (or PostgreSQL database).

8 desk processes do mixed check-ins, undos, bookings, edits and registrations through the services
at the same time; a writer is killed with SIGKILL at random moments. The checks read the file
as an auditor would (tests/helpers/desk_driver.py): nothing reported as saved is missing,
nothing is half-written, the audit chain verifies, and every desk ends up reading the same rows.
benchmarks/bench_desks.py runs the same for 60 s and 100 kills and prints the figures.
"""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import CLINIC_DAY
from tests.helpers import desk_driver, engines
from tests.helpers.engines import raw_connect

DESKS = 8
SECONDS = 8.0
CRASH_RUNS = 30
# PostgreSQL: each desk action is a few server round trips more (measured ~1.6x SQLite's time
# per action on these shared machines), so the desks run longer and a killed writer lives longer
# before its kill for the same number of writes to race and to be killed in the middle of.
if engines.on_postgresql():
    SECONDS, MAX_DELAY = 30.0, 3.0
else:
    MAX_DELAY = 0.4


def test_eight_desks_at_once_lose_nothing_and_converge(seeded_path, tmp_path):
    result = desk_driver.run_desks(seeded_path, CLINIC_DAY, desks=DESKS, seconds=SECONDS,
                                   workdir=tmp_path)
    assert result["failures"] == []
    desks = result["desks"]
    assert len(desks) == DESKS
    storage = sum(o["outcomes"][a]["storage"] for o in desks for a in desk_driver.ACTIONS)
    other = sum(o["outcomes"][a]["other"] for o in desks for a in desk_driver.ACTIONS)
    assert (storage, other) == (0, 0), [p for o in desks for p in o["problems"]][:5]
    # The desks wrote, or the checks below would have checked nothing. How much, and which kinds
    # of action came up, depends on the machine's load (a loaded machine gets a few actions per
    # desk in SECONDS): what matters is that nothing reported saved is lost.
    assert sum(o["outcomes"][a]["ok"] for o in desks for a in desk_driver.ACTIONS) > 0
    assert result["reported"] == []
    assert result["database"] == []
    assert {o["digest"] for o in desks} == {result["digest"]}


def test_a_writer_killed_at_random_moments_loses_nothing_it_reported(seeded_path, tmp_path):
    result = desk_driver.crash_runs(seeded_path, CLINIC_DAY, runs=CRASH_RUNS, workdir=tmp_path, seed=3,
                                    max_delay=MAX_DELAY)
    # What matters: nothing a writer reported saved is lost or half-written, whatever the
    # moment of the kill. Half the runs kill from the writer's start (on a loaded machine often
    # before any write returns), half after its first reported write, so there are always
    # reported writes to check, however slow the machine.
    assert result["problems"] == []
    assert all(w > 0 for w in result["writes_per_run"][1::2]), result["writes_per_run"]
    if engines.on_postgresql():
        return  # no file to check: PostgreSQL's WAL replays what committed
    conn = raw_connect(seeded_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


# --- the checks themselves can fail --------------------------------------------------------------


@pytest.mark.sqlite_only("tampers with the file through the sqlite3 shell's view of it")
def test_the_checks_see_a_lost_update_and_a_half_written_patient(seeded_path, tmp_path):
    copy = tmp_path / "tampered.sqlite"
    shutil.copyfile(seeded_path, copy)
    base = desk_driver.baseline(copy)
    claimed = [["edit", 3, base["versions"][3] + 1, "lost@example.org"],
               ["book", base["appointment"] + 1, 5, 1, "2026-11-24T15:00:00+00:00"]]
    problems = desk_driver.check_reported(copy, base, claimed)
    assert any("patient 3" in p for p in problems) and any("booking" in p for p in problems)
    conn = raw_connect(copy)
    try:
        conn.execute("DROP TRIGGER patient_search_patients_ai")  # a patient without search terms
        conn.execute("INSERT INTO patients (mrn, family_name, given_name, family_key, given_key, "
                     "family_phonetic, given_phonetic, birth_date, sex, created_at, updated_at) "
                     "SELECT 'M9999999', 'Qxwvzy', 'Vqzx', 'qxwvzy', 'vqzx', 'K', 'F', birth_date, sex, "
                     "created_at, updated_at FROM patients WHERE id = 1")
        # An audit row whose hash does not cover its content (written behind the services' back,
        # by a client that stands in for the audit writer the insert trigger asks for).
        conn.create_function("coordinator_audit_writer", 0, lambda: 1)
        conn.execute("INSERT INTO audit_events (at, action, prev_hash, hash) VALUES "
                     "('2026-11-23 15:00:00.000000', 'patient.view', ?, 'forged')", ("0" * 64,))
        conn.commit()
    finally:
        conn.close()
    problems = desk_driver.check_database(copy, base)
    assert any("no search vocabulary row" in p for p in problems)
    assert any("without its audit event" in p for p in problems)
    assert any("audit chain" in p for p in problems)
