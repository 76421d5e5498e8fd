"""FHIR Schedule and Slot into the provider's availability: the official R4 examples, pointed at
one of our providers and moved to a day ahead, import as follows. The Schedule links the EHR's
book to the provider; a busy-unavailable Slot becomes a block on the Availability screen (a visit
already booked in it gets a rebook callback); a free Slot inside the weekly hours is free
already; a free Slot outside them, and busy ones, are left out with their reason named; the same
file twice changes nothing more. A Slot of a Schedule we do not have refuses the whole file."""

from __future__ import annotations

import json
import sqlite3

import pytest

from coordinator_tui.errors import UserError
from coordinator_tui.services import schedule as booking
from coordinator_tui.services.exchange.fhir_import import import_fhir
from coordinator_tui.services.schedule.availability import provider_availability
from coordinator_tui.services.staff.actors import actor_for
from tests.conftest import SHARED_DATA
from tests.helpers.hl7 import slot

EXAMPLES = SHARED_DATA / "fhir_r4_examples"
OUTSIDE_HOURS = "Slot (free outside the provider's weekly hours: we keep no one-off hours)"


def example(name: str) -> dict:
    resource = json.loads((EXAMPLES / name).read_text())
    resource.pop("text", None)
    return resource


def at(hour: int, minute: int = 0) -> str:
    return slot(hour, minute).isoformat()


def bundle(npi: str) -> dict:
    doctor = {"resourceType": "Practitioner", "id": "doc", "name": [{"family": "Okafor", "given": ["Ada"]}],
              "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": npi}]}
    book = example("Schedule-exampleloc1.json")
    book["actor"][0]["reference"] = "Practitioner/doc"
    slots = []
    for name, start, end in (("Slot-3.json", at(10), at(11)),          # busy-unavailable
                             ("Slot-example.json", at(9), at(9, 15)),  # free, in the hours
                             ("Slot-1.json", at(9, 15), at(9, 30)),    # busy
                             ("Slot-2.json", at(9, 45), at(10))):      # busy-tentative
        resource = example(name)
        resource.update(schedule={"reference": "Schedule/exampleloc1"}, start=start, end=end)
        slots.append(resource)
    late = example("Slot-example.json")
    late.update(id="late", schedule={"reference": "Schedule/exampleloc1"}, start=at(22), end=at(22, 15))
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": r} for r in (doctor, book, *slots, late)]}


def rows(path, sql, *args):
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, args).fetchall()


def test_schedule_and_slots_become_the_providers_availability(ctx, seeded_path, tmp_path):
    supervisor = actor_for(ctx, "super")
    npi = rows(seeded_path, "SELECT npi FROM providers WHERE id = 1")[0][0]
    booked = booking.book(ctx, supervisor, 41, 1, "FU", slot(10, 20))  # in the time the EHR blocks
    path = tmp_path / "book.json"
    path.write_text(json.dumps(bundle(npi)))
    report = import_fhir(ctx, supervisor, path)
    assert report.applied == {"Schedule": 1, "Slot": 1}
    assert report.skipped == {"Slot (busy: the booking comes as its Appointment)": 1,
                              "Slot (busy-tentative: the booking comes as its Appointment)": 1,
                              OUTSIDE_HOURS: 1}
    assert report.already == 2  # our provider (same NPI) and the free slot in the hours
    shown = provider_availability(ctx, supervisor, 1, slot(9).date()).exceptions
    blocks = [e for e in shown if e.starts_at == slot(10) and e.ends_at == slot(11)]
    assert [(b.kind, b.reason) for b in blocks] == [("block", "Dr Careful is out of the office")]
    assert rows(seeded_path, "SELECT reason, note FROM callbacks WHERE appointment_id = ?",
                booked.appointment_id) == [("rebook", "Time blocked (from the EHR): rebook")]
    assert rows(seeded_path, "SELECT count(*) FROM audit_events WHERE action = 'availability.block'") == [(1,)]
    again = import_fhir(ctx, supervisor, path)
    assert again.applied == {} and again.already == 4  # provider, schedule, block, free slot
    assert rows(seeded_path, "SELECT count(*) FROM availability_exceptions WHERE provider_id = 1 "
                             "AND reason = 'Dr Careful is out of the office'") == [(1,)]


def test_a_slot_in_a_later_file_finds_its_schedule_by_the_link(ctx, seeded_path, tmp_path):
    supervisor = actor_for(ctx, "super")
    npi = rows(seeded_path, "SELECT npi FROM providers WHERE id = 1")[0][0]
    first = bundle(npi)
    first["entry"] = first["entry"][:2]  # the practitioner and the schedule only
    (tmp_path / "a.json").write_text(json.dumps(first))
    assert import_fhir(ctx, supervisor, tmp_path / "a.json").applied == {"Schedule": 1}
    away = bundle(npi)["entry"][2]["resource"]
    (tmp_path / "b.json").write_text(json.dumps(away))
    assert import_fhir(ctx, supervisor, tmp_path / "b.json").applied == {"Slot": 1}


def test_a_slot_of_an_unknown_schedule_refuses_the_whole_file(ctx, seeded_path, tmp_path):
    supervisor = actor_for(ctx, "super")
    npi = rows(seeded_path, "SELECT npi FROM providers WHERE id = 1")[0][0]
    mixed = bundle(npi)
    stray = example("Slot-3.json")
    stray.update(id="stray", start=at(12), end=at(13))  # still Schedule/example: not ours
    mixed["entry"].append({"resource": stray})
    (tmp_path / "mixed.json").write_text(json.dumps(mixed))
    with pytest.raises(UserError, match=r"mixed.json entry 8 \(Slot/stray\): schedule Schedule/example is not one "
                                        r"we have .*nothing was imported"):
        import_fhir(ctx, supervisor, tmp_path / "mixed.json")
    assert rows(seeded_path, "SELECT count(*) FROM availability_exceptions WHERE reason = "
                             "'Dr Careful is out of the office'") == [(0,)]
