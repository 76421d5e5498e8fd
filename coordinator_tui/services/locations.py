"""The clinic's locations, and which one a desk works at.

A clinic network keeps several locations in one database: one patient, one MRN, many places.
Each desk runs at a location (the `desk_location` setting, or `--location` when the app starts);
its Check-in board and Schedule show that location's day, and another's (or all) on request.
A desk with no location set, or a clinic with one location, sees everything, as before.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from coordinator_tui.errors import UserError
from coordinator_tui.services.context import AppContext
from coordinator_tui.store.models import Location


@dataclass(frozen=True)
class Place:
    id: int
    name: str


ALL_LOCATIONS = "All locations"


def clinic_locations(ctx: AppContext) -> list[Place]:
    """Every location, by name."""
    with ctx.db.read() as session:
        return [Place(i, n) for i, n in session.execute(select(Location.id, Location.name)
                                                        .order_by(Location.name))]


def find_location(ctx: AppContext, name: str | None) -> Place | None:
    """The location called `name` (case and spacing forgiven); None for no name. An unknown name
    is refused with the names that exist, so a typo in a setting is seen at start-up."""
    if name is None or not name.strip():
        return None
    wanted = " ".join(name.split()).casefold()
    places = clinic_locations(ctx)
    for place in places:
        if place.name.casefold() == wanted:
            return place
    known = ", ".join(p.name for p in places) or "none yet"
    raise UserError(f"no location named {name.strip()[:60]!r}; locations: {known}")


def desk_location(ctx: AppContext) -> Place | None:
    """Where this desk works (the `desk_location` setting), or None for every location."""
    return find_location(ctx, ctx.settings.desk_location)


def next_place(places: list[Place], current: Place | None) -> Place | None:
    """The location after `current` in the desk's cycle: all, then each location by name, then
    all again. With one location there is nothing to cycle through."""
    cycle: list[Place | None] = [None, *places]
    index = next((i for i, p in enumerate(cycle) if p == current), 0)
    return cycle[(index + 1) % len(cycle)]


def place_words(place: Place | None) -> str:
    return place.name if place is not None else ALL_LOCATIONS
