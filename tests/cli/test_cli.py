"""The `coordinator` command as a user runs it: real processes, real files (the other tests in
tests/cli/ call it in-process; each command has a real-process test here).

Bad input: one clear line on stderr, exit status 2, nothing changed on disk."""

from __future__ import annotations

import os
import subprocess

import pytest

from coordinator_tui.store.schema_version import SCHEMA_HEAD
from tests.helpers.cli import one_line_error, snapshot
from tests.helpers.cli import run_process as run
from tests.helpers.engines import raw_connect


@pytest.mark.parametrize("command", [[], ["run"], ["demo"], ["seed"], ["db"], ["db", "upgrade"],
                                     ["db", "downgrade"], ["db", "current"], ["db", "check"],
                                     ["db", "copy"]])
def test_every_command_has_help(command):
    result = run(*command, "--help")
    assert result.returncode == 0
    assert "usage: coordinator" in result.stdout


def test_db_copy_runs_as_a_process_a_line_a_table_off_a_terminal(seeded_path, tmp_path):
    target = tmp_path / "moved.sqlite"
    copied = run("db", "copy", "--from", str(seeded_path), "--to", str(target))
    assert copied.returncode == 0, copied.stderr
    lines = copied.stdout.splitlines()
    assert "patients: 600 rows" in lines and lines[-1].startswith("copied ")
    assert "━" not in copied.stderr  # no bar drawn into a pipe
    assert target.stat().st_mode & 0o777 == 0o600
    refused = run("db", "copy", "--from", str(seeded_path), "--to", str(target))
    assert refused.returncode == 2 and "is not empty" in one_line_error(refused)


@pytest.mark.sqlite_only("backup and restore copy the SQLite file; find runs the FTS5 lookup")
def test_the_commands_tested_in_process_also_run_as_processes(seeded_path, tmp_path):
    """The other tests in tests/cli/ call main() in this process; here each of their commands
    runs once as the real `coordinator` (entry point, exit status, output through the pipe)."""
    db = str(seeded_path)
    found = run("find", "zzzz", "--db", db, "--user", "demo")
    assert (found.returncode, found.stdout, found.stderr) == (1, "", "coordinator: no patient found\n")
    verified = run("audit", "verify", "--db", db)
    assert verified.returncode == 0 and "intact" in verified.stdout, verified.stderr
    backup = tmp_path / "b.sqlite"
    copied = run("backup", str(backup), "--db", db, "--user", "super")
    assert copied.returncode == 0 and backup.exists(), copied.stderr
    restored = run("restore", str(backup), "--yes", "--db", db, "--user", "admin")
    assert restored.returncode == 0, restored.stderr
    csv = tmp_path / "p.csv"
    csv.write_text("family_name,given_name,birth_date,sex\nZed,Ann,1980-01-02,F\n")
    dry = run("import", "patients", str(csv), "--dry-run", "--db", db, "--user", "admin")
    assert dry.returncode == 0 and "would import 1" in dry.stdout, dry.stderr
    assert "provider" in one_line_error(run("schedule", "hours", "--db", db, "--user", "admin"))
    listing = run("users", "list", "--db", db, "--user", "admin")
    assert listing.returncode == 0 and "admin" in listing.stdout, listing.stderr
    demo = run("demo", "--no-open", "--patients", "50", "--db", str(tmp_path / "demo.sqlite"))
    assert demo.returncode == 0, demo.stderr


def test_db_upgrade_current_check_downgrade(tmp_path):
    db = str(tmp_path / "c.sqlite")
    assert run("db", "upgrade", "--db", db).stdout.strip() == "upgraded to the current schema"
    assert run("--db", db, "db", "upgrade").stdout.strip() == "already at the current schema"
    assert run("db", "current", "--db", db).stdout.startswith(f"{SCHEMA_HEAD} (current)")
    check = run("db", "check", "--db", db)
    assert check.returncode == 0 and "no drift" in check.stdout
    assert run("db", "downgrade", "base", "--db", db).returncode == 0
    assert run("db", "current", "--db", db).stdout.startswith("empty")


def test_db_url_from_the_environment(tmp_path):
    db = tmp_path / "env.sqlite"
    result = run("db", "upgrade", env={"COORDINATOR_DB_URL": f"sqlite:///{db}"})
    assert result.returncode == 0 and db.exists()


