"""FHIR Schedule and Slot imported inside the FHIR import's transaction, into what our schedule
has: a provider's weekly hours (availability templates) with exceptions taken out of them.

- Schedule: the EHR's name for one of our providers' books. It is linked to the provider its
  Practitioner actor resolves to (interop_links: kind provider, id "Schedule/<id>"), so later
  Slots find the provider. Its planningHorizon, serviceType and Location actors are not kept
  (our hours are weekly templates set at the Availability screen). A Schedule with no
  Practitioner actor (a room's or a service's book) has no provider to belong to: the import is
  refused, naming it; so is one whose practitioner is not ours.
- Slot busy-unavailable: the provider is away: an availability exception (kind block) for its
  start..end with the comment as reason, as the Availability screen's block makes it
  (visits already booked in it get a rebook callback). The same exception twice is one.
- Slot free: inside the provider's weekly hours and not blocked here it is free already
  (counted as already here). Outside them it cannot be imported: our availability has no
  one-off extra hours, only weekly hours; it is left out and counted with that reason. Free in
  the EHR but blocked here: left out (an EHR slot does not remove our block), counted.
- Slot busy / busy-tentative: taken by a booking, which comes as its Appointment; counted, not
  imported. entered-in-error: counted. A Slot in the past changes nothing: counted.
A Slot whose Schedule is neither in the import nor linked before refuses the import, as an
Appointment with an unknown practitioner does."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from coordinator_tui.domain.vocab import AvailabilityExceptionKind, CallbackReason
from coordinator_tui.errors import UserError
from coordinator_tui.interop.fhir.read import Entry, instant
from coordinator_tui.services import audit
from coordinator_tui.services.callback_queue import ensure_open_callback
from coordinator_tui.services.exchange.links import find_local, link
from coordinator_tui.services.schedule.blocks import appointments_in_block
from coordinator_tui.services.schedule.free_slots import blocked_intervals, offers_for_day
from coordinator_tui.store.models import AvailabilityException, Provider

SYSTEM = "fhir"
KIND = "schedule"  # the import's own reference table (work.refs); stored links are "provider"


def schedule(work, entry: Entry) -> None:
    session, resource = work.session, entry.resource
    rid = resource.get("id")
    actors = [(a or {}).get("reference") or "" for a in resource.get("actor") or []]
    doctor = next((a for a in actors if a.startswith("Practitioner/") or
                   work.known(a, "provider")), None)
    if doctor is None:
        named = ", ".join(a for a in actors if a)[:60] or "no actor"
        raise UserError(f"{entry.where}: a Schedule of {named} with no Practitioner: our availability "
                        f"belongs to a provider; nothing was imported")
    provider_id = work.resolve(doctor, "provider")
    provider = session.get(Provider, provider_id) if provider_id is not None else None
    if provider is None:
        raise UserError(f"{entry.where}: practitioner {doctor[:60]} is not one of our providers; "
                        f"nothing was imported")
    if rid:
        if find_local(session, SYSTEM, "provider", f"Schedule/{rid}") == provider.id:
            work.report.already += 1
        else:
            link(session, SYSTEM, "provider", f"Schedule/{rid}", provider.id)
            work.report.applied["Schedule"] += 1
    for key in (entry.full_url, f"Schedule/{rid}" if rid else None, rid):
        if key:
            work.refs[(KIND, key)] = provider.id


def _schedule_provider(work, reference: str) -> int | None:
    for key in (reference, reference.rsplit("/", 1)[-1], f"Schedule/{reference.rsplit('/', 1)[-1]}"):
        if (KIND, key) in work.refs:
            return work.refs[(KIND, key)]
    return find_local(work.session, SYSTEM, "provider", f"Schedule/{reference.rsplit('/', 1)[-1]}")


def slot(work, entry: Entry) -> None:
    resource = entry.resource
    reference = (resource.get("schedule") or {}).get("reference") or ""
    provider_id = _schedule_provider(work, reference) if reference else None
    if provider_id is None:
        raise UserError(f"{entry.where}: schedule {reference[:60] or '(none)'} is not one we have "
                        f"(import its Schedule first); nothing was imported")
    starts_at, ends_at = instant(resource.get("start")), instant(resource.get("end"))
    if starts_at is None or ends_at is None or ends_at <= starts_at:
        raise UserError(f"{entry.where}: a Slot needs a start before its end, with time zones; "
                        f"nothing was imported")
    status = resource.get("status")
    if ends_at <= work.now:
        work.report.skipped["Slot (in the past)"] += 1
    elif status == "busy-unavailable":
        _block(work, provider_id, starts_at, ends_at, resource.get("comment"))
    elif status == "free":
        _free(work, provider_id, starts_at, ends_at)
    elif status in ("busy", "busy-tentative"):
        work.report.skipped[f"Slot ({status}: the booking comes as its Appointment)"] += 1
    else:
        work.report.skipped[f"Slot ({status})"] += 1


def _block(work, provider_id: int, starts_at: datetime, ends_at: datetime, comment) -> None:
    session, actor, at = work.session, work.actor, work.now
    kind = AvailabilityExceptionKind.BLOCK.value
    same = session.scalar(select(AvailabilityException.id).where(
        AvailabilityException.provider_id == provider_id, AvailabilityException.kind == kind,
        AvailabilityException.starts_at == starts_at, AvailabilityException.ends_at == ends_at))
    if same is not None:
        work.report.already += 1
        return
    reason = " ".join(str(comment or "").split())[:200] or "unavailable (from the EHR)"
    exception = AvailabilityException(provider_id=provider_id, kind=kind, starts_at=starts_at,
                                      ends_at=ends_at, reason=reason, created_by_id=actor.id,
                                      created_at=at)
    session.add(exception)
    session.flush()
    affected = appointments_in_block(session, provider_id, starts_at, ends_at)
    for item in affected:
        ensure_open_callback(session, actor, patient_id=item.patient_id, reason=CallbackReason.REBOOK,
                             at=at, due_at=at + timedelta(hours=4), appointment_id=item.id,
                             note="Time blocked (from the EHR): rebook")
    audit.record(session, actor, "availability.block", at, entity="availability_exception",
                 entity_id=exception.id, detail={"provider_id": provider_id, "kind": kind,
                                                 "affected": len(affected), "via": "FHIR Slot"})
    work.report.applied["Slot"] += 1


def _free(work, provider_id: int, starts_at: datetime, ends_at: datetime) -> None:
    session, tz = work.session, work.ctx.settings.tz
    day = starts_at.astimezone(tz).date()
    spans = sorted((start, start + timedelta(minutes=offer.slot_minutes))
                   for offer in offers_for_day(session, tz, [provider_id], day).get(provider_id, [])
                   for start in offer.starts)
    reached = starts_at
    for start, end in spans:
        if start <= reached < end:
            reached = end
    if reached < ends_at:
        work.report.skipped["Slot (free outside the provider's weekly hours: we keep no one-off "
                            "hours)"] += 1
        return
    blocked = blocked_intervals(session, [provider_id], starts_at, ends_at)
    if blocked:
        work.report.skipped["Slot (free in the EHR, blocked here: left blocked)"] += 1
        return
    work.report.already += 1
