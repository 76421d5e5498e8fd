"""`coordinator import fhir FILE|DIR`: Patient, Coverage (also as Synthea keeps it, contained in
ExplanationOfBenefit), Practitioner, Location, Appointment, Schedule and Slot resources, single
or in Bundles, applied with the desk's rules (fhir_schedule.py, fhir_slots.py), all in one write
transaction or none. Every resource of every file is validated first (R4B plus our code
checks); one malformed resource refuses the whole import, naming the file and entry. A patient
who looks like one we have is held for a person (interop_held), never merged or duplicated.
Other resource types are read and validated but not imported (the report counts them)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select

from coordinator_tui.domain.vocab import CoverageRank
from coordinator_tui.errors import UserError
from coordinator_tui.interop.fhir import mapping
from coordinator_tui.interop.fhir.read import Entry, Malformed, read_path
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.exchange import fhir_schedule, fhir_slots
from coordinator_tui.services.exchange.hl7_patients import checked_values
from coordinator_tui.services.exchange.links import find_local, link
from coordinator_tui.services.exchange.refusal import Refused
from coordinator_tui.services.patients.editing import duplicates_in, new_patient, next_mrn
from coordinator_tui.store.models import Coverage, InteropHeld, Patient, Payer
from coordinator_tui.store.outbox import FROM_INTERFACE

SYSTEM = "fhir"
_KINDS = {"Patient": "patient", "Practitioner": "provider", "Location": "location"}
RANKS = {1: CoverageRank.PRIMARY, 2: CoverageRank.SECONDARY, 3: CoverageRank.TERTIARY}


@dataclass
class FhirReport:
    files: int = 0
    resources: int = 0
    applied: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    already: int = 0
    held: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False


class _DryRun(Exception):
    pass


class _Import:
    def __init__(self, session, ctx: AppContext, actor: Actor, report: FhirReport):
        self.session, self.ctx, self.actor, self.report = session, ctx, actor, report
        self.now = ctx.now()
        # (kind, fullUrl | "Type/id" | id) -> our row's id (a held patient: None)
        self.refs: dict[tuple[str, str], int | None] = {}
        self.seen_coverage: set[tuple[int, str, str]] = set()

    def remember(self, entry: Entry, type_name: str, local: int | None) -> None:
        rid = entry.resource.get("id")
        kind = _KINDS[type_name]
        for key in (entry.full_url, f"{type_name}/{rid}" if rid else None, rid):
            if key:
                self.refs[(kind, key)] = local

    def known(self, reference: str | None, kind: str) -> bool:
        return bool(reference) and ((kind, reference) in self.refs
                                    or (kind, reference.rsplit("/", 1)[-1]) in self.refs)

    def resolve(self, reference: str | None, kind: str) -> int | None:
        """Our id for a reference: to an entry of this import, else to one linked before."""
        if not reference:
            return None
        for key in (reference, reference.rsplit("/", 1)[-1]):
            if (kind, key) in self.refs:
                return self.refs[(kind, key)]
        return find_local(self.session, SYSTEM, kind, reference.rsplit("/", 1)[-1])

    def _remember(self, entry: Entry, patient_id: int | None) -> None:
        self.remember(entry, "Patient", patient_id)

    def patient(self, entry: Entry) -> None:
        resource, session = entry.resource, self.session
        rid = resource.get("id")
        synthea = mapping.synthea_id(resource)
        local = find_local(session, SYSTEM, "patient", rid) if rid else None
        if local is None and synthea:
            local = session.scalar(select(Patient.id).where(Patient.external_id == synthea))
        if local is not None:
            self.report.already += 1
            self._remember(entry, local)
            return
        try:
            values, ignored = checked_values(self.ctx, mapping.patient_form(resource), partial=False)
        except Refused as exc:
            raise UserError(f"{entry.where}: {exc}; nothing was imported") from None
        if ignored:
            self.report.notes.append(f"{entry.where}: left out (not valid): {', '.join(ignored)}")
        look_alikes = duplicates_in(session, values)
        if look_alikes:
            first = look_alikes[0]
            reason = f"looks like existing patient {first.mrn} ({first.reason}); held for a person to decide"
            session.add(InteropHeld(source="fhir", sender=SYSTEM, reference=entry.where[:120],
                                    reason=reason[:300], payload=json.dumps(resource), created_at=self.now))
            self.report.held.append(f"{entry.where}: {reason}")
            self._remember(entry, None)
            return
        patient = new_patient(values, mrn=next_mrn(session), now=self.now, actor_id=self.actor.id)
        patient.external_id = synthea
        died = mapping.deceased_date(resource)
        if died:
            patient.deceased_date = date.fromisoformat(died)
        session.add(patient)
        session.flush()
        if rid:
            link(session, SYSTEM, "patient", rid, patient.id)
        audit.record(session, self.actor, "patient.import", self.now, patient_id=patient.id,
                     entity="patient", entity_id=patient.id, detail={"source": "fhir"})
        self.report.applied["Patient"] += 1
        self._remember(entry, patient.id)

    def coverage(self, where: str, resource: dict) -> None:
        session = self.session
        ref = mapping.reference_id(resource.get("beneficiary"))
        patient_id = self.resolve(ref, "patient")
        if patient_id is None:
            if self.known(ref, "patient"):  # the patient was held: the coverage waits with them
                self.report.notes.append(f"{where}: not imported (its patient is held)")
                return
            raise UserError(f"{where}: beneficiary {str(ref)[:60]} is not a patient we have; "
                            f"nothing was imported")
        values = mapping.coverage_values(resource)
        key = (patient_id, values["payer"], values["member_id"])
        if key in self.seen_coverage:
            return
        self.seen_coverage.add(key)
        payer = session.scalar(select(Payer).where(Payer.name == values["payer"]))
        if payer is None:
            payer = Payer(name=values["payer"])
            session.add(payer)
            session.flush()
        same = session.scalar(select(Coverage.id).where(
            Coverage.patient_id == patient_id, Coverage.payer_id == payer.id,
            Coverage.member_id == values["member_id"]))
        if same is not None:
            self.report.already += 1
            return
        rank = RANKS.get(int(values["order"]) if str(values["order"]).isdigit() else 1,
                         CoverageRank.TERTIARY)
        active = values["active"] and session.scalar(select(Coverage.id).where(
            Coverage.patient_id == patient_id, Coverage.rank == rank.value,
            Coverage.active.is_(True))) is None
        if values["active"] and not active:
            self.report.notes.append(f"{where}: kept inactive (the patient has an active "
                                     f"{rank.value} coverage)")
        row = Coverage(
            patient_id=patient_id, payer_id=payer.id, rank=rank.value,
            member_id=values["member_id"], group_number=values["group_number"],
            plan_name=(values["plan_name"] or None) and values["plan_name"][:120],
            subscriber_relationship=values["relationship"], active=active,
            effective_from=_day(values["effective_from"]), effective_to=_day(values["effective_to"]))
        session.add(row)
        session.flush()
        audit.record(session, self.actor, "coverage.import", self.now, patient_id=patient_id,
                     entity="coverage", entity_id=row.id, detail={"source": "fhir"})
        self.report.applied["Coverage"] += 1


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def import_fhir(ctx: AppContext, actor: Actor, path: Path | str, *,
                dry_run: bool = False) -> FhirReport:
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path} does not exist")
    try:
        files, entries = read_path(path)
    except Malformed as exc:
        raise UserError(f"{exc}; nothing was imported") from None
    report = FhirReport(files=files, resources=len(entries), dry_run=dry_run)
    try:
        with ctx.db.write() as session:
            session.info[FROM_INTERFACE] = True
            work = _Import(session, ctx, actor, report)
            for entry in entries:  # people and places first: bookings and coverage refer to them
                if entry.type == "Patient":
                    work.patient(entry)
                elif entry.type == "Practitioner":
                    fhir_schedule.practitioner(work, entry)
                elif entry.type == "Location":
                    fhir_schedule.location(work, entry)
            for entry in entries:  # a provider's books next: Slots refer to them
                if entry.type == "Schedule":
                    fhir_slots.schedule(work, entry)
            for entry in entries:
                if entry.type == "Appointment":
                    fhir_schedule.appointment(work, entry)
                elif entry.type == "Slot":
                    fhir_slots.slot(work, entry)
                elif entry.type == "Coverage":
                    work.coverage(entry.where, entry.resource)
                elif entry.type == "ExplanationOfBenefit":
                    for contained in mapping.contained_coverages(entry.resource):
                        work.coverage(f"{entry.where} contained Coverage", contained)
                    report.skipped[entry.type] += 1
                elif entry.type not in ("Patient", "Practitioner", "Location", "Schedule"):
                    report.skipped[entry.type] += 1
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report
