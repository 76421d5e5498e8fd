"""The Reports desk by keys alone at 80x24: the bars carry their numbers (readable without
colour), the table is one key away, the line chart loads plotext only when shown, and the
front desk sees its own day only."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.reports.desk import ReportsScreen
from tests.conftest import REPO, make_context
from tests.helpers.reports_history import build_history
from tests.helpers.screen import screen_text, settle

SIZE = (80, 24)


@pytest.fixture
def hctx(db_path, clock):
    build_history(db_path)
    context = make_context(db_path, clock)
    yield context
    context.db.dispose()


async def keys(app, pilot, *pressed):
    for key in pressed:
        await pilot.press(key)
        await app.key_gate.wait_until_idle()
        await settle(app, pilot)


def lines(app) -> list[str]:
    return screen_text(app).rstrip("\n").split("\n")


async def test_supervisor_reads_no_shows_as_bars_then_as_a_table(hctx, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = CoordinatorApp(hctx, actor_for(hctx, "boss"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await keys(app, pilot, "f9")
        assert isinstance(app.screen, ReportsScreen)
        await keys(app, pilot, "p")  # 13 weeks to today: every visit of the history
        shown = lines(app)
        assert len(shown) == 24 and all(len(line) <= 80 for line in shown)
        assert "[1 No-shows]" in shown[1]
        assert "2026-08-25 to 2026-11-23 (13 weeks)" in shown[2]
        alpha = next(line for line in shown if line.strip().startswith("ALPHA"))
        assert "█" in alpha and alpha.rstrip().endswith("40.0% 4/10")
        assert any(line.strip().startswith("BETA") and line.rstrip().endswith("0.0% 0/2") for line in shown)
        await keys(app, pilot, "t")
        table = "\n".join(lines(app))
        assert "Attended" in table and "Rate %" in table
        row = next(line.split() for line in lines(app) if line.strip().startswith("ALPHA"))
        assert row == ["ALPHA", "6", "4", "10", "40.0"]
        await keys(app, pilot, "t", "b")  # back to the chart, then by weekday
        assert "by weekday" in lines(app)[2]
        assert any(line.strip().startswith("Fri") and "100.0% 1/1" in line for line in lines(app))


async def test_flow_and_the_week_over_week_line_chart(hctx):
    app = CoordinatorApp(hctx, actor_for(hctx, "boss"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await keys(app, pilot, "f9", "p", "2")
        text = screen_text(app)
        assert "[2 Flow]" in text and "never roomed" in text
        await keys(app, pilot, "l")
        assert type(app.screen).__name__ == "TrendScreen"
        await keys(app, pilot, "t")
        assert "Week of" in screen_text(app) and "2026-10-26" in screen_text(app)
        await keys(app, pilot, "escape")
        assert isinstance(app.screen, ReportsScreen)


async def test_the_sparklines_numbers_are_one_key_away(hctx):
    app = CoordinatorApp(hctx, actor_for(hctx, "boss"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await keys(app, pilot, "f9", "p")
        trend = app.screen.report.trend
        await keys(app, pilot, "T")
        assert type(app.screen).__name__ == "TrendScreen"
        shown = {line.split()[0]: line.split()[1] for line in lines(app)[3:23]
                 if line.split() and line.split()[0][:2] == "20"}
        assert shown == {f"{week:%Y-%m-%d}": "-" if value is None else f"{value:.1f}" for week, value in trend}
        assert len(shown) >= 2


async def test_upcoming_for_a_patient_by_mrn(hctx):
    app = CoordinatorApp(hctx, actor_for(hctx, "boss"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await keys(app, pilot, "f9", "5", *"M000004", "enter")
        text = screen_text(app)
        assert "[5 Upcoming]" in text
        assert "2027-01-05" in text and "2027-05-03" in text and "Cancelled" in text
        assert "2029-01-08" not in text


async def test_the_front_desk_sees_today_only_and_no_period_keys(ctx, desk_user):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await keys(app, pilot, "alt+5")
        assert isinstance(app.screen, ReportsScreen)
        before = lines(app)[2]
        assert "front desk: today only" in before
        footer = lines(app)[-1]
        assert "Period" not in footer and "1-5 Pick" in footer
        await keys(app, pilot, "p", "left_square_bracket")
        assert lines(app)[2] == before
        assert "No-shows by provider" in lines(app)[3]


def test_starting_the_app_does_not_import_plotext():
    code = ("import sys; import coordinator_tui.tui.app; import coordinator_tui.tui.screens.reports.desk; "
            "print('plotext' in sys.modules, 'textual_plotext' in sys.modules, 'fpdf' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                            timeout=60)
    assert result.stdout.split() == ["False", "False", "False"], result.stderr


async def test_x_writes_the_report_with_its_chart_to_an_owner_only_pdf(hctx, tmp_path):
    target = tmp_path / "noshows.pdf"
    app = CoordinatorApp(hctx, actor_for(hctx, "boss"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await keys(app, pilot, "f9", "x", "ctrl+u", *str(target), "enter")
        assert f"Wrote {target}"[:78] in screen_text(app)
    assert target.read_bytes().startswith(b"%PDF")
    assert target.stat().st_mode & 0o777 == 0o600


async def test_a_wrong_export_name_is_said_in_the_prompt_which_stays_open(hctx, tmp_path):
    """QA: a name in a folder that does not exist closed the prompt with a notice; the rest of
    what was typed went to the desk (its x opened the prompt again, and "lsx" was written as a
    text file of that name). A name without .pdf/.csv/.json/.txt was written as text."""
    from coordinator_tui.tui.widgets.prompt import PromptModal

    tmp_path = tmp_path / "exports"
    tmp_path.mkdir()
    app = CoordinatorApp(hctx, actor_for(hctx, "boss"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await keys(app, pilot, "f9", "x", "ctrl+u", *str(tmp_path / "nowhere" / "r.csv"), "enter")
        assert isinstance(app.screen, PromptModal) and "no folder" in screen_text(app)
        for name in ("lsx", "r.xlsx"):
            await keys(app, pilot, "ctrl+u", *str(tmp_path / name), "enter")
            assert isinstance(app.screen, PromptModal) and ".pdf, .csv, .json or .txt" in screen_text(app)
        await keys(app, pilot, "ctrl+u", *str(tmp_path / "r.csv"), "enter")
        assert isinstance(app.screen, ReportsScreen)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["r.csv"]


async def test_the_check_in_board_shows_todays_median_wait(ctx, desk_user):
    from coordinator_tui.services.reports import median_wait_today

    expected = median_wait_today(ctx, desk_user)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        counts = lines(app)[1]
    assert f"Median wait {round(expected.median)}m" in counts
    assert len(counts.rstrip()) <= 80


async def test_v_steps_through_the_providers_and_brackets_move_the_period(hctx):
    app = CoordinatorApp(hctx, actor_for(hctx, "boss"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await keys(app, pilot, "f9", "p", "v")
        assert lines(app)[2].endswith("│ ALPHA") or "│ ALPHA " in lines(app)[2]
        assert "no-show rate 40.0% 4/10" in lines(app)[3]
        assert not any(line.strip().startswith("BETA") for line in lines(app))
        await keys(app, pilot, "v", "v")  # BETA, then every provider again
        assert "all providers" in lines(app)[2]
        await keys(app, pilot, "left_square_bracket")  # the 13 weeks before
        assert "2026-05-26 to 2026-08-24" in lines(app)[2]
        assert "no-show rate - 0/0" in lines(app)[3]


async def test_a_report_taking_over_half_a_second_says_what_it_is_counting(hctx):
    app = CoordinatorApp(hctx, actor_for(hctx, "boss"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await keys(app, pilot, "f9")
        screen = app.screen
        screen._asked_at = time.monotonic() - 0.6  # asked 0.6 s ago and not answered yet
        screen._heard("counting 364 days of visits")
        screen._maybe_progress()
        await pilot.pause()
        assert lines(app)[3].strip() == "Counting 364 days of visits..."


async def test_a_long_note_is_wrapped_whole_not_cut_at_80_columns(hctx):
    app = CoordinatorApp(hctx, actor_for(hctx, "boss"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await keys(app, pilot, "f9", "3")  # collections: its note is 130 characters
        shown = lines(app)
        assert len(shown) == 24 and all(len(line) <= 80 for line in shown)
        text = " ".join(line.strip() for line in shown[-4:-1])
        assert "(else the active primary coverage's copay); a desk user is who checked the patient in." \
            in text


async def test_an_unknown_mrn_leaves_nothing_of_the_report_before_on_screen(hctx):
    app = CoordinatorApp(hctx, actor_for(hctx, "boss"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await keys(app, pilot, "f9", "4")  # the day's summary: bars of visits by status
        assert "Visits by status" in screen_text(app)
        await keys(app, pilot, "5", *"NOSUCH", "enter")
        shown = screen_text(app)
        assert "no patient with MRN 'NOSUCH'" in shown
        assert "Visits by status" not in shown and "█" not in shown
        assert app.screen.report is None  # x has nothing to export
