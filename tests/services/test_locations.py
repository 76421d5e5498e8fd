"""Several clinics in one database: each desk shows its own location's day, another's on
request; the day sheet and the reports take a location; the patient is one across them."""

from __future__ import annotations

import pytest

from coordinator_tui.errors import UserError
from coordinator_tui.services.desk_views import day_appointments
from coordinator_tui.services.locations import (
    clinic_locations,
    find_location,
    next_place,
    place_words,
)
from coordinator_tui.services.patients.lookup import search_patients
from coordinator_tui.services.reports import run_report
from coordinator_tui.services.schedule.export import as_txt, day_sheet
from coordinator_tui.services.schedule.schedule_view import FREE, day_schedule
from coordinator_tui.services.staff.actors import actor_for
from tests.helpers.locations import NORTH, clinic_network


def test_the_check_in_list_shows_one_location_or_all(ctx, desk_user):
    net = clinic_network(ctx)
    north = day_appointments(ctx, desk_user, net.day, net.north.id)
    main = day_appointments(ctx, desk_user, net.day, net.main.id)
    everyone = day_appointments(ctx, desk_user, net.day)
    assert [r.id for r in north] == [net.north_visit_id]
    assert [r.id for r in main] == [net.main_visit_id]
    assert sorted(r.id for r in everyone) == sorted([net.north_visit_id, net.main_visit_id])


def test_the_schedule_at_a_location_shows_who_works_there_and_its_hours(ctx, desk_user):
    net = clinic_network(ctx)
    north = day_schedule(ctx, desk_user, net.day, net.north.id)
    assert [c.short_name for c in north.providers] == [net.provider]
    assert [a.id for a in north.appointments] == [net.north_visit_id]
    # 09:00-12:00 in 20-minute slots is 9 rows; one holds the visit, the other 8 are free.
    assert sum(cell.kind == FREE for cell in north.providers[0].cells) == 8
    main = day_schedule(ctx, desk_user, net.day, net.main.id)
    assert net.north_visit_id not in [a.id for a in main.appointments]
    # The provider usually works at the main location: still listed there, with no free slot
    # that day (those hours are at North now), so nobody books them at the wrong place.
    column = next(c for c in main.providers if c.short_name == net.provider)
    assert not any(cell.kind == FREE for cell in column.cells)
    everything = day_schedule(ctx, desk_user, net.day)
    assert {a.id for a in everything.appointments} == {net.north_visit_id, net.main_visit_id}


def test_the_day_sheet_takes_a_location_and_names_it(ctx, desk_user):
    net = clinic_network(ctx)
    sheet = day_sheet(ctx, desk_user, net.day, place=net.north)
    assert [a.id for a in sheet.appointments] == [net.north_visit_id]
    assert f"- {NORTH}" in as_txt(sheet, ctx.settings.tz).splitlines()[0]
    assert len(day_sheet(ctx, desk_user, net.day).appointments) == 2


def test_reports_count_one_location_when_asked(ctx):
    net = clinic_network(ctx)
    supervisor = actor_for(ctx, "super")
    booked = lambda report: next(r[2] for r in report.rows if r[1] == "Booked")  # noqa: E731
    north = run_report(ctx, supervisor, "day", net.day, net.day, location="north  CLINIC")
    everywhere = run_report(ctx, supervisor, "day", net.day, net.day)
    assert booked(north) == 1 and booked(everywhere) == 2
    assert north.title.endswith(f"at {NORTH}") and NORTH not in everywhere.title


def test_an_unknown_location_is_refused_with_the_names_that_exist(ctx):
    clinic_network(ctx)
    with pytest.raises(UserError) as refused:
        find_location(ctx, "Nrth clinic")
    assert "Nrth clinic" in str(refused.value) and NORTH in str(refused.value)
    assert find_location(ctx, "  ") is None
    with pytest.raises(UserError):
        run_report(ctx, actor_for(ctx, "super"), "day", ctx.today(), ctx.today(), location="Nowhere")


def test_ctrl_o_cycles_every_location_then_each_then_every_again(ctx):
    clinic_network(ctx)
    places = clinic_locations(ctx)
    assert len(places) == 2
    seen, current = [], None
    for _ in range(4):
        current = next_place(places, current)
        seen.append(place_words(current))
    assert seen == ["Main clinic", NORTH, "All locations", "Main clinic"]


def test_a_patient_is_found_across_the_network(ctx, desk_user):
    """One patient, one MRN, many clinics: the lookup is not narrowed by the desk's location."""
    net = clinic_network(ctx)
    row = day_appointments(ctx, desk_user, net.day, net.north.id)[0]
    hits = search_patients(ctx, desk_user, row.mrn, limit=5)
    assert [h.id for h in hits][:1] == [row.patient_id]
