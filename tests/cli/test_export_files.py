"""Export files hold patient data (names, MRNs): owner-only whatever the umask, never written
through a link or onto a device, never left half-written, and audited only when written.
Real processes, real files, a real FIFO; the two exports behave the same."""

from __future__ import annotations

import os
import resource
import signal
import stat
import subprocess
import sys

import pytest

from tests.conftest import CLINIC_DAY, REPO
from tests.helpers.cli import one_line_error
from tests.helpers.cli import run_process as run
from tests.helpers.clinic_files import copy_clinic
from tests.helpers.engines import raw_connect, url_for

EXPORTS = {
    "schedule": ["export", "schedule", "--format", "csv"],
    "payments": ["export", "payments"],
}


@pytest.fixture
def db(seeded_template, tmp_path):
    path = tmp_path / "c.sqlite"
    copy_clinic(seeded_template, path)  # owner-only, as a clinic's file is
    return path


def export(db, what, *args, **kw):
    return run(*EXPORTS[what], "--date", CLINIC_DAY.isoformat(), "--db", str(db), "--user", "super",
               *args, **kw)


def export_events(db) -> int:
    with raw_connect(db) as conn:
        return conn.execute("SELECT count(*) FROM audit_events WHERE action LIKE '%.export'").fetchone()[0]


def lax_umask():
    os.umask(0o022)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("what", EXPORTS)
def test_a_new_export_is_owner_only_whatever_the_umask(db, what, tmp_path):
    out = tmp_path / f"fresh-{what}.csv"
    result = export(db, what, "--output", str(out), preexec_fn=lax_umask)
    assert result.returncode == 0, result.stderr
    assert mode(out) == 0o600
    assert out.read_text().startswith(("date,", "receipt_number,"))
    assert export_events(db) == 1


@pytest.mark.parametrize("what", EXPORTS)
def test_an_existing_world_readable_file_is_replaced_owner_only(db, what, tmp_path):
    out = tmp_path / "old.csv"
    out.write_text("last week's export\n")
    out.chmod(0o644)
    assert export(db, what, "--output", str(out)).returncode == 0
    assert mode(out) == 0o600 and "last week" not in out.read_text()


@pytest.mark.parametrize("what", EXPORTS)
def test_a_symbolic_link_is_refused_and_not_followed(db, what, tmp_path):
    elsewhere = tmp_path / "elsewhere.csv"
    link = tmp_path / "link.csv"
    link.symlink_to(elsewhere)
    assert "symbolic link" in one_line_error(export(db, what, "--output", str(link)))
    assert link.is_symlink() and not elsewhere.exists()
    elsewhere.write_text("someone else's file\n")
    one_line_error(export(db, what, "--output", str(link)))
    assert elsewhere.read_text() == "someone else's file\n"
    assert export_events(db) == 0


@pytest.mark.parametrize("what", EXPORTS)
def test_a_fifo_or_a_folder_is_refused_and_left_in_place(db, what, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert "not a regular file" in one_line_error(export(db, what, "--output", str(fifo)))
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert "folder" in one_line_error(export(db, what, "--output", str(tmp_path)))
    assert "no folder" in one_line_error(export(db, what, "--output", str(tmp_path / "gone" / "x.csv")))
    assert export_events(db) == 0


def limit_file_size():
    # A regular file that cannot grow past 1 KB: the write fails half-way (EFBIG), like a full disk.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))


@pytest.mark.parametrize("what", EXPORTS)
def test_a_failed_write_leaves_no_file_and_no_audit_event(db, what, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    # Another desk has the database open, so its shared-memory file is already full size and
    # the size limit only bites on the export.
    desk = raw_connect(db)
    desk.execute("SELECT count(*) FROM audit_events").fetchone()
    try:
        result = export(db, what, "--output", str(folder / "day.csv"), preexec_fn=limit_file_size)
    finally:
        desk.close()
    assert one_line_error(result).startswith(f"coordinator: cannot write {folder / 'day.csv'}: ")
    assert list(folder.iterdir()) == []
    assert export_events(db) == 0
    assert run("audit", "verify", "--db", str(db)).returncode == 0


@pytest.mark.parametrize("what", EXPORTS)
def test_standard_output_that_cannot_be_written_is_one_line_and_not_audited(db, what):
    # Writing to /dev/full through an open descriptor only fails the write; the device is untouched.
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "coordinator_tui", *EXPORTS[what], "--date",
                                 CLINIC_DAY.isoformat(), "--db", url_for(db), "--user", "super",
                                 "--output", "-"], stdout=full, stderr=subprocess.PIPE, text=True,
                                timeout=180)
    assert "cannot write to standard output: No space left on device" in one_line_error(result)
    assert export_events(db) == 0


@pytest.mark.parametrize("what", EXPORTS)
def test_dash_is_standard_output_and_an_empty_name_is_refused(db, what, tmp_path):
    # Run from tmp_path so a file literally named "-" would show up there.
    env = {"PYTHONPATH": str(REPO)}
    result = export(db, what, "--output", "-", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(("date,", "receipt_number,"))
    assert not (tmp_path / "-").exists()
    before = sorted(p.name for p in tmp_path.iterdir())
    empty = export(db, what, "--output", "", cwd=tmp_path, env=env)
    assert "needs a file name" in one_line_error(empty) and empty.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert export_events(db) == 1
    assert "standard output" in run(*EXPORTS[what], "--help").stdout


@pytest.mark.sqlite_only("an output file that is the clinic's own SQLite file")
@pytest.mark.parametrize("what", EXPORTS)
def test_an_export_aimed_at_the_clinic_database_is_refused(db, what, tmp_path):
    before = db.read_bytes()
    line = one_line_error(export(db, what, "--output", str(db)))
    assert "is the clinic's database" in line
    assert db.read_bytes() == before
    with raw_connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
