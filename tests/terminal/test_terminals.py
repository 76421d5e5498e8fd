"""Every TERM a clinic is likely to have, in a real terminal: the installed `coordinator` command
in tmux at 80x24 for TERM = xterm-256color, xterm, screen, linux and vt100, and with NO_COLOR=1.

For each: sign in, reach every desk with the function keys that terminal really sends (its
terminfo kf2-kf5, sent as raw bytes), with Alt+1-4 (Esc + digit) from the search box and with
Esc then 1-4 typed half a second apart, read F1, search, and check that the header (desk, clock,
user), the table's column headings and the footer's first keys are whole at 80x24. The bytes the app wrote are read too: no mouse reporting
(unless --mouse), nothing blinking, and no 256-colour or true-colour codes where the terminal
doesn't have them. Resizing to 100x30 and back redraws the same screen; the desk writes nothing
while idle.

One seeded database for the module; each terminal gets its own app process.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.conftest import CLINIC_NOW
from tests.helpers.realterm import (
    MOUSE_ON,
    Tmux,
    app_command,
    blinking_sgr,
    needs_real_terminal,
    open_context,
    seed_database,
    sign_in,
    wait_for,
)
from tests.helpers.term_colours import MANY_COLOURS, assert_readable, function_key, hues

pytestmark = needs_real_terminal

IDLE_WINDOW = 15.0  # seconds an idle desk must write nothing (a blinking cursor writes twice a second)

# desk: (number of its F-key and Alt digit, header title, column headings that must be whole)
DESKS = {
    "checkin": (2, "Check-in", ("#", "Time", "Patient", "Age", "Prov", "Type", "Status", "Wait")),
    "schedule": (3, "Schedule", ("Time",)),
    "patients": (4, "Patients", ("#", "Name", "Born", "MRN", "Phone", "Next")),
    "callbacks": (5, "Callbacks", ("#", "Prio", "Due", "Patient", "Reason", "Tries")),
}
TERMINALS = [
    pytest.param("xterm-256color", {}, id="xterm-256color"),
    pytest.param("xterm", {}, id="xterm"),
    pytest.param("screen", {}, id="screen"),
    pytest.param("linux", {}, id="linux"),
    pytest.param("vt100", {}, id="vt100"),
    pytest.param("xterm-256color", {"NO_COLOR": "1"}, id="NO_COLOR"),
]
CLOCK = re.compile(r"\b\d{2}:\d{2}\b")
@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    """One seeded clinic for the module, and a family name that only one patient has."""
    from coordinator_tui.domain.names import name_key
    from coordinator_tui.services.desk_views import day_appointments
    from coordinator_tui.services.staff.actors import actor_for

    folder = tmp_path_factory.mktemp("terminals")
    db = folder / "clinic.sqlite"
    today = seed_database(db)
    ctx = open_context(db)
    try:
        rows = day_appointments(ctx, actor_for(ctx, "demo"), today)
        everyone = [r.patient_name for r in rows]
        family = next(n.split(",")[0] for n in everyone
                      if n.split(",")[0].isascii() and n.split(",")[0].isalpha()
                      and sum(name_key(n.split(",")[0]) in name_key(o) for o in everyone) == 1)
    finally:
        ctx.db.dispose()
    return db, family


def assert_whole(lines: list[str], desk: str) -> None:
    """Header (desk, clock, user), column headings and the footer's first keys, uncut."""
    _number, title, headings = DESKS[desk]
    header, footer = lines[0], lines[23]
    assert header.startswith(f" {title} │"), lines
    assert CLOCK.search(header) and header.rstrip().endswith("Dana Demo"), header
    heading_line = next((line for line in lines[1:6] if line.split()[:1] == [headings[0]]), None)
    assert heading_line is not None, lines
    assert set(headings) <= set(heading_line.split()), heading_line
    if desk == "schedule":
        assert len(heading_line.split()) >= 4, heading_line  # Time and at least three providers
    assert footer.startswith(" F1 Keys  F2-5,9 Desks"), footer


def go(pane: Tmux, desk: str, send) -> list[str]:
    send()
    title = DESKS[desk][1]
    assert wait_for(lambda: pane.lines()[0].startswith(f" {title} │"), timeout=10), pane.screen()
    pane.wait_quiet(quiet=0.3)
    lines = pane.lines()
    assert len(lines) >= 24
    assert_readable(pane)
    return lines


