"""Importing a 271 file: every answer matched to the coverage it is about (by trace number, then
member id, name and birth date) and recorded with who imported it and when, or the whole file
refused with the segment number of the first problem, nothing recorded.

What an answer does to the coverage:
- active: verified (by the importing user, now), and the office-visit copay (EB01 B) becomes the
  copay due at check-in;
- inactive: an eligibility problem, and an insurance item on the callback queue;
- rejected (AAA): an eligibility problem with the reason in words, and an insurance item on the
  callback queue, once per coverage and reason (a second file with the same rejection adds none);
  when the patient's insurance item is already open, that item's note is given the reason.
The same answer imported twice is recorded once (its digest is kept with it)."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from coordinator_tui.domain.vocab import CallbackReason, EligibilityStatus, Priority
from coordinator_tui.interop.x12.tokenizer import X12Error
from coordinator_tui.interop.x12.x271 import Answer, read_271
from coordinator_tui.services import audit
from coordinator_tui.services.callback_queue import ensure_open_callback
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.store.models import (
    Callback,
    Coverage,
    EligibilityBenefit,
    EligibilityInquiry,
    Patient,
)

CALLBACK_DUE = timedelta(hours=4)


@dataclass(frozen=True)
class ImportResult:
    answers: int        # answers in the file
    recorded: int       # new answers recorded
    already: int        # answers recorded by an earlier import (nothing new)
    active: int
    inactive: int
    rejected: int
    callbacks: int      # insurance items put on the callback queue


def _key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if c.isalnum()).casefold()


def _same_person(answer: Answer, patient: Patient) -> bool:
    if not answer.family_name or _key(answer.family_name) != _key(patient.family_name):
        return False
    if answer.given_name and _key(answer.given_name)[:1] != _key(patient.given_name)[:1]:
        return False
    return answer.birth_date is None or answer.birth_date == patient.birth_date


def _match(session, answer: Answer) -> tuple[Coverage, Patient, EligibilityInquiry | None]:
    inquiry = None
    if answer.trace:
        inquiry = session.scalar(select(EligibilityInquiry).where(
            EligibilityInquiry.trace_number == answer.trace))
        if inquiry is None:
            raise X12Error(f"trace number {answer.trace[:30]!r} was not sent from this clinic "
                           "(no 270 inquiry has it)", answer.segment)
        asked = session.get(Patient, inquiry.patient_id)
        coverage = session.get(Coverage, inquiry.coverage_id)
        if asked.merged_into_id is not None or coverage.patient_id != asked.id:
            survivor = session.get(Patient, asked.merged_into_id or coverage.patient_id)
            raise X12Error(f"the answer is about MRN {asked.mrn}, since merged into MRN {survivor.mrn}: "
                           "send a new 270 for the surviving record", answer.segment)
        if answer.member_id and _key(answer.member_id) != _key(coverage.member_id) \
                and not _same_person(answer, asked):
            raise X12Error(f"member id {answer.member_id[:30]!r} and name do not match the coverage "
                           f"asked about with trace number {answer.trace[:30]!r}", answer.segment)
        return coverage, asked, inquiry
    if not answer.member_id:
        raise X12Error("an answer with neither a trace number (TRN) nor a member id", answer.segment)
    for coverage in session.scalars(select(Coverage).where(Coverage.member_id == answer.member_id,
                                                           Coverage.active.is_(True))):
        patient = session.get(Patient, coverage.patient_id)
        if patient.merged_into_id is None and _same_person(answer, patient):
            return coverage, patient, None
    raise X12Error(f"no trace number, and no active coverage with member id {answer.member_id[:30]!r} "
                   "for that name and birth date", answer.segment)


def _tell(item: Callback, said: str) -> None:
    """The insurance item already open for the patient (one per patient) learns what the payer
    said, so whoever works it calls about the right thing; it keeps what it said before."""
    note = item.note or ""
    if said not in note:
        added = f" | {said}" if note else said
        item.note = note[:500 - len(added)] + added  # the column holds 500: the reason always fits


def _digest(answer: Answer) -> str:
    return hashlib.sha256(f"{answer.trace}\x1f{answer.status}\x1f{answer.raw}".encode()).hexdigest()


def import_271(ctx: AppContext, actor: Actor, text: str) -> ImportResult:
    """One write transaction for the whole file (X12Error, a UserError, refuses it whole)."""
    response = read_271(text)  # malformed: refused before the database is touched
    at = ctx.now()
    counts = {"recorded": 0, "already": 0, "active": 0, "inactive": 0, "rejected": 0, "callbacks": 0}
    with ctx.db.write() as session:
        matched = [(answer, *_match(session, answer)) for answer in response.answers]
        done: set[tuple[int, str]] = set()
        for answer, coverage, patient, inquiry in matched:
            digest = _digest(answer)
            if (coverage.id, digest) in done or session.scalar(select(EligibilityBenefit.id).where(
                    EligibilityBenefit.coverage_id == coverage.id,
                    EligibilityBenefit.source_digest == digest)) is not None:
                counts["already"] += 1
                continue
            done.add((coverage.id, digest))
            prior = select(EligibilityBenefit.id).where(EligibilityBenefit.coverage_id == coverage.id,
                                                        EligibilityBenefit.status == answer.status)
            if answer.reject_code:
                prior = prior.where(EligibilityBenefit.reject_code == answer.reject_code)
            seen_before = session.scalar(prior.limit(1))
            row = EligibilityBenefit(
                coverage_id=coverage.id, patient_id=patient.id, inquiry_id=inquiry.id if inquiry else None,
                trace_number=answer.trace or None, status=answer.status,
                reject_code=answer.reject_code or None, reject_reason=answer.reject_reason or None,
                plan_name=answer.plan_name[:120] or None, plan_from=answer.plan_from, plan_to=answer.plan_to,
                copay_cents=answer.copay_cents, deductible_cents=answer.deductible_cents,
                deductible_remaining_cents=answer.deductible_remaining_cents,
                coinsurance_bp=answer.coinsurance_bp, oop_remaining_cents=answer.oop_remaining_cents,
                in_network=answer.in_network, auth_required=answer.auth_required, source_digest=digest,
                interchange_control=response.control[:9], imported_at=at, imported_by_id=actor.id)
            session.add(row)
            counts["recorded"] += 1
            counts[answer.status] += 1
            if answer.status == "active":
                coverage.eligibility_status = EligibilityStatus.VERIFIED.value
                coverage.verified_at = at
                coverage.verified_by_id = actor.id
                coverage.eligibility_note = "payer 271: active"
                if answer.copay_cents is not None:
                    coverage.copay_cents = answer.copay_cents
            else:
                why = "coverage inactive" if answer.status == "inactive" else answer.reject_reason
                coverage.eligibility_status = EligibilityStatus.PROBLEM.value
                coverage.eligibility_note = f"payer 271: {why}"[:300]
                if seen_before is None:
                    said = f"Eligibility (payer 271): {why}."
                    item, created = ensure_open_callback(
                        session, actor, patient_id=patient.id, reason=CallbackReason.INSURANCE, at=at,
                        due_at=at + CALLBACK_DUE, priority=Priority.HIGH,
                        appointment_id=inquiry.appointment_id if inquiry else None,
                        note=f"{said} Check the coverage with the patient."[:500])
                    counts["callbacks"] += int(created)
                    if not created:
                        _tell(item, said)
            session.flush()
            audit.record(session, actor, "eligibility.import", at, patient_id=patient.id,
                         entity="coverage", entity_id=coverage.id,
                         detail={"status": answer.status, "benefit_id": row.id,
                                 "control_number": response.control})
        return ImportResult(answers=len(response.answers), **counts)
