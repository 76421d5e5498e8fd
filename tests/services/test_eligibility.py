"""Eligibility with payers end to end: a 270 for the seeded clinic day, the 271 a payer would send
back (one AAA rejection, one inactive coverage, the rest active), imported, and what the desk then
shows; and the bad files that must be refused whole."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from coordinator_tui.domain.vocab import AppointmentStatus as S
from coordinator_tui.domain.vocab import CallbackReason
from coordinator_tui.errors import UserError
from coordinator_tui.interop.x12.tokenizer import X12Error
from coordinator_tui.services import callbacks as cb
from coordinator_tui.services import checkin
from coordinator_tui.services.checkin.checklists import paid_cents as checkin_paid
from coordinator_tui.services.eligibility import (
    authorisation_required,
    benefits_lines,
    coverage_benefits,
    estimate_visit,
    import_271,
    request_eligibility,
)
from coordinator_tui.services.patients.merge import merge_patients
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store.models import (
    AuditEvent,
    Callback,
    Coverage,
    EligibilityBenefit,
    EligibilityInquiry,
    Patient,
    VisitEstimate,
)
from tests.conftest import CLINIC_DAY, FREE_DAY
from tests.helpers.eligibility import traces, with_eligibility
from tests.helpers.x12_payer import ACTIVE, INACTIVE, active_benefits, answer_270


@pytest.fixture
def elig(ctx):
    return with_eligibility(ctx)


def write_request(ctx, actor, day=CLINIC_DAY):
    files: list[str] = []
    result = request_eligibility(ctx, actor, day, files.append)
    return result, (files[0] if files else None)


def inquiry_for(ctx, trace):
    with ctx.db.read() as s:
        row = s.scalar(select(EligibilityInquiry).where(EligibilityInquiry.trace_number == trace))
        return row.appointment_id, row.coverage_id, row.patient_id


def primary(ctx, sent):
    """The traces asked about a primary coverage (the one the checklist verifies)."""
    with ctx.db.read() as s:
        return [t for t in sent if s.scalar(
            select(Coverage.rank).join(EligibilityInquiry, EligibilityInquiry.coverage_id == Coverage.id)
            .where(EligibilityInquiry.trace_number == t)) == "primary"]


def count(ctx, model, *where):
    with ctx.db.read() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def make_dependent(ctx, desk):
    """One booked patient's coverage held by a parent: asked about in a dependent loop."""
    rows = [r for r in checkin_rows(ctx, desk)]
    with ctx.db.write() as s:
        for row in rows:
            coverage = s.scalar(select(Coverage).where(Coverage.patient_id == row.patient_id,
                                                       Coverage.rank == "primary", Coverage.active.is_(True)))
            if coverage is not None and coverage.eligibility_status != "verified":
                coverage.subscriber_relationship = "child"
                coverage.subscriber_name = "Parent, Pat"
                return coverage.id
    raise AssertionError("no unverified coverage today")


def checkin_rows(ctx, desk):
    from coordinator_tui.services.desk_views import day_appointments

    return [r for r in day_appointments(ctx, desk, CLINIC_DAY) if r.status in (S.SCHEDULED, S.CONFIRMED)]


