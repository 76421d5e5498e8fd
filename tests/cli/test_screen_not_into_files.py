"""The app refuses to draw the screen into a file or pipe (issue #22, point 5): Textual draws on
stderr, so `coordinator run 2>file` wrote patient names into the file. With stdout or stderr not
a terminal it stops with one clear line and exit status 2, and the file gets nothing else."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest

from coordinator_tui.clock import CLOCK_VARIABLE
from tests.conftest import CLINIC_NOW
from tests.helpers.engines import url_for


@pytest.mark.parametrize("redirected", ["stderr", "stdout"])
def test_run_refuses_to_draw_into_a_file(seeded_path, tmp_path, redirected):
    leader, follower = pty.openpty()
    out_file = tmp_path / "screen.txt"
    try:
        with open(out_file, "w") as handle:
            streams = {"stdin": follower, "stdout": follower, "stderr": follower, redirected: handle}
            result = subprocess.run(
                [sys.executable, "-m", "coordinator_tui", "run", "--user", "demo", "--db", url_for(seeded_path)],
                timeout=60, env={**os.environ, CLOCK_VARIABLE: CLINIC_NOW.isoformat(), "TERM": "xterm"},
                **streams)
    finally:
        os.close(follower)
        os.close(leader)
    assert result.returncode == 2
    written = out_file.read_text()
    if redirected == "stderr":
        lines = written.strip().splitlines()
        assert len(lines) == 1 and "will not draw it into a file or pipe" in lines[0], written
    else:
        assert written == ""  # nothing drawn: not a frame, not a name
    assert "\x1b[" not in written
