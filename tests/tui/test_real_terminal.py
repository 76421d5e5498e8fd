"""A real terminal: the installed `coordinator` command in tmux at 80x24 with TERM=linux. An
express-ready demo patient is checked in by keys (letters, Enter, Enter), then the status is read
back from the database file with sqlite3. (tests/terminal/ covers every TERM.)"""

from __future__ import annotations

from tests.helpers.realterm import (
    STATUS_POLL,
    Tmux,
    app_command,
    appointment_status,
    express_ready_patient,
    needs_real_terminal,
    seed_database,
    sign_in,
    wait_for,
)

pytestmark = needs_real_terminal


def test_check_in_by_keys_in_a_real_80x24_linux_terminal(tmp_path):
    db = tmp_path / "real.sqlite"
    today = seed_database(db)
    row = express_ready_patient(db, today)
    with Tmux(app_command(db, tmp_path, "linux"), tmp_path / "raw.bin") as pane:
        sign_in(pane)  # sign in first, as a desk does
        pane.type(row.patient_name.split(",")[0].lower())
        pane.keys("Enter")
        pane.wait_screen("Ready - Enter checks in")
        pane.keys("Enter")
        assert wait_for(lambda: appointment_status(db, row.id) == "arrived", step=STATUS_POLL), pane.screen()
        assert wait_for(lambda: "Checked in" in pane.screen() or "Find:" in pane.screen())
    assert appointment_status(db, row.id) == "arrived"
