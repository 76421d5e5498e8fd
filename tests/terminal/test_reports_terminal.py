"""The Reports desk in a real terminal (issue 18 point 5): the installed `coordinator` in tmux at
80x24, in 16 colours (TERM=xterm, linux) and with NO_COLOR=1. F9 as that terminal sends it opens
the desk; every bar carries its number as text (rate, no-shows/visits), the same numbers are one
key away as a table, the week-over-week line chart and its table are one key further. The bytes
the app wrote hold no 256-colour or true-colour codes where the terminal has 16, and only greys
with NO_COLOR; no text is drawn in its own background colour.
"""

from __future__ import annotations

import re

import pytest

from tests.helpers.realterm import (
    Tmux,
    app_command,
    needs_real_terminal,
    seed_database,
    sign_in,
    wait_for,
)
from tests.helpers.term_colours import MANY_COLOURS, assert_readable, function_key, hues

pytestmark = needs_real_terminal

# " OKAFOR    ████████████▌          13.7% 32/233": label, bar, rate, no-shows/visits
BAR = re.compile(r"^(\S+)\s+[█▏▎▍▌▋▊▉]*\s+(\d+\.\d)% (\d+)/(\d+)$")


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    db = tmp_path_factory.mktemp("reports-terminal") / "clinic.sqlite"
    seed_database(db)
    return db


def bars(lines: list[str]) -> dict[str, tuple[str, int, int]]:
    found = {}
    for line in lines:
        match = BAR.match(line.strip())
        if match:
            label, percent, missed, visits = match.groups()
            found[label] = (percent, int(missed), int(visits))
    return found


@pytest.mark.parametrize(("term", "env"), [
    pytest.param("xterm", {}, id="xterm-16-colours"),
    pytest.param("linux", {}, id="linux-console"),
    pytest.param("xterm-256color", {"NO_COLOR": "1"}, id="NO_COLOR"),
])
def test_reports_desk_reads_as_numbers_in_16_colours_and_without_colour(clinic, tmp_path, term, env):
    command = app_command(clinic, tmp_path, term, args=("--user", "super"), **env)
    with Tmux(command, tmp_path / "raw.bin") as pane:
        sign_in(pane)
        pane.send_bytes(function_key(term, 9))
        assert wait_for(lambda: pane.lines()[0].startswith(" Reports │")
                        and len(bars(pane.lines())) >= 3, timeout=30), pane.screen()
        pane.wait_quiet(quiet=0.3)
        assert_readable(pane)
        shown = bars(pane.lines())
        for label, (percent, missed, visits) in shown.items():
            assert percent == f"{100 * missed / visits:.1f}", (label, percent, missed, visits)

        pane.keys("t")  # the chart's numbers as a table: the same counts, row by row
        assert wait_for(lambda: "Rate %" in pane.screen(), timeout=10), pane.screen()
        table = {line.split()[0]: line.split()[1:] for line in pane.lines()[4:23] if line.split()}
        for label, (percent, missed, visits) in shown.items():
            attended = visits - missed
            assert table[label] == [str(attended), str(missed), str(visits), percent], (label, table[label])
        assert_readable(pane)

        pane.keys("t", "l")  # back to the bars, then the weekly trend as a line chart
        assert wait_for(lambda: "by week │" in pane.screen() and "week starting" in pane.screen(),
                        timeout=30), pane.screen()
        pane.wait_quiet(quiet=0.3)
        assert_readable(pane)
        pane.keys("t")
        assert wait_for(lambda: "Week of" in pane.screen(), timeout=10), pane.screen()
        weeks = [line.split() for line in pane.lines()[3:23] if re.match(r"^ ?\d{4}-\d{2}-\d{2} ", line)]
        assert len(weeks) >= 2 and all(re.fullmatch(r"\d+\.\d|-", value) for _week, value in weeks), weeks
        raw = pane.raw()
    if env.get("NO_COLOR"):
        assert not hues(raw), "NO_COLOR: greys only"
    else:
        assert not MANY_COLOURS.search(raw), f"{term}: 16 colours only"
