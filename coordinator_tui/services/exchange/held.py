"""Deciding a held import (a look-alike patient): register it as a new patient after all, or
say it is the existing patient (the EHR's id is linked to that record; nothing is duplicated or
merged). Supervisors; one write transaction, audited."""

from __future__ import annotations

import json

from sqlalchemy import select

from coordinator_tui.errors import UserError
from coordinator_tui.interop.hl7.parse import Unreadable, read_message
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.exchange.hl7_patients import patient_identifier, upsert_patient
from coordinator_tui.services.exchange.hl7_receive import apply_message
from coordinator_tui.services.exchange.links import link
from coordinator_tui.services.exchange.refusal import Refused
from coordinator_tui.services.permissions import Permission, require
from coordinator_tui.store.models import InteropHeld, InteropInbound, Patient
from coordinator_tui.store.outbox import FROM_INTERFACE


def resolve_held(ctx: AppContext, actor: Actor, held_id: int, *, same_as_mrn: str | None = None,
                 register: bool = False) -> str:
    """Returns the MRN the held record now leads to."""
    require(actor, Permission.MERGE_PATIENTS)
    if register == bool(same_as_mrn):
        raise UserError("say either --register (a new patient) or --same-as MRN (the existing one)")
    now = ctx.now()
    with ctx.db.write() as session:
        session.info[FROM_INTERFACE] = True
        held = session.get(InteropHeld, held_id)
        if held is None or held.resolved_at is not None:
            raise UserError(f"held item {held_id} does not exist or was already decided")
        if same_as_mrn:
            patient = session.scalar(select(Patient).where(Patient.mrn == same_as_mrn.strip().upper()))
            if patient is None or patient.merged_into_id is not None:
                raise UserError(f"no current patient with MRN {same_as_mrn.strip()[:16]}")
        if held.source == "hl7":
            try:
                message = read_message(1, held.payload.encode("utf-8"))
            except Unreadable as exc:
                raise UserError(f"the held message cannot be read again: {exc.reason}") from None
            system, external = message.sender, patient_identifier(message)
            try:
                if register:  # registers and links the EHR's id
                    patient, _ = upsert_patient(session, ctx, actor, message, now, look_alikes_seen=True)
                elif external:
                    link(session, system, "patient", external, patient.id)
                if message.message_type.startswith("SIU") or not register:
                    # Now that the person is settled, the rest of the message: the booking it
                    # carried, or the demographics of the record it turned out to be.
                    apply_message(session, ctx, actor, message)
            except Refused as exc:
                raise UserError(f"{exc}; nothing was decided") from None
            inbound = session.scalar(select(InteropInbound).where(
                InteropInbound.sender == held.sender, InteropInbound.control_id == held.reference))
            if inbound is not None:
                inbound.status, inbound.ack_code = "applied", "AA"
                inbound.ack_text, inbound.patient_id = "decided by a person", patient.id
        else:
            resource = json.loads(held.payload)
            system, external = "fhir", resource.get("id")
            if register:
                from coordinator_tui.interop.fhir import mapping
                from coordinator_tui.services.exchange.hl7_patients import checked_values
                from coordinator_tui.services.patients.editing import new_patient, next_mrn

                try:
                    values, _ = checked_values(ctx, mapping.patient_form(resource), partial=False)
                except Refused as exc:
                    raise UserError(str(exc)) from None
                patient = new_patient(values, mrn=next_mrn(session), now=now, actor_id=actor.id)
                patient.external_id = mapping.synthea_id(resource)
                session.add(patient)
                session.flush()
        if external and held.source == "fhir":
            link(session, system, "patient", external, patient.id)
        held.resolved_at, held.resolved_by_id = now, actor.id
        held.resolution = ("registered as new patient " if register else "same as ") + patient.mrn
        audit.record(session, actor, "interop.held_decided", now, patient_id=patient.id,
                     entity="interop_held", entity_id=held.id,
                     detail={"registered": register, "mrn": patient.mrn})
        return patient.mrn