def test_seed_builds_a_clinic_without_the_ui(tmp_path):
    db = tmp_path / "s.sqlite"
    result = run("seed", "--patients", "300", "--db", str(db), "--date", "2026-11-23")
    assert result.returncode == 0, result.stderr
    assert "Seeded 300 patients" in result.stdout
    conn = raw_connect(db)
    assert conn.execute("SELECT count(*) FROM patients").fetchone()[0] == 300
    conn.close()
    again = run("seed", "--patients", "300", "--db", str(db))
    assert "already holds 300 patients" in one_line_error(again)


def test_not_a_database_is_refused_and_left_alone(tmp_path):
    bogus = tmp_path / "notes.sqlite"
    bogus.write_bytes(b"these are meeting notes, not a database\n" * 200)
    before = snapshot(tmp_path)
    for command in (["run", "--user", "demo"], ["db", "upgrade"], ["db", "current"], ["seed", "--patients", "5"]):
        line = one_line_error(run(*command, "--db", str(bogus)))
        assert "not a coordinator database" in line
    assert snapshot(tmp_path) == before  # no -wal, no -shm, no lock file, same bytes


def test_a_directory_is_refused(tmp_path):
    assert "is a directory" in one_line_error(run("db", "upgrade", "--db", str(tmp_path)))
    assert list(tmp_path.iterdir()) == []


def test_a_folder_that_cannot_be_created_is_refused(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    line = one_line_error(run("db", "upgrade", "--db", str(blocker / "sub" / "c.sqlite")))
    assert "cannot create" in line


def test_an_unwritable_folder_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    if os.geteuid() == 0:
        # Root ignores permission bits; the immutable attribute binds even root.
        if subprocess.run(["chattr", "+i", str(locked)], capture_output=True).returncode != 0:
            pytest.skip("chattr +i is not supported on this filesystem")
    else:
        locked.chmod(0o555)
    try:
        result = run("db", "upgrade", "--db", str(locked / "c.sqlite"))
        assert "cannot write in" in one_line_error(result)
        assert list(locked.iterdir()) == []
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(locked)], check=True)
        else:
            locked.chmod(0o755)


def test_a_newer_database_is_refused_by_every_command(tmp_path):
    db = tmp_path / "new.sqlite"
    assert run("db", "upgrade", "--db", str(db)).returncode == 0
    conn = raw_connect(db)
    conn.execute("UPDATE alembic_version SET version_num = '0042_future'")
    conn.commit()
    conn.close()
    before = snapshot(tmp_path)
    for command in (["run", "--user", "demo"], ["db", "upgrade"], ["db", "check"], ["seed", "--patients", "5"]):
        assert "newer version of coordinator" in one_line_error(run(*command, "--db", str(db)))
    assert snapshot(tmp_path) == before


def test_bad_arguments_exit_2_with_one_line():
    assert "--patients" in one_line_error(run("seed"))
    assert "not a whole number" in one_line_error(run("seed", "--patients", "lots"))
    assert "not a date" in one_line_error(run("seed", "--patients", "5", "--date", "31/02/2026"))
    assert "invalid choice" in one_line_error(run("teleport"))


def test_unknown_user_is_answered_like_a_known_one(tmp_path):
    db = tmp_path / "c.sqlite"
    assert run("db", "upgrade", "--db", str(db)).returncode == 0
    assert "first admin" in one_line_error(run("run", "--db", str(db), "--user", "nobody"))
    assert run("users", "add", "alex", "--name", "Alex", "--role", "admin", "--password-stdin",
               "--db", str(db), input="long enough 1\n").returncode == 0
    # An unknown name is answered like a known one: the sign-in screen decides, and says the
    # same for both (here there is no terminal to open it on).
    unknown = one_line_error(run("run", "--db", str(db), "--user", "nobody"))
    assert unknown == one_line_error(run("run", "--db", str(db), "--user", "alex"))
    assert "needs a terminal" in unknown


def test_callbacks_generate_adds_confirmation_calls_once(tmp_path):
    db = str(tmp_path / "c.sqlite")
    assert run("seed", "--patients", "300", "--db", db, "--date", "2026-11-23").returncode == 0
    first = run("callbacks", "generate", "--db", db, "--user", "demo")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("added ")
    again = run("callbacks", "generate", "--db", db, "--user", "demo")
    assert again.stdout.strip() == "added 0 recalls and 0 confirmation calls"
    # A name alone signs nobody in; an unknown name is answered like any unproven one.
    assert "acts as 'ghost': sign in" in one_line_error(run("callbacks", "generate", "--db", db, "--user", "ghost"))