@pytest.mark.parametrize(("term", "env"), TERMINALS)
def test_every_desk_by_keys_at_80x24(clinic, tmp_path, term, env):
    db, family = clinic
    with Tmux(app_command(db, tmp_path, term, **env), tmp_path / "raw.bin") as pane:
        lines = sign_in(pane).split("\n")
        pane.wait_quiet(quiet=0.3)
        assert_whole(pane.lines(), "checkin")
        assert_readable(pane)
        assert any(word in "\n".join(lines) for word in ("Done", "Arrived", "No-show", "Booked")), \
            "a status is a word, readable without colour"

        # The function keys this terminal really sends. vt100 has PF1-PF4 only: its "F5" is the
        # keypad's 5 and the Callbacks desk is Alt+4 there.
        for desk in ("schedule", "patients", "callbacks", "checkin"):
            sequence = function_key(term, DESKS[desk][0])
            if term == "vt100" and desk == "callbacks":
                continue
            assert sequence, f"{term} has no kf{DESKS[desk][0]}"
            assert_whole(go(pane, desk, lambda s=sequence: pane.send_bytes(s)), desk)

        # Alt+digit from the check-in search box (where the cursor always is): Esc + digit.
        for desk in ("schedule", "patients", "callbacks", "checkin"):
            assert_whole(go(pane, desk, lambda d=desk: pane.keys(f"M-{DESKS[d][0] - 1}")), desk)
        assert "Find:" in pane.screen() and "¡" not in pane.screen()

        # Esc, then the digit at a person's pace (two keys, not Alt's one sequence): the fallback
        # where neither function keys nor Alt arrive. The Esc has nothing to back out of here.
        def esc_then(digit: int) -> None:
            pane.keys("Escape")
            time.sleep(0.5)
            pane.keys(str(digit))

        for desk in ("schedule", "patients", "callbacks", "checkin"):
            assert_whole(go(pane, desk, lambda d=desk: esc_then(DESKS[d][0] - 1)), desk)
        assert "Find:" in pane.screen() and not re.search(r"Find: *\d", pane.screen())

        # F1 lists every desk with both of its keys (vt100's F1 is PF1: \eOP, like xterm's).
        pane.send_bytes(function_key(term, 1))
        helped = pane.wait_screen("Keys", "F5 / Alt+4")
        for number, name in ((2, "Check-in"), (3, "Schedule"), (4, "Patients"), (5, "Callbacks")):
            assert f"F{number} / Alt+{number - 1}  {name} desk" in helped
        assert "F12 / ^l" in helped and "^p" in helped
        pane.keys("Escape")
        assert wait_for(lambda: "Esc closes" not in pane.screen(), timeout=10)

        # A search narrows the day's list to the one patient, named whole on the line under it.
        pane.type(family.lower())
        assert wait_for(lambda: family in pane.screen()
                        and sum(family in line for line in pane.lines()[4:22]) == 1
                        and pane.lines()[22].strip().startswith(family)
                        and not pane.lines()[5].strip().startswith("2 "), timeout=10), pane.screen()

        raw = pane.raw()
    assert raw, "pipe-pane saw nothing"
    assert not [seq for seq in MOUSE_ON if seq in raw], "mouse reporting is off unless --mouse"
    assert not blinking_sgr(raw), "nothing blinks"
    assert b"\x1b[?12h" not in raw and not re.search(rb"\x1b\[[135] q", raw), "no blinking cursor"
    if env.get("NO_COLOR"):
        assert not hues(raw), "NO_COLOR: greys only"
    elif "256color" not in term:
        assert not MANY_COLOURS.search(raw), f"{term}: 16 colours only"


@pytest.mark.parametrize("term", ["xterm-256color", "vt100"])
def test_resizing_redraws(clinic, tmp_path, term):
    """100x30 uses the room; back at 80x24 the screen is as it was (digits aside: the clock).
    COLUMNS and LINES exported by a login script must not pin the size (Textual believes them)."""
    db, _family = clinic
    with Tmux(app_command(db, tmp_path, term, COLUMNS="80", LINES="24"), tmp_path / "raw.bin") as pane:
        sign_in(pane)
        pane.wait_quiet(quiet=0.5)
        before = pane.screen()
        pane.resize(100, 30)
        assert wait_for(lambda: len(pane.lines()) >= 30 and pane.lines()[29].startswith(" F1 Keys"),
                        timeout=10), pane.screen()
        assert pane.lines()[0].startswith(" Check-in │") and pane.size() == (100, 30)
        assert "Dana Demo" in pane.lines()[0] and pane.lines()[0].rstrip().endswith("Dana Demo")
        pane.resize(80, 24)
        assert wait_for(lambda: pane.lines()[23].startswith(" F1 Keys"), timeout=10)
        pane.wait_quiet(quiet=0.5)
        digits = re.compile(r"\d")
        assert digits.sub("0", pane.screen()) == digits.sub("0", before)
        assert_whole(pane.lines(), "checkin")


def test_mouse_reporting_only_with_the_mouse_flag(clinic, tmp_path):
    db, _family = clinic
    with Tmux(app_command(db, tmp_path, "xterm-256color", args=("--mouse",)),
              tmp_path / "raw.bin") as pane:
        sign_in(pane)
        assert wait_for(lambda: b"\x1b[?1000h" in pane.raw(), timeout=10)
        raw = pane.raw()
    assert b"\x1b[?1006h" in raw  # SGR mouse coordinates, so wide terminals work too


def test_the_desk_sits_still_while_nobody_types(clinic, tmp_path):
    """Idle bandwidth: with the cursor in the search box (a blinking cursor would repaint twice a
    second), 15 quiet seconds away from the minute's clock tick write nothing at all."""
    db, _family = clinic
    # The app's clock starts at CLINIC_NOW when the process starts and runs forward, so its minute
    # tick falls a known time after the launch, whatever the machine's own clock says.
    tick_after = 60 - CLINIC_NOW.second - CLINIC_NOW.microsecond / 1e6
    launched = time.monotonic()
    with Tmux(app_command(db, tmp_path, "xterm-256color"), tmp_path / "idle.bin") as pane:
        sign_in(pane)
        pane.wait_quiet(quiet=1.0)
        if time.monotonic() - launched + IDLE_WINDOW > tick_after - 2:
            time.sleep(max(0.0, tick_after + 2 - (time.monotonic() - launched)))  # after the tick
            pane.wait_quiet(quiet=1.0)
        start = pane.raw_size()
        time.sleep(IDLE_WINDOW)
        written = pane.raw_size() - start
    assert written == 0, f"an idle desk wrote {written} bytes in {IDLE_WINDOW:.0f} s"
