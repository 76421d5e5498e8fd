"""PRAGMA data_version on a dedicated connection sees another connection's commit, once."""

from __future__ import annotations

import subprocess
import sys

from coordinator_tui.store.change_watcher import ChangeWatcher
from tests.helpers.engines import raw_connect


def test_another_connection_commit_is_seen_once(seeded_path):
    watcher = ChangeWatcher(seeded_path)
    try:
        assert watcher.changed() is False
        other = raw_connect(seeded_path)
        other.execute("INSERT INTO settings (key, value) VALUES ('watch-test', 'x')")
        other.commit()
        other.close()
        assert watcher.changed() is True
        assert watcher.changed() is False
    finally:
        watcher.close()


def test_another_process_commit_is_seen(seeded_path):
    watcher = ChangeWatcher(seeded_path)
    try:
        code = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
                "c.execute(\"INSERT INTO settings (key, value) VALUES ('watch-test', 'x')\"); c.commit()")
        subprocess.run([sys.executable, "-c", code, str(seeded_path)], check=True)
        assert watcher.changed() is True
    finally:
        watcher.close()


def test_a_rolled_back_write_is_not_a_change(seeded_path):
    watcher = ChangeWatcher(seeded_path)
    try:
        other = raw_connect(seeded_path)
        other.execute("INSERT INTO settings (key, value) VALUES ('watch-test', 'x')")
        other.rollback()
        other.close()
        assert watcher.changed() is False
    finally:
        watcher.close()
