"""`kill -USR1` on a running desk writes where it is (tui/stack_report.py), for support when a
desk froze: the installed command in tmux, a real signal, the real file.

The report must say where every thread and task is and what the key queue holds, be readable by
its owner only, name no patient, and leave the desk working.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import stat

from tests.helpers.realterm import (
    Tmux,
    app_command,
    needs_real_terminal,
    seed_database,
    sign_in,
    wait_for,
)

pytestmark = needs_real_terminal


def test_sigusr1_writes_where_the_desk_is_owner_only_and_names_no_patient(tmp_path):
    db = tmp_path / "clinic.sqlite"
    seed_database(db, patients=120)
    conn = sqlite3.connect(db)
    families = {name for (name,) in conn.execute("SELECT family_name FROM patients")}
    conn.close()
    with Tmux(app_command(db, tmp_path), tmp_path / "raw.bin") as pane:
        board = sign_in(pane)
        shown = {name for name in families if len(name) >= 4 and name in board}
        assert shown, f"no patient on the check-in board to look for:\n{board}"
        pane.type("zq")  # letters in the search box: the report must not repeat what was typed
        pid = int(pane.run("display-message", "-p", "-t", "desk", "#{pane_pid}").stdout)
        report = tmp_path / "data" / "coordinator" / "stack-reports" / f"stacks-{pid}.txt"

        os.kill(pid, signal.SIGUSR1)

        assert wait_for(lambda: report.exists() and "== end" in report.read_text(), timeout=15)
        text = report.read_text()
        assert stat.S_IMODE(report.stat().st_mode) == 0o600
        # the event loop's thread (the signal's: "Current") and Textual's input and output ones
        assert "Current thread" in text and text.count("Thread 0x") >= 2
        assert "key-gate: key_gate.py" in text  # the key queue's task, and where it waits
        assert "mode checkin: CheckinScreen" in text
        assert "focused: Input#checkin-search" in text
        # counts and reasons only: "zq" may still be queued or its search out, never shown
        assert re.search(r"keys: \d+ queued, delivering or settling: (True|False), holds: ", text)
        assert not [name for name in shown if name in text]
        assert "zq" not in text, text[max(0, text.find("zq") - 300):text.find("zq") + 100]
        pane.keys("F4")  # the desk goes on working after its report
        pane.wait_screen("Patients")