def test_round_trip_270_to_271_and_what_the_desk_shows(elig, desk_user):
    ctx, desk = elig, desk_user
    dependent_coverage = make_dependent(ctx, desk)
    result, text = write_request(ctx, desk)
    assert result.inquiries >= 5 and result.control_number == 1 and text.startswith("ISA*")
    sent = traces(text)
    assert len(sent) == len(set(sent)) == result.inquiries
    with ctx.db.read() as s:  # each patient's trail says their data left in the file
        exported = s.scalars(select(AuditEvent.patient_id).where(AuditEvent.action == "eligibility.export_270"))
        asked = s.scalars(select(EligibilityInquiry.patient_id))
        assert sorted(exported) == sorted(set(asked))
    assert "*23*0~" in text  # the dependent loop
    rejected, inactive, active = primary(ctx, sent)[:3]
    verdicts = {rejected: ("reject", "72"), inactive: INACTIVE}
    answer = answer_270(text, lambda trace: verdicts.get(trace, ACTIVE))
    callbacks_before = count(ctx, Callback, Callback.reason == CallbackReason.INSURANCE.value)

    imported = import_271(ctx, desk, answer)
    assert (imported.recorded, imported.rejected, imported.inactive) == (len(sent), 1, 1)
    assert imported.active == len(sent) - 2

    # Active: verified by the import, the payer's copay is the copay due at check-in.
    appointment_id, coverage_id, patient_id = inquiry_for(ctx, active)
    shown = checkin.checklist(ctx, desk, appointment_id)
    item = shown.item("eligibility")
    assert item.done and item.detail.startswith("271 11/") and item.detail.endswith("active, copay $25")
    with ctx.db.read() as s:
        paid = checkin_paid(s, appointment_id)
    assert shown.copay_due_cents == max(0, 2500 - paid)
    benefits = coverage_benefits(ctx, coverage_id)
    assert benefits.auth_required is False and benefits.deductible_remaining_cents == 34000
    with ctx.db.read() as s:
        lines = benefits_lines(ctx, s, patient_id)
        row = s.scalar(select(EligibilityBenefit).where(EligibilityBenefit.coverage_id == coverage_id))
        assert row.imported_by_id == desk.id and row.imported_at is not None
    assert lines[0].startswith("primary ") and "active, copay $25" in lines[0]
    assert any("deductible $1,000 ($340 left), coinsurance 20%" in line for line in lines)

    # The dependent's answer matched through its own loop.
    with ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(EligibilityBenefit).where(
            EligibilityBenefit.coverage_id == dependent_coverage)) == 1

    # Rejected and inactive: a problem on the checklist and ONE insurance callback each.
    for trace, words in ((rejected, "invalid member id"), (inactive, "inactive")):
        appointment_id, _coverage_id, patient_id = inquiry_for(ctx, trace)
        item = checkin.checklist(ctx, desk, appointment_id).item("eligibility")
        assert not item.done and words in item.detail
        assert count(ctx, Callback, Callback.patient_id == patient_id,
                     Callback.reason == CallbackReason.INSURANCE.value, Callback.status == "open") == 1
    added = count(ctx, Callback, Callback.reason == CallbackReason.INSURANCE.value) - callbacks_before
    assert added == imported.callbacks <= 2

    # The same file again records nothing new.
    again = import_271(ctx, desk, answer)
    assert (again.recorded, again.already, again.callbacks) == (0, len(sent), 0)
    assert count(ctx, EligibilityBenefit) == len(sent)


def test_same_rejection_in_a_later_answer_adds_no_second_callback(elig, desk_user):
    ctx, desk = elig, desk_user
    _result, text = write_request(ctx, desk)
    first = primary(ctx, traces(text))[0]
    import_271(ctx, desk, answer_270(text, lambda t: ("reject", "75") if t == first else ACTIVE))
    _a, _c, patient_id = inquiry_for(ctx, first)
    with ctx.db.read() as s:
        item = s.scalar(select(Callback).where(Callback.patient_id == patient_id,
                                               Callback.reason == "insurance", Callback.status == "open"))
    cb.claim(ctx, desk, item.id)
    cb.close(ctx, desk, item.id, done=True, reason="left a message with billing")
    # The next run asks again (the coverage is a problem); the payer says the same thing.
    result, text2 = write_request(ctx, desk)
    assert result.control_number == 2  # control numbers increase across runs
    assert "000000002" in text2.splitlines()[0]
    again = import_271(ctx, desk, answer_270(text2, lambda t: ("reject", "75"), control=778))
    assert again.recorded >= 1 and again.callbacks == 0
    assert count(ctx, Callback, Callback.patient_id == patient_id, Callback.status == "open") == 0


def test_a_rejection_says_its_reason_on_the_insurance_item_already_open(elig, desk_user):
    """A patient already on the queue for insurance (a problem marked at an earlier visit) gets no
    second item, but the one open item tells whoever works it what the payer said, once."""
    ctx, desk = elig, desk_user
    _result, text = write_request(ctx, desk)
    first, second = primary(ctx, traces(text))[:2]
    _a, _c, patient_id = inquiry_for(ctx, first)
    item_id, created = cb.create_by_hand(ctx, desk, patient_id=patient_id, reason=CallbackReason.INSURANCE,
                                         due_at=ctx.now(), note="card looked old")
    assert created
    verdicts = {first: ("reject", "72"), second: ("reject", "75")}
    imported = import_271(ctx, desk, answer_270(text, lambda t: verdicts.get(t, ACTIVE)))
    assert imported.callbacks == 1  # the second patient's new item; the first one's was open
    with ctx.db.read() as s:
        open_items = s.scalars(select(Callback).where(
            Callback.reason == "insurance", Callback.status == "open",
            Callback.patient_id.in_((patient_id, inquiry_for(ctx, second)[2])))).all()
    notes = {item.patient_id: item.note for item in open_items}
    assert len(open_items) == 2 and notes[patient_id].startswith("card looked old")
    assert "invalid member id" in notes[patient_id]
    assert "subscriber not found" in notes[inquiry_for(ctx, second)[2]]
    # The same rejection in a later file says nothing twice.
    _r2, text2 = write_request(ctx, desk)
    again = [t for t in traces(text2) if inquiry_for(ctx, t)[2] == patient_id]
    assert again  # a problem coverage is asked about again
    import_271(ctx, desk, answer_270(text2, lambda t: ("reject", "72") if t in again else ACTIVE, control=778))
    with ctx.db.read() as s:
        note = s.scalar(select(Callback.note).where(Callback.id == item_id))
    assert note.count("invalid member id") == 1


