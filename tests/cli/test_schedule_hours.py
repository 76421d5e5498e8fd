"""`coordinator schedule hours`: show and set a provider's weekly hours, as a real process; bad
input is one line on stderr, exit 2, and nothing changes."""

from __future__ import annotations

import pytest

from coordinator_tui.domain.hours import parse_blocks, parse_clock, parse_weekday
from tests.helpers.cli import run
from tests.helpers.engines import raw_connect


def hours(path, *args, user="admin"):
    return run("--db", str(path), "schedule", "hours", *args, "--user", user)


def templates(path):
    conn = raw_connect(path)
    rows = conn.execute("SELECT provider_id, weekday, start_minute, end_minute, slot_minutes, valid_from, "
                        "valid_to FROM availability_templates ORDER BY id").fetchall()
    conn.close()
    return rows


def test_show_then_set_one_weekday_from_a_date(seeded_path):
    shown = hours(seeded_path, "chen")
    assert shown.returncode == 0, shown.stderr
    assert "mon  08:00-12:00  slot 20m" in shown.stdout
    result = hours(seeded_path, "chen", "--weekday", "mon", "--start", "09:00", "--end", "12:30",
                   "--slot", "30", "--types", "FU,NEW", "--from", "2027-01-04")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line for line in lines if line.strip().startswith("mon")] == [
        "  mon  09:00-12:30  slot 30m  at Main clinic  types FU,NEW"]  # its name, not "location 1"
    assert "tue  13:00-17:00" in result.stdout  # other weekdays untouched


@pytest.mark.parametrize("args, message", [
    (["--weekday", "mon", "--start", "25:00", "--end", "12:00"], "not a time of day"),
    (["--weekday", "mon", "--start", "12:00", "--end", "08:00"], "end must be after the start"),
    (["--weekday", "mon", "--start", "08:00", "--end", "12:00", "--slot", "0"], "slot length"),
    (["--weekday", "mon", "--hours", "08:00-12:00,11:00-13:00"], "overlap"),
    (["--weekday", "someday", "--off"], "weekday"),
    (["--weekday", "mon"], "give one of"),
    (["--weekday", "mon", "--off", "--from", "2/30"], "not a real date"),
    (["--weekday", "mon", "--hours", ""], "type the hours"),  # empty is not "off": that cancels a day
    (["--weekday", "mon", "--hours", "  "], "type the hours"),
    (["--weekday", "mon", "--off", "--from", "9999-12-31"], "not a clinic day"),
    (["--weekday", "mon", "--off", "--location", "99999999999999999999999"], "does not exist"),
])
def test_bad_input_is_one_line_exit_2_and_changes_nothing(seeded_path, args, message):
    before = templates(seeded_path), callback_count(seeded_path)
    result = hours(seeded_path, "chen", *args)
    assert result.returncode == 2 and message in result.stderr and len(result.stderr.splitlines()) == 1
    assert (templates(seeded_path), callback_count(seeded_path)) == before


def callback_count(path) -> int:
    conn = raw_connect(path)
    try:
        return conn.execute("SELECT count(*) FROM callbacks").fetchone()[0]
    finally:
        conn.close()


def test_front_desk_may_not_change_hours(seeded_path):
    before = templates(seeded_path)
    result = hours(seeded_path, "chen", "--weekday", "mon", "--off", user="demo")
    assert result.returncode == 2 and "may not manage schedule templates" in result.stderr
    assert templates(seeded_path) == before


def test_hours_grammar():
    assert parse_clock("8") == 480 and parse_clock("08:30") == 510 and parse_clock("24:00") == 1440
    for bad in ("24:30", "7:60", "", "８:00", "8:00\x1b", "noon", "123:00"):
        with pytest.raises(ValueError):
            parse_clock(bad)
    assert parse_blocks(" 13:00-17:00, 08:00-12:00 ") == [(480, 720), (780, 1020)]
    assert parse_blocks("off") == []
    for bad in ("08:00", "12:00-08:00", "08:00-12:00,11:00-13:00", "08:00-08:00", "", "  "):
        with pytest.raises(ValueError):
            parse_blocks(bad)
    assert parse_weekday("Monday") == 0 and parse_weekday("sun") == 6
    with pytest.raises(ValueError):
        parse_weekday("xyz")


def test_taking_a_day_off_lists_the_booked_patients_and_adds_rebook_callbacks(seeded_path):
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from tests.conftest import CLINIC_DAY, CLINIC_TZ

    conn = raw_connect(seeded_path)
    rows = conn.execute(
        "SELECT a.starts_at, a.patient_id, p.mrn FROM appointments a JOIN providers v ON v.id = a.provider_id "
        "JOIN patients p ON p.id = a.patient_id WHERE lower(v.short_name) = 'chen' "
        "AND a.status IN ('scheduled', 'confirmed') ORDER BY a.starts_at").fetchall()
    rebooks_before = conn.execute("SELECT count(*) FROM callbacks WHERE reason = 'rebook'").fetchone()[0]
    conn.close()
    tz = ZoneInfo(CLINIC_TZ)
    local = [((s if isinstance(s, datetime) else datetime.fromisoformat(s)).replace(tzinfo=UTC).astimezone(tz), pid, mrn)
             for s, pid, mrn in rows]  # text on SQLite, a timestamptz on PostgreSQL
    future = [row for row in local if row[0].date() > CLINIC_DAY]
    assert future, "the demo books chen after the clinic day"
    day = future[0][0].date()
    booked = [row for row in future if row[0].weekday() == day.weekday()]

    result = hours(seeded_path, "chen", "--weekday", f"{day:%a}".lower(), "--off", "--from", day.isoformat())
    assert result.returncode == 0, result.stderr
    patients = {pid for _t, pid, _m in booked}
    assert f"{len(booked)} appointment(s) booked outside the new hours; {len(patients)} rebook callback(s) added" \
        in result.stdout, result.stdout
    assert all(mrn in result.stdout for _t, _p, mrn in booked)
    conn = raw_connect(seeded_path)
    assert conn.execute("SELECT count(*) FROM callbacks WHERE reason = 'rebook'").fetchone()[0] \
        == rebooks_before + len(patients)
    conn.close()
