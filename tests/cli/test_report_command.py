"""coordinator report: the desk's numbers on the command line, as text (bars with their numbers),
CSV, JSON and PDF; bad input is one line and exit 2; files are owner-only and audited."""

from __future__ import annotations

import csv
import io
import json
import stat
from datetime import date

import pytest

from coordinator_tui.services.reports import run_report
from coordinator_tui.services.staff.actors import actor_for
from tests.conftest import make_context
from tests.helpers.cli import one_line_error, run
from tests.helpers.reports_history import build_history

PERIOD = ("--from", "2026-10-26", "--to", "2026-11-08")


@pytest.fixture
def history(db_path):
    build_history(db_path)
    return db_path


def report(db, *args, user="boss"):
    return run("report", *args, "--db", str(db), "--user", user)


def test_text_has_the_table_and_bars_with_their_numbers(history):
    result = report(history, "no-shows", *PERIOD, "--by", "lead")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert any(line.startswith("29+ days") and "50.0% 2/4" in line and "█" in line for line in lines)
    assert "No-show rate = no-shows / (attended + no-shows): 36.4% 4/11." in result.stdout


def test_csv_and_json_give_the_same_numbers_as_the_desk(history):
    ctx = make_context(history)
    expected = run_report(ctx, actor_for(ctx, "boss"), "collections", date(2026, 10, 26),
                          date(2026, 11, 8), by="user")
    ctx.db.dispose()
    as_csv = list(csv.reader(io.StringIO(report(history, "collections", *PERIOD, "--format", "csv").stdout)))
    assert as_csv[0] == ["group", "visits_due", "paid_in_full", "due_cents", "collected_cents", "rate_percent"]
    assert as_csv[1:] == [[str(v) if not isinstance(v, float) else f"{v:.1f}" for v in row]
                          for row in expected.rows]
    as_json = json.loads(report(history, "collections", *PERIOD, "--format", "json").stdout)
    assert [list(r.values()) for r in as_json["rows"]] == [list(row) for row in expected.rows]
    assert as_json["from"] == "2026-10-26" and as_json["by"] == "user"


def test_pdf_and_csv_files_are_owner_only_and_audited(history, tmp_path):
    target = tmp_path / "noshow.pdf"
    result = report(history, "no-shows", *PERIOD, "--format", "pdf", "--output", str(target))
    assert result.returncode == 0, result.stderr
    assert target.read_bytes().startswith(b"%PDF")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    sheet = tmp_path / "flow.csv"
    assert report(history, "flow", *PERIOD, "--format", "csv", "-o", str(sheet)).returncode == 0
    assert stat.S_IMODE(sheet.stat().st_mode) == 0o600
    assert sheet.read_text().startswith("group,measure,n,median_min,p90_min,not_reached")
    shown = run("audit", "show", "--db", str(history), "--as", "boss", "--user", "boss")
    assert shown.stdout.count("report.export") == 2, shown.stdout


@pytest.mark.parametrize(("args", "words"), [
    (("no-shows", "--from", "someday"), "--from"),
    (("no-shows", *PERIOD, "--by", "moon"), "cut by provider"),
    (("flow", "--from", "2026-11-08", "--to", "2026-10-26"), "before it starts"),
    (("no-shows", *PERIOD, "--provider", "GAMMA"), "no provider 'GAMMA'"),
    (("upcoming",), "MRN"),
    (("no-shows", *PERIOD, "--format", "pdf"), "--output FILE.pdf"),
])
def test_bad_input_is_one_line_and_exit_2(history, args, words):
    line = one_line_error(report(history, *args))
    assert words in line


def test_the_front_desk_gets_today_only(history):
    assert report(history, "day", user="desk1").returncode == 0
    assert "only today's reports" in one_line_error(report(history, "no-shows", *PERIOD, user="desk1"))


def test_upcoming_by_mrn(history):
    result = report(history, "upcoming", "--patient", "M000004", "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert [line.split(",")[0] for line in result.stdout.splitlines()[1:]] == \
        ["2027-01-05", "2027-02-01", "2027-05-03"]


def test_a_slow_report_shows_a_progress_line_on_a_terminal(monkeypatch):
    import time

    from coordinator_tui.commands import report_commands

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr(report_commands.sys, "stderr", screen)
    monkeypatch.setattr(report_commands, "SLOW_SECONDS", 0.05)

    def slow(say):
        say("counting 364 days of visits")
        time.sleep(0.4)
        return "done"

    assert report_commands._with_progress(slow) == "done"
    shown = screen.getvalue()
    assert "counting 364 days of visits..." in shown
    assert shown.endswith("\r")  # the line is cleared once the report is ready
    quiet = Terminal()
    monkeypatch.setattr(report_commands.sys, "stderr", quiet)
    monkeypatch.setattr(report_commands, "SLOW_SECONDS", 0.5)  # a quick report: no line
    assert report_commands._with_progress(lambda say: "quick") == "quick"
    assert quiet.getvalue() == ""


def test_text_prints_every_label_whole(history):
    result = report(history, "day", "--from", "2026-11-02", "--to", "2026-11-02")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for label in ("Incoming referrals", "Outgoing referrals", "Authorisations", "All appointments"):
        assert any(label in line for line in lines), f"{label!r} cut short:\n{result.stdout}"
    assert all(len(line) <= 80 for line in lines)
