"""FHIR Practitioner, Location and Appointment imported inside the FHIR import's transaction.

Practitioner: linked to our provider with the same NPI; one we do not have is added inactive
(it appears on no schedule until an admin gives it hours and turns it on). Location: linked to
ours by name, else added. Appointment: a booked/pending/proposed one is booked with the
schedule desk's checks (book_in); other statuses are counted, not imported."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from coordinator_tui.errors import UserError
from coordinator_tui.interop.fhir import mapping
from coordinator_tui.interop.fhir.read import Entry, instant
from coordinator_tui.services.exchange.hl7_schedule import book_in
from coordinator_tui.services.exchange.links import find_local, link
from coordinator_tui.services.exchange.refusal import Refused
from coordinator_tui.store.models import AppointmentType, Location, Patient, Provider

SYSTEM = "fhir"
BOOKABLE = {"booked", "pending", "proposed"}


def _short_name(session, family: str) -> str:
    base = re.sub(r"[^A-Z]", "", family.upper())[:12] or "PROVIDER"
    name, n = base, 1
    while session.scalar(select(Provider.id).where(Provider.short_name == name)) is not None:
        n += 1
        name = f"{base}{n}"
    return name


def practitioner(work, entry: Entry) -> None:
    session, resource = work.session, entry.resource
    rid = resource.get("id")
    local = find_local(session, SYSTEM, "provider", rid) if rid else None
    number = mapping.npi(resource)
    if local is None and number:
        local = session.scalar(select(Provider.id).where(Provider.npi == number))
    if local is None:
        display, family = mapping.practitioner_name(resource)
        if not display:
            raise UserError(f"{entry.where}: a practitioner needs a name; nothing was imported")
        provider = Provider(display_name=display, short_name=_short_name(session, family or display),
                            npi=number, active=False)
        session.add(provider)
        session.flush()
        local = provider.id
        work.report.applied["Practitioner"] += 1
    else:
        work.report.already += 1
    if rid:
        link(session, SYSTEM, "provider", rid, local)
    work.remember(entry, "Practitioner", local)


def location(work, entry: Entry) -> None:
    session, resource = work.session, entry.resource
    rid = resource.get("id")
    name = (resource.get("name") or "").strip()[:120]
    local = find_local(session, SYSTEM, "location", rid) if rid else None
    if local is None and name:
        local = session.scalar(select(Location.id).where(Location.name == name))
    if local is None:
        if not name:
            raise UserError(f"{entry.where}: a location needs a name; nothing was imported")
        address = resource.get("address") or {}
        text = ", ".join([*(address.get("line") or []), address.get("city") or ""]).strip(", ")
        place = Location(name=name, address=text[:300] or None)
        session.add(place)
        session.flush()
        local = place.id
        work.report.applied["Location"] += 1
    else:
        work.report.already += 1
    if rid:
        link(session, SYSTEM, "location", rid, local)
    work.remember(entry, "Location", local)


def appointment(work, entry: Entry) -> None:
    session, resource = work.session, entry.resource
    rid = resource.get("id")
    if rid and find_local(session, SYSTEM, "appointment", rid) is not None:
        work.report.already += 1
        return
    status = resource.get("status")
    if status not in BOOKABLE:
        work.report.skipped[f"Appointment ({status})"] += 1
        return
    refs = mapping.participants(resource)
    patient_id = work.resolve(refs.get("Patient"), "patient")
    if patient_id is None and work.known(refs.get("Patient"), "patient"):
        work.report.notes.append(f"{entry.where}: not booked (its patient is held as a look-alike)")
        return
    if patient_id is None:
        raise UserError(f"{entry.where}: participant {refs.get('Patient', '(no patient)')[:60]} is "
                        f"not a patient we have; nothing was imported")
    provider_id = work.resolve(refs.get("Practitioner"), "provider")
    provider = session.get(Provider, provider_id) if provider_id is not None else None
    if provider is None or not provider.active:
        what = refs.get("Practitioner", "(no practitioner)")[:60]
        raise UserError(f"{entry.where}: practitioner {what} is not one of our providers seeing "
                        f"patients; nothing was imported")
    kind = None
    for code in mapping.appointment_codes(resource):
        kind = session.scalar(select(AppointmentType).where(
            func.upper(AppointmentType.code) == code[:12], AppointmentType.active.is_(True)))
        if kind is not None:
            break
    if kind is None:
        raise UserError(f"{entry.where}: no appointment type of ours (serviceType or "
                        f"appointmentType); nothing was imported")
    starts_at = instant(resource.get("start"))
    if starts_at is None:
        raise UserError(f"{entry.where}: a booking needs a start with its time zone; nothing was imported")
    try:
        made = book_in(session, work.ctx, work.actor, work.now, patient=session.get(Patient, patient_id),
                       starts_at=starts_at, provider=provider, kind=kind,
                       reason=resource.get("description"), via="FHIR Appointment")
    except Refused as exc:
        raise UserError(f"{entry.where}: {exc}; nothing was imported") from None
    if rid:
        link(session, SYSTEM, "appointment", rid, made.id)
    work.report.applied["Appointment"] += 1
