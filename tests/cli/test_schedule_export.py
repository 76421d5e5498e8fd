"""`coordinator export schedule`: the day sheet as CSV, iCalendar or text, run as a real process."""

from __future__ import annotations

import csv
import io
import stat

import pytest

from coordinator_tui.services.schedule.schedule_view import day_schedule
from tests.conftest import CLINIC_DAY
from tests.helpers.cli import run


def export(path, *args):
    return run("--db", str(path), "export", "schedule", "--user", "demo", *args)


@pytest.fixture
def expected(ctx, desk_user):
    return day_schedule(ctx, desk_user, CLINIC_DAY).appointments


def test_csv_lists_every_appointment_of_the_day(seeded_path, expected):
    result = export(seeded_path, "--date", CLINIC_DAY.isoformat(), "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [int(r["appointment_id"]) for r in rows] == [a.id for a in expected]
    assert rows[0]["mrn"] == expected[0].mrn and rows[0]["status"] == expected[0].status.value


def test_one_provider_as_text(seeded_path, expected):
    result = export(seeded_path, "--date", CLINIC_DAY.isoformat(), "--provider", "chen", "--format", "txt")
    assert result.returncode == 0, result.stderr
    chen = [a for a in expected if a.provider == "CHEN"]
    assert "CHEN" in result.stdout.splitlines()[0]
    assert all(a.mrn in result.stdout for a in chen)
    assert not any(a.mrn in result.stdout for a in expected if a.provider != "CHEN")


def test_ics_is_a_calendar_of_active_appointments(seeded_path, expected, tmp_path):
    out = tmp_path / "day.ics"
    result = export(seeded_path, "--date", CLINIC_DAY.isoformat(), "--format", "ics", "--output", str(out))
    assert result.returncode == 0 and result.stdout == ""
    text = out.read_bytes().decode("utf-8")
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert text.count("BEGIN:VEVENT") == sum(a.active for a in expected)
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


@pytest.mark.parametrize("args, message", [
    (("--date", "2/30"), "not a real date"), (("--date", ""), "Enter a date"),
    (("--date", "T", "--provider", "NOBODY"), "no provider"),
    (("--date", "T", "--format", "pdf"), "invalid choice"),
    (("--date", "T\x07"), "control"),
])
def test_bad_input_is_one_line_and_exit_2(seeded_path, args, message):
    result = export(seeded_path, *args)
    assert result.returncode == 2 and result.stdout == ""
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
