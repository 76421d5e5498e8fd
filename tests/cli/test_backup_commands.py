"""`coordinator backup` and `coordinator restore` as an admin runs them: real processes."""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import stat

from tests.helpers.cli import one_line_error, run, run_process
from tests.helpers.engines import raw_connect


def _contents(path) -> list[str]:
    """What the clinic file holds, as SQL: its bytes can change without its contents when a
    later process checkpoints the write-ahead log into it."""
    with contextlib.closing(raw_connect(path)) as conn:
        return list(conn.iterdump())


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
    before = _contents(seeded_path)
    assert "damaged" in one_line_error(run("restore", str(damaged), "--yes", "--db", db,
                                           "--user", "admin"))
    notdb = tmp_path / "notes.txt"
    notdb.write_text("hello\n" * 100)
    assert "not an SQLite database" in one_line_error(
        run("restore", str(notdb), "--yes", "--db", db, "--user", "admin"))
    assert _contents(seeded_path) == before  # refused restores changed nothing
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


def backup_events(db) -> int:
    with raw_connect(db) as conn:
        return conn.execute("SELECT count(*) FROM audit_events WHERE action = 'backup'").fetchone()[0]


def test_backup_never_replaces_a_fifo_a_link_or_a_folder_even_with_force(seeded_path, tmp_path):
    db = str(seeded_path)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    kept = tmp_path / "kept.sqlite"
    kept.write_text("not ours\n")
    link = tmp_path / "link.sqlite"
    link.symlink_to(kept)
    for target, words in ((fifo, "not a regular file"), (link, "symbolic link"),
                          (tmp_path, "is a folder")):
        for force in ([], ["--force"]):
            line = one_line_error(run("backup", str(target), *force, "--db", db, "--user", "super"))
            assert words in line
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert link.is_symlink() and kept.read_text() == "not ours\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]
    assert backup_events(seeded_path) == 0


def test_backup_where_nothing_can_be_created_is_one_clear_line(seeded_path):
    line = one_line_error(run("backup", "/proc/x", "--db", str(seeded_path), "--user", "super"))
    assert line.startswith("coordinator: cannot write /proc/x: ")
    assert backup_events(seeded_path) == 0


def limit_file_size():
    # Files cannot grow past 1 KB: the copy fails half-way (EFBIG), as on a full disk.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))


def test_a_backup_that_cannot_be_written_leaves_nothing(seeded_path, tmp_path):
    folder = tmp_path / "usb"
    folder.mkdir()
    # A desk has the database open, so its shared-memory file is already full size and the
    # size limit only bites on the copy.
    desk = raw_connect(seeded_path)
    desk.execute("SELECT count(*) FROM audit_events").fetchone()
    try:
        # A real process: the file-size limit must apply to the command alone, not the tests.
        result = run_process("backup", str(folder / "b.sqlite"), "--db", str(seeded_path),
                             "--user", "super", preexec_fn=limit_file_size)
    finally:
        desk.close()
    assert one_line_error(result).startswith(f"coordinator: cannot write {folder / 'b.sqlite'}: ")
    assert list(folder.iterdir()) == []
    assert backup_events(seeded_path) == 0
