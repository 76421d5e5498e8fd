"""The README's first quick-start command: `coordinator demo` builds today's clinic in the user's
data directory, reuses it on the next start, and opens the app on it in a real terminal."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coordinator_tui.clock import CLOCK_VARIABLE
from tests.conftest import CLINIC_NOW
from tests.helpers.cli import run
from tests.helpers.engines import raw_connect


def test_demo_builds_in_the_data_directory_then_reuses_it(tmp_path):
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    first = run("demo", "--no-open", "--patients", "400", env=env)
    assert first.returncode == 0, first.stderr
    demo_db = tmp_path / "data" / "coordinator" / "demo.sqlite"
    assert demo_db.exists() and "Demo clinic ready" in first.stderr
    assert oct(demo_db.stat().st_mode & 0o777) == "0o600"
    inode = demo_db.stat().st_ino
    second = run("demo", "--no-open", "--patients", "400", env=env)
    assert second.returncode == 0 and "Demo clinic ready" not in second.stderr
    assert demo_db.stat().st_ino == inode  # reused, not rebuilt
    conn = raw_connect(demo_db)
    assert conn.execute("SELECT count(*) FROM patients").fetchone()[0] == 400
    conn.close()


def test_demo_refuses_to_overwrite_a_database_that_is_not_a_demo(tmp_path):
    db = tmp_path / "real-clinic.sqlite"
    assert run("db", "upgrade", "--db", str(db)).returncode == 0
    before = db.read_bytes()
    result = run("demo", "--no-open", "--db", str(db))
    assert result.returncode == 2 and "not made by demo; nothing was changed" in result.stderr
    assert db.read_bytes() == before


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_demo_opens_the_check_in_desk_in_a_real_terminal(tmp_path):
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"),
           "TERM": "xterm-256color"}
    assert run("demo", "--no-open", "--patients", "300", env=env).returncode == 0
    session = "demo"
    # A private tmux server (-L): a server already running elsewhere would lend the app its own
    # environment; and the environment is spelled out in the command for the same reason.
    tmux = ["tmux", "-L", f"coordinator-test-{os.getpid()}"]
    command = (f"env HOME={tmp_path} XDG_DATA_HOME={tmp_path / 'data'} TERM=xterm-256color "
               f"{CLOCK_VARIABLE}={CLINIC_NOW.isoformat()} "
               f"{sys.executable} -m coordinator_tui demo --patients 300")
    subprocess.run([*tmux, "new-session", "-d", "-s", session, "-x", "80", "-y", "24", command],
                   check=True, env=env, cwd=Path(__file__).resolve().parents[2])
    def capture() -> str:
        return subprocess.run([*tmux, "capture-pane", "-p", "-t", session], capture_output=True,
                              text=True).stdout

    try:
        screen = ""
        for _ in range(60):  # the sign-in screen, with the demo user filled in
            time.sleep(0.5)
            screen = capture()
            if "Password" in screen:
                break
        assert "Password" in screen, screen
        assert "Demo clinic: sign in as demo / demo" in screen, screen  # a demo names its logins
        time.sleep(1.0)  # let the sign-in screen finish mounting before typing
        subprocess.run([*tmux, "send-keys", "-t", session, "demo", "Enter"], check=True)
        for _ in range(60):
            time.sleep(0.5)
            screen = capture()
            if "Expected" in screen and "Dana Demo" in screen:
                break
        assert "Check-in" in screen and "Expected" in screen and "Dana Demo" in screen, screen
        subprocess.run([*tmux, "send-keys", "-t", session, "F3"], check=True)
        time.sleep(1.5)
        screen = capture()
        assert "Schedule" in screen and "(today)" in screen, screen
        subprocess.run([*tmux, "send-keys", "-t", session, "C-q"], check=True)
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
