"""Which commands may make a database, and what a failed one leaves behind: real processes, real
files. Only the commands whose job is to make a clinic (seed, demo, db upgrade, users add) create
a file; every other command refuses a missing or empty database; a refused or interrupted command
leaves the disk as it was."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from coordinator_tui.clock import CLOCK_VARIABLE
from tests.conftest import CLINIC_NOW
from tests.helpers.cli import one_line_error, run, snapshot
from tests.helpers.engines import raw_connect


def tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def mode(path: Path) -> str:
    return oct(path.stat().st_mode & 0o777)


def count(db: Path, sql: str) -> int:
    conn = raw_connect(db)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


WORK_ON_A_CLINIC = [
    ["find", "smith", "--user", "demo"],
    ["users", "list", "--user", "admin"],
    ["audit", "verify"],
    ["export", "schedule", "--date", "2026-11-23", "--format", "csv", "--user", "demo"],
    ["callbacks", "generate", "--user", "demo"],
    ["backup", "/nonexistent-backup-dir/b.sqlite", "--user", "admin"],
    ["db", "current"],
    ["db", "downgrade", "base"],
]


@pytest.mark.parametrize("command", WORK_ON_A_CLINIC, ids=lambda c: " ".join(c[:2]))
def test_a_command_on_an_existing_clinic_creates_nothing_where_there_is_none(tmp_path, command):
    missing = tmp_path / "no" / "dir" / "x.sqlite"
    for db in (str(missing), f"sqlite:///{missing}"):
        line = one_line_error(run(*command, "--db", db))
        assert f"no database at {missing} (create one with 'coordinator db upgrade" in line
    assert tree(tmp_path) == set()  # no folder, no file, no lock


def test_an_empty_file_is_not_given_a_schema_by_a_reading_command(tmp_path):
    empty = tmp_path / "w.sqlite"
    empty.touch()
    for command in (["find", "smith", "--user", "demo"], ["users", "list", "--user", "admin"]):
        assert "no database at" in one_line_error(run(*command, "--db", str(empty)))
    assert tree(tmp_path) == {"w.sqlite"} and empty.stat().st_size == 0


def test_opening_the_app_on_a_first_start_says_how_to_begin_and_creates_nothing(tmp_path):
    home = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    line = one_line_error(run("run", "--user", "demo", env=home))
    assert "no database at" in line and "coordinator users add" in line and "coordinator demo" in line
    line = one_line_error(run("--db", str(tmp_path / "new" / "c.sqlite"), env=home))
    assert f"--db {tmp_path / 'new' / 'c.sqlite'}" in line  # the hint names the same file
    assert tree(tmp_path) == set()


def test_an_empty_db_value_is_refused_not_taken_for_the_default(tmp_path):
    home = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    for command in (["find", "smith", "--db", ""], ["--db", " ", "seed", "--patients", "5"],
                    ["db", "upgrade", "--db", ""], ["demo", "--no-open", "--db", ""]):
        assert "--db: is empty" in one_line_error(run(*command, env=home))
    assert tree(tmp_path) == set()


@pytest.mark.parametrize("args, words", [
    (["--patients", "99999999999999999999"], "at most 9,999,999 patients"),
    (["--patients", "10", "--date", "9999-12-31"], "year must be 1900 to 2200"),
    (["--patients", "10", "--date", "0001-01-01"], "year must be 1900 to 2200"),
])
def test_seed_arguments_are_checked_before_any_file_is_made(tmp_path, args, words):
    assert words in one_line_error(run("seed", *args, "--db", str(tmp_path / "s3.sqlite")))
    assert tree(tmp_path) == set()


@pytest.mark.parametrize("patients", ["1", "10"])
def test_a_small_clinic_seeds_with_one_open_callback_per_patient_and_reason(tmp_path, patients):
    db = tmp_path / "small.sqlite"
    result = run("seed", "--patients", patients, "--db", str(db), "--date", "2026-11-23")
    assert result.returncode == 0, result.stderr
    assert count(db, "SELECT count(*) FROM patients") == int(patients)
    assert count(db, "SELECT count(*) FROM (SELECT 1 FROM callbacks WHERE status = 'open' "
                     "GROUP BY patient_id, reason HAVING count(*) > 1)") == 0


def test_a_database_file_we_fill_is_owner_only_but_a_shared_one_keeps_its_mode(tmp_path):
    empty = tmp_path / "w.sqlite"
    empty.touch()
    empty.chmod(0o644)
    assert run("seed", "--patients", "100", "--db", str(empty)).returncode == 0
    assert mode(empty) == "0o600"
    # docs/ssh.md: `db upgrade`, then 0660 for the desk group; adding staff must keep it.
    shared = tmp_path / "shared.sqlite"
    assert run("db", "upgrade", "--db", str(shared)).returncode == 0
    shared.chmod(0o660)
    added = run("users", "add", "alex", "--name", "Alex", "--role", "admin", "--password-stdin",
                "--db", str(shared), input="long enough 1\n")
    assert added.returncode == 0, added.stderr
    assert mode(shared) == "0o660"


def test_a_refused_first_admin_leaves_no_database_behind(tmp_path):
    db = tmp_path / "new" / "c.sqlite"
    line = one_line_error(run("users", "add", "bo", "--name", "Bo", "--role", "front_desk",
                              "--password-stdin", "--db", str(db), input="long enough 1\n"))
    assert "must be an admin" in line
    assert tree(tmp_path) == set()


def test_seed_refuses_a_clinic_that_has_staff_and_changes_nothing(tmp_path):
    db = tmp_path / "c.sqlite"
    assert run("db", "upgrade", "--db", str(db)).returncode == 0
    assert run("users", "add", "admin", "--name", "Alex", "--role", "admin", "--password-stdin",
               "--db", str(db), input="long enough 1\n").returncode == 0
    before = snapshot(tmp_path)
    assert "already holds staff accounts" in one_line_error(run("seed", "--patients", "5", "--db", str(db)))
    assert snapshot(tmp_path) == before


# The real command in a real process, with one change: its progress callback sends the process
# SIGINT (what Ctrl+C does) once the first batch of patients is written. The interruption lands
# mid-transaction at the same point however fast or loaded the machine is (it used to be sent
# when the WAL file had grown past 8 MB, which a slow CI machine could take minutes to reach).
INTERRUPTING_SEED = """
import os, signal, sys
from coordinator_tui import cli

