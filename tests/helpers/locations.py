"""A clinic network in the test clinic: a second location, one provider working there on a free
weekday, and one visit booked there (services only, as an admin would set it up)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from coordinator_tui.services.context import AppContext
from coordinator_tui.services.locations import Place
from coordinator_tui.services.schedule import booking
from coordinator_tui.services.schedule.free_slots import find_free_slots
from coordinator_tui.services.schedule.hours import set_weekly_hours
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store.models import Location, Patient, Provider
from tests.conftest import FREE_DAY

NORTH = "North clinic"


@dataclass(frozen=True)
class Network:
    north: Place
    main: Place
    provider_id: int
    provider: str
    day: date
    north_visit_id: int
    main_visit_id: int


def add_north_location(ctx: AppContext) -> Place:
    with ctx.db.write() as session:
        location = Location(name=NORTH, address="1 North Road", phone="+1 617 555 0199")
        session.add(location)
        session.flush()
        return Place(location.id, location.name)


def clinic_network(ctx: AppContext, day: date = FREE_DAY) -> Network:
    """On `day` (a free weekday), the first provider works at North clinic; the second stays at
    the main location. One visit is booked at each."""
    admin = actor_for(ctx, "admin")
    north = add_north_location(ctx)
    with ctx.db.read() as session:
        main_id, main_name = session.execute(select(Location.id, Location.name)
                                             .where(Location.id != north.id).order_by(Location.id)).first()
        (first_id, first_name), (second_id, _) = session.execute(
            select(Provider.id, Provider.short_name).where(Provider.active.is_(True))
            .order_by(Provider.short_name).limit(2)).all()
        patients = session.scalars(select(Patient.id).where(Patient.merged_into_id.is_(None))
                                   .order_by(Patient.id).limit(2)).all()
    set_weekly_hours(ctx, admin, first_id, day.weekday(), hours=[(9 * 60, 12 * 60)], slot_minutes=20,
                     location_id=north.id, valid_from=day)
    visits = []
    for provider_id, patient_id in ((first_id, patients[0]), (second_id, patients[1])):
        slot = find_free_slots(ctx, admin, provider_id=provider_id, type_code="FU", after=day,
                                       limit=1)[0]
        assert slot.starts_at.date() == day or slot.starts_at.astimezone(ctx.settings.tz).date() == day
        visits.append(booking.book(ctx, admin, patient_id, provider_id, "FU", slot.starts_at).appointment_id)
    return Network(north, Place(main_id, main_name), first_id, first_name, day, visits[0], visits[1])