def test_a_day_with_nothing_to_ask_writes_nothing(elig, desk_user):
    result, text = write_request(elig, desk_user, FREE_DAY)
    assert (result.inquiries, result.control_number, text) == (0, None, None)
    assert count(elig, EligibilityInquiry) == 0


def test_missing_submitter_settings_are_named(ctx, desk_user):
    with pytest.raises(UserError, match="eligibility_submitter_id"):
        request_eligibility(ctx, desk_user, CLINIC_DAY)


def test_a_failed_file_write_keeps_no_inquiry(elig, desk_user):
    def full_disk(_text):
        raise UserError("cannot write x: No space left on device")

    with pytest.raises(UserError):
        request_eligibility(elig, desk_user, CLINIC_DAY, full_disk)
    assert count(elig, EligibilityInquiry) == 0
    assert write_request(elig, desk_user)[0].control_number == 1  # the number was not used up


def refused(ctx, desk, text) -> X12Error:
    with pytest.raises(X12Error) as caught:
        import_271(ctx, desk, text)
    assert count(ctx, EligibilityBenefit) == 0  # nothing half-recorded
    return caught.value


def test_unknown_trace_number_refuses_the_whole_file(elig, desk_user):
    _r, text = write_request(elig, desk_user)
    last = traces(text)[-1]
    answer = answer_270(text, lambda t: ACTIVE).replace(f"TRN*2*{last}*", "TRN*2*999999*")
    error = refused(elig, desk_user, answer)
    assert "'999999' was not sent from this clinic" in str(error) and error.segment > 1


def test_answer_for_a_merged_patient_is_refused(elig, desk_user):
    _r, text = write_request(elig, desk_user)
    first = traces(text)[0]
    _a, _c, patient_id = inquiry_for(elig, first)
    with elig.db.read() as s:
        other = s.scalar(select(Patient.id).where(Patient.id != patient_id, Patient.merged_into_id.is_(None))
                         .order_by(Patient.id).limit(1))
    merge_patients(elig, actor_for(elig, "super"), other, patient_id, reason="same person")
    error = refused(elig, desk_user, answer_270(text, lambda t: ACTIVE))
    assert "since merged into MRN" in str(error)


def test_bad_amount_is_refused_naming_the_segment(elig, desk_user):
    _r, text = write_request(elig, desk_user)
    answer = answer_270(text, lambda t: active_benefits(copay="twenty"))
    error = refused(elig, desk_user, answer)
    assert "EB07 'twenty' is not an amount" in str(error)


def test_estimate_is_recorded_with_the_appointment(elig, desk_user):
    ctx, desk = elig, desk_user
    _r, text = write_request(ctx, desk)
    import_271(ctx, desk, answer_270(text, lambda t: ACTIVE))
    appointment_id, _c, _p = inquiry_for(ctx, primary(ctx, traces(text))[0])
    made = estimate_visit(ctx, desk, appointment_id)
    assert made.explanation.startswith("Copay $25. Your deductible has $340 left")
    assert "This is an estimate" in made.explanation and "ESTIMATED TOTAL" in made.sheet
    with ctx.db.read() as s:
        row = s.get(VisitEstimate, made.estimate_id)
        assert row.appointment_id == appointment_id and row.total_cents == made.result.total_cents


def test_an_estimate_sheet_that_could_not_be_written_is_not_recorded(elig, desk_user):
    appointment_id = checkin_rows(elig, desk_user)[0].id

    def full_disk(_sheet):
        raise UserError("cannot write sheet.txt: No space left on device")

    with pytest.raises(UserError):
        estimate_visit(elig, desk_user, appointment_id, full_disk)
    assert count(elig, VisitEstimate) == 0


def without_trace_numbers(text: str) -> str:
    """The same 271 as a payer that drops the TRN would send it."""
    from coordinator_tui.interop.x12.envelope import Party, read_interchange, write_interchange
    from coordinator_tui.interop.x12.tokenizer import tokenize

    interchange = read_interchange(tokenize(text)[1])
    bodies = [[[s.id, *s.elements] for s in t.segments if s.id != "TRN"] for t in interchange.transactions]
    return write_interchange(bodies, sender=Party("ZZ", interchange.sender),
                             receiver=Party("ZZ", interchange.receiver), control_number=900,
                             at=elig_now(), functional_id="HB")


def elig_now():
    from datetime import datetime

    return datetime(2026, 11, 22, 18, 0)