# Ctrl+C's normal meaning, as in a shell: a parent (a test runner) may have left SIGINT ignored.
signal.signal(signal.SIGINT, signal.default_int_handler)
from coordinator_tui.commands import app_commands

real_progress_bar = app_commands.progress_bar

def progress_bar():
    update, bar = real_progress_bar()

    def update_then_interrupt(stage, done, total):
        update(stage, done, total)
        if stage == "patients" and done > 0:
            os.kill(os.getpid(), signal.SIGINT)

    return update_then_interrupt, bar

app_commands.progress_bar = progress_bar
sys.exit(cli.main(sys.argv[1:]))
"""


def _interrupt_seed(db: Path) -> subprocess.CompletedProcess:
    """A seed interrupted (SIGINT) right after its first batch of patients went in."""
    return subprocess.run([sys.executable, "-c", INTERRUPTING_SEED, "seed", "--patients", "100000",
                           "--db", str(db)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, CLOCK_VARIABLE: CLINIC_NOW.isoformat()})


def test_an_interrupted_seed_of_a_new_file_leaves_nothing(tmp_path):
    result = _interrupt_seed(tmp_path / "new" / "big.sqlite")
    assert result.returncode == 130, result.stderr
    assert "interrupted; nothing half-written was kept" in result.stderr
    assert tree(tmp_path) == set()


def test_an_interrupted_seed_of_an_empty_file_leaves_it_empty(tmp_path):
    empty = tmp_path / "w.sqlite"
    empty.touch()
    empty.chmod(0o644)
    result = _interrupt_seed(empty)
    assert result.returncode == 130, result.stderr
    assert tree(tmp_path) == {"w.sqlite"}
    assert empty.stat().st_size == 0 and mode(empty) == "0o644"


def test_demo_never_rebuilds_a_clinic_it_did_not_make(tmp_path):
    seeded = tmp_path / "seeded.sqlite"
    assert run("seed", "--patients", "50", "--db", str(seeded)).returncode == 0
    before = snapshot(tmp_path)
    for extra in ([], ["--fresh"], ["--seed", "9"]):
        line = one_line_error(run("demo", "--no-open", "--patients", "50", "--db", str(seeded), *extra))
        assert f"{seeded} holds a clinic that was not made by demo; nothing was changed" in line
    assert snapshot(tmp_path) == before


def test_demo_rebuilds_its_own_stale_file_for_today(tmp_path):
    db = tmp_path / "demo.sqlite"
    assert run("demo", "--no-open", "--patients", "50", "--db", str(db)).returncode == 0
    conn = raw_connect(db)
    today = conn.execute("SELECT value FROM settings WHERE key = 'demo_date'").fetchone()[0]
    yesterday = (date.fromisoformat(today) - timedelta(days=1)).isoformat()
    conn.execute("UPDATE settings SET value = ? WHERE key = 'demo_date'", (yesterday,))
    conn.commit()
    conn.close()
    again = run("demo", "--no-open", "--patients", "50", "--db", str(db))
    assert again.returncode == 0 and "Demo clinic ready" in again.stderr
    assert count(db, "SELECT count(*) FROM settings WHERE key = 'demo_date' "
                     f"AND value = '{today}'") == 1
    fresh = run("demo", "--no-open", "--patients", "50", "--fresh", "--db", str(db))
    assert fresh.returncode == 0 and "Demo clinic ready" in fresh.stderr
    assert mode(db) == "0o600"


def test_an_unmarked_demo_in_the_default_place_is_kept_and_the_message_says_how_to_rebuild(tmp_path):
    """Demo files from before the mark: never wiped silently, but the desk is told what to do."""
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    assert run("demo", "--no-open", "--patients", "50", env=env).returncode == 0
    default = tmp_path / "data" / "coordinator" / "demo.sqlite"
    conn = raw_connect(default)
    conn.execute("DELETE FROM settings WHERE key = 'demo_made_by'")  # as an older version left it
    conn.commit()
    conn.close()
    before = default.read_bytes()
    line = one_line_error(run("demo", "--no-open", "--patients", "50", env=env))
    assert "not made by demo" in line and f"delete it (rm {default})" in line
    assert default.read_bytes() == before
