"""The command line takes a location: the day sheet and the reports of one clinic of the network;
a desk started at a location that does not exist is refused with the names that do."""

from __future__ import annotations

import csv
import io

from tests.helpers.cli import one_line_error, run
from tests.helpers.locations import NORTH, clinic_network


def test_the_day_sheet_of_one_location(ctx, seeded_path):
    net = clinic_network(ctx)
    result = run("--db", str(seeded_path), "export", "schedule", "--user", "demo", "--date",
                 net.day.isoformat(), "--location", "north clinic", "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [int(r["appointment_id"]) for r in rows] == [net.north_visit_id]


def test_a_report_of_one_location(ctx, seeded_path):
    net = clinic_network(ctx)
    result = run("--db", str(seeded_path), "report", "day", "--user", "super", "--from",
                 net.day.isoformat(), "--to", net.day.isoformat(), "--location", NORTH, "--format", "csv")
    assert result.returncode == 0, result.stderr
    counts = {r["item"]: r["count"] for r in csv.DictReader(io.StringIO(result.stdout))}
    assert counts["Booked"] == "1" and counts["All appointments"] == "1"


def test_an_unknown_location_is_one_clear_line(ctx, seeded_path):
    clinic_network(ctx)
    for args in (("export", "schedule", "--user", "demo", "--date", "T", "--location", "Sounth"),
                 ("report", "day", "--user", "super", "--location", "Sounth")):
        line = one_line_error(run("--db", str(seeded_path), *args))
        assert "Sounth" in line and NORTH in line


def test_a_desk_started_at_an_unknown_location_is_refused_before_it_opens(ctx, seeded_path):
    clinic_network(ctx)
    line = one_line_error(run("--db", str(seeded_path), "run", "--location", "Sounth"))
    assert "no location named 'Sounth'" in line
    line = one_line_error(run("--db", str(seeded_path), "run", env={"COORDINATOR_DESK_LOCATION": "Sounth"}))
    assert "no location named 'Sounth'" in line


def test_a_provider_is_given_hours_at_another_location_by_its_name(ctx, seeded_path):
    """Providers work at several locations: one weekday's hours at North clinic, by name."""
    net = clinic_network(ctx)
    result = run("--db", str(seeded_path), "schedule", "hours", net.provider, "--user", "admin",
                 "--weekday", "tue", "--hours", "13:00-16:00", "--location", "north CLINIC",
                 "--from", net.day.isoformat())
    assert result.returncode == 0, result.stderr
    tuesday = [line for line in result.stdout.splitlines() if line.strip().startswith("tue")]
    assert tuesday == ["  tue  13:00-16:00  slot 20m  at North clinic  types all"]
    line = one_line_error(run("--db", str(seeded_path), "schedule", "hours", net.provider, "--user",
                              "admin", "--weekday", "tue", "--off", "--location", "Sounth"))
    assert "no location named 'Sounth'" in line