def test_without_a_trace_number_the_member_id_name_and_birth_date_match(elig, desk_user):
    _r, text = write_request(elig, desk_user)
    answer = without_trace_numbers(answer_270(text, lambda t: ACTIVE))
    # A name that is not the member's is refused whole, naming the segment.
    wrong = answer.replace("NM1*IL*1*", "NM1*IL*1*ZZ", 1)
    with pytest.raises(X12Error, match="no active coverage with member id") as caught:
        import_271(elig, desk_user, wrong)
    assert caught.value.segment > 1 and count(elig, EligibilityBenefit) == 0
    result = import_271(elig, desk_user, answer)
    assert result.recorded == len(traces(text))
    assert count(elig, EligibilityBenefit, EligibilityBenefit.trace_number.is_(None),
                 EligibilityBenefit.inquiry_id.is_(None)) == result.recorded


def test_phone_verification_after_a_271_and_authorisation_required(elig, desk_user, clock):
    ctx, desk = elig, desk_user
    _r, text = write_request(ctx, desk)
    sent = primary(ctx, traces(text))
    needs_auth = sent[0]
    import_271(ctx, desk, answer_270(
        text, lambda t: active_benefits(auth="Y") if t == needs_auth else INACTIVE))
    appointment_id, _c, patient_id = inquiry_for(ctx, needs_auth)
    assert authorisation_required(ctx, patient_id) is True
    other_appointment, _c, other_patient = inquiry_for(ctx, sent[1])
    assert authorisation_required(ctx, other_patient) is None  # inactive: nothing to say
    clock.advance(seconds=600)
    shown = checkin.mark_eligibility(ctx, desk, other_appointment, verified=True)
    item = shown.item("eligibility")
    assert item.done and item.detail.startswith("by phone ") and item.detail.endswith("by demo")
    with ctx.db.read() as s:
        note = s.scalar(select(Coverage.eligibility_note).join(
            EligibilityInquiry, EligibilityInquiry.coverage_id == Coverage.id)
            .where(EligibilityInquiry.trace_number == sent[1]))
    assert note == "verified by phone"


def test_a_verification_that_lapses_before_the_visit_day_is_asked_again(elig, desk_user):
    from datetime import timedelta

    from coordinator_tui.services.schedule import book, find_free_slots

    later = CLINIC_DAY + timedelta(days=10)
    slot = find_free_slots(elig, desk_user, provider_id=1, type_code="FU", after=later, limit=1)[0]
    with elig.db.write() as s:
        coverage = s.scalar(select(Coverage).where(Coverage.rank == "primary", Coverage.active.is_(True))
                            .order_by(Coverage.id).limit(1))
        coverage.eligibility_status = "verified"
        coverage.verified_at = elig.now() - timedelta(days=25)  # current today, not in 10 days
        coverage.verified_by_id = desk_user.id
        coverage_id, patient_id = coverage.id, coverage.patient_id
    made = book(elig, desk_user, patient_id, slot.provider_id, "FU", slot.starts_at)
    visit_day = elig.local(slot.starts_at).date()
    write_request(elig, desk_user, visit_day)
    assert count(elig, EligibilityInquiry, EligibilityInquiry.coverage_id == coverage_id,
                 EligibilityInquiry.appointment_id == made.appointment_id) == 1


def test_a_payer_wanting_an_authorisation_puts_it_on_the_checklist(elig, desk_user):
    """EB11 Y feeds the referrals work: a visit no clinic rule asks an authorisation for shows an
    outstanding "referral / authorisation" item once the payer says it wants one, and recording
    the number the payer gives resolves it."""
    from coordinator_tui.services.referrals import attach_authorisation

    ctx, desk = elig, desk_user
    _r, text = write_request(ctx, desk)
    booked = {r.id for r in checkin_rows(ctx, desk)}
    wants, fine = [t for t in primary(ctx, traces(text)) if inquiry_for(ctx, t)[0] in booked][:2]
    wants_visit, fine_visit = inquiry_for(ctx, wants)[0], inquiry_for(ctx, fine)[0]
    def keys(appointment_id):
        return {i.key for i in checkin.checklist(ctx, desk, appointment_id).items}

    assert "referral" not in keys(wants_visit)
    import_271(ctx, desk, answer_270(text, lambda t: active_benefits(auth="Y" if t == wants else "N")))
    item = checkin.checklist(ctx, desk, wants_visit).item("referral")
    assert not item.done and item.detail == "payer 271: authorisation needed"
    assert "referral" not in keys(fine_visit)
    attach_authorisation(ctx, desk, wants_visit, number="A-77", visits=1)
    item = checkin.checklist(ctx, desk, wants_visit).item("referral")
    assert item.done and item.detail.startswith("A-77")
