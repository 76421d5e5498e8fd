"""A killed backup leaves nothing behind for long (issue #22, point 5): its hidden partial copy
(a full copy of the patients' data) is owner-only from birth, and the next backup in that folder
removes it. A real process is killed with SIGKILL mid-copy."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time

from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.services.staff.backups import backup
from coordinator_tui.store import backup_file
from tests.conftest import REPO

SLOW_BACKUP = """
import sys, time
from pathlib import Path
from tests.conftest import make_context
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.services.staff.backups import backup
ctx = make_context(Path(sys.argv[1]))
folder = Path(sys.argv[2]).parent
def crawl(stage, done, total):
    # SQLite keeps the copy's first pages in its cache: go fast until they reach the partial
    # file, then crawl, so that the parent's SIGKILL lands mid-copy.
    time.sleep(0.5 if any(p.stat().st_size > 0 for p in folder.glob("*.partial")) else 0)
backup(ctx, actor_for(ctx, "super"), Path(sys.argv[2]), progress=crawl, pages_per_step=16)
"""


def _partials(folder):
    return sorted(p for p in folder.iterdir() if p.name.endswith(".partial"))


def test_the_partial_copy_of_a_killed_backup_is_removed_by_the_next_run(ctx, seeded_path, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    target = folder / "clinic.sqlite"
    old_umask = os.umask(0)
    try:
        child = subprocess.Popen([sys.executable, "-c", SLOW_BACKUP, str(seeded_path), str(target)], cwd=REPO)
    finally:
        os.umask(old_umask)
    try:
        deadline = time.monotonic() + 60
        while not any(p.stat().st_size > 0 for p in _partials(folder)):
            assert child.poll() is None and time.monotonic() < deadline, "the backup never started"
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    left = _partials(folder)
    assert len(left) == 1 and not target.exists()
    assert stat.S_IMODE(left[0].stat().st_mode) == 0o600  # never readable, even under umask 000
    assert str(child.pid) in left[0].name

    report = backup(ctx, actor_for(ctx, "super"), target)
    assert report.path == target and backup_file.check_file(target) is None
    assert _partials(folder) == [] and sorted(p.name for p in folder.iterdir()) == ["clinic.sqlite"]


def test_a_partial_copy_of_a_running_backup_is_left_alone(tmp_path):
    """Another backup still copying (its process alive) keeps its file."""
    target = tmp_path / "other.sqlite"
    mine = backup_file.temp_beside(target, "partial")
    alive = tmp_path / f".other.sqlite.{os.getppid()}.abcdefgh.partial"
    alive.write_bytes(b"copy in progress")
    legacy_recent = tmp_path / ".other.sqlite.abcdefgh.partial"
    legacy_recent.write_bytes(b"an older version's copy, just made")
    legacy_old = tmp_path / ".older.sqlite.zyxwvuts.partial"
    legacy_old.write_bytes(b"an older version's copy, long abandoned")
    os.utime(legacy_old, (time.time() - 3600, time.time() - 3600))
    reused = tmp_path / f".third.sqlite.{os.getppid()}.abcdefgh.partial"  # a process id used again
    reused.write_bytes(b"a copy untouched for two days")
    os.utime(reused, (time.time() - 2 * 86400, time.time() - 2 * 86400))
    removed = backup_file.remove_abandoned(tmp_path, "partial")
    assert sorted(removed) == sorted([legacy_old, reused])
    assert mine.exists() and alive.exists() and legacy_recent.exists()
