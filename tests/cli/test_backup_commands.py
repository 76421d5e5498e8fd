"""`coordinator backup` and `coordinator restore` as an admin runs them: real processes."""

from __future__ import annotations

import shutil
import stat

from tests.cli.test_cli import one_line_error, run


def test_backup_then_restore_from_the_command_line(seeded_path, tmp_path):
    db = str(seeded_path)
    dest = tmp_path / "out" / "b.sqlite"
    dest.parent.mkdir()
    done = run("backup", str(dest), "--db", db, "--user", "super")
    assert done.returncode == 0, done.stderr
    assert "integrity ok" in done.stdout
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    assert "already exists" in one_line_error(run("backup", str(dest), "--db", db,
                                                  "--user", "super"))
    assert "may not" in one_line_error(run("backup", str(tmp_path / "x.sqlite"), "--db", db,
                                           "--user", "demo"))
    assert run("backup", str(dest), "--force", "--db", db, "--user", "super").returncode == 0

    damaged = tmp_path / "damaged.sqlite"
    shutil.copyfile(dest, damaged)
    with open(damaged, "r+b") as f:
        f.truncate(damaged.stat().st_size // 3)
    before = seeded_path.read_bytes()
    assert "damaged" in one_line_error(run("restore", str(damaged), "--yes", "--db", db,
                                           "--user", "admin"))
    notdb = tmp_path / "notes.txt"
    notdb.write_text("hello\n" * 100)
    assert "not an SQLite database" in one_line_error(
        run("restore", str(notdb), "--yes", "--db", db, "--user", "admin"))
    assert seeded_path.read_bytes() == before
    # Confirmation needed when not given --yes and there is no terminal.
    assert "--yes" in one_line_error(run("restore", str(dest), "--db", db, "--user", "admin",
                                         input=""))
    restored = run("restore", str(dest), "--yes", "--db", db, "--user", "admin")
    assert restored.returncode == 0, restored.stderr
    assert "Every desk must be closed" in restored.stderr
    assert "restored" in restored.stdout
    assert run("audit", "verify", "--db", db).returncode == 0


def test_backup_help():
    for command in (["backup"], ["restore"]):
        assert run(*command, "--help").returncode == 0
