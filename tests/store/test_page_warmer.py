"""The background read that fills the page cache before the first search (store/page_warmer.py)."""

from __future__ import annotations

from coordinator_tui.store import page_warmer
from coordinator_tui.store.page_warmer import warm_page_cache


def test_the_whole_database_file_is_read_and_left_unchanged(seeded_path):
    before = seeded_path.read_bytes()
    assert warm_page_cache(seeded_path) == len(before)
    assert seeded_path.read_bytes() == before


def test_a_database_too_big_for_the_free_memory_is_not_pushed_through_the_cache(seeded_path, monkeypatch):
    size = seeded_path.stat().st_size
    monkeypatch.setattr(page_warmer, "free_memory_bytes", lambda: size)  # half of it is too little
    assert warm_page_cache(seeded_path) == 0
    monkeypatch.setattr(page_warmer, "free_memory_bytes", lambda: size * 3)
    assert warm_page_cache(seeded_path) == size


def test_no_file_or_an_unreadable_one_is_skipped_quietly(tmp_path):
    assert warm_page_cache(None) == 0
    assert warm_page_cache(tmp_path / "missing.sqlite") == 0
    assert warm_page_cache(tmp_path) == 0  # a directory


def test_warming_never_drops_sqlites_locks_so_another_desk_cannot_delete_the_live_wal(seeded_path):
    """Closing any descriptor of the database file drops every POSIX lock this process holds on
    it (SQLite's "how to corrupt" list, 2.2). If the warmer did that while a desk had the file
    open, the next desk process to close its last connection would think itself the only one
    and delete the WAL: this desk's later check-ins would go to an unlinked file, lost."""
    import sqlite3
    import subprocess
    import sys

    desk = sqlite3.connect(seeded_path, isolation_level=None)  # this desk, open all along
    try:
        desk.execute("PRAGMA journal_mode = WAL")
        desk.execute("SELECT count(*) FROM patients").fetchone()
        assert warm_page_cache(seeded_path) > 0
        another_desk = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
                        "c.execute('SELECT 1 FROM patients LIMIT 1').fetchall(); c.close()")
        subprocess.run([sys.executable, "-c", another_desk, str(seeded_path)], check=True, timeout=60)
        desk.execute("UPDATE patients SET given_name = 'Warmed' WHERE id = 1")
        reader = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
                  "print(c.execute('SELECT given_name FROM patients WHERE id = 1').fetchone()[0])")
        seen = subprocess.run([sys.executable, "-c", reader, str(seeded_path)], check=True,
                              capture_output=True, text=True, timeout=60).stdout.strip()
        assert seen == "Warmed", "this desk's write went to a WAL another process deleted"
    finally:
        desk.close()
