"""The patient record: audited views, validated edits, the race between two desks, registration
with duplicate reasons, and supervisor merges with tombstones."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from coordinator_tui.errors import ConflictError, PermissionDenied, UserError
from coordinator_tui.services import patients as svc
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.services.view_audit import settle
from coordinator_tui.store.engine import WRITE_OPTION
from coordinator_tui.store.models import (
    Appointment,
    AuditEvent,
    Callback,
    Coverage,
    Patient,
    Payment,
)
from tests.conftest import CLINIC_DAY, NOW_HHMM, make_context

NEW = {"given_name": "Zofia", "family_name": "Wiśniewska-Kowalczyk", "birth_date": "7/8/1990",
       "sex": "F", "phone_mobile": "(617) 201-9876"}


def busy_patient(ctx) -> int:
    """A seeded patient with appointments and a coverage."""
    with ctx.db.read() as s:
        return s.scalar(select(Appointment.patient_id)
                        .join(Coverage, Coverage.patient_id == Appointment.patient_id)
                        .where(Coverage.active.is_(True)).order_by(Appointment.id).limit(1))


def audit_rows(ctx, action):
    settle(ctx.db)  # views' events waiting in the journal join the chain first, as for any reader
    with ctx.db.read() as s:
        return s.execute(select(AuditEvent.patient_id, AuditEvent.detail, AuditEvent.user_id)
                         .where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def test_record_shows_everything_and_the_view_is_audited(ctx, desk_user):
    pid = busy_patient(ctx)
    record = svc.get_record(ctx, desk_user, pid)
    assert record.id == pid and record.mrn.startswith("M")
    assert record.coverages and (record.upcoming or record.past)
    assert all(a.starts_at >= ctx.now() for a in record.upcoming)
    assert record.form()["birth_date"].count("/") == 2
    views = audit_rows(ctx, "patient.view")
    assert views[-1][0] == pid and views[-1][2] == desk_user.id


def test_update_saves_recomputes_keys_and_audits_old_and_new(ctx, desk_user):
    pid = busy_patient(ctx)
    record = svc.get_record(ctx, desk_user, pid)
    result = svc.update_patient(ctx, desk_user, pid, {"family_name": "Ñúñez", "phone_mobile": "617-202-3344",
                                                      "email": ""}, record.version)
    assert "family_name" in result.changed and result.version == record.version + 1
    with ctx.db.read() as s:
        p = s.get(Patient, pid)
        assert p.family_name == "Ñúñez" and p.family_key == "nunez"
        assert p.phone_mobile == "+16172023344" and p.phone_mobile_rev == "4433202716"
        assert p.updated_by_id == desk_user.id
    detail = json.loads(audit_rows(ctx, "patient.update")[-1][1])
    assert detail["changed"]["family_name"] == [record.family_name, "Ñúñez"]
    assert detail["changed"]["phone_mobile"][1] == "+16172023344"


@pytest.mark.parametrize("changes", [
    {"birth_date": "2/30/1980"}, {"birth_date": "1/1/2030"}, {"phone_mobile": "555"},
    {"email": "nobody"}, {"given_name": ""}, {"family_name": "A\x07B"}, {"given_name": "x" * 101},
    {"sex": "?"}, {"favourite_colour": "blue"}, {"region": "QQ"}, {"country": "ZZ"},
    {"region": "QQ", "country": "US"}, {"region": "Mercer\x1b[2J"},
])
def test_bad_edits_change_nothing(ctx, desk_user, changes):
    pid = busy_patient(ctx)
    record = svc.get_record(ctx, desk_user, pid)
    with pytest.raises(UserError) as caught:
        svc.update_patient(ctx, desk_user, pid, changes, record.version)
    assert record.family_name not in str(caught.value)
    again = svc.get_record(ctx, desk_user, pid)
    assert again.version == record.version and again.form() == record.form()


def test_two_desks_editing_at_once_the_second_is_told_and_nothing_is_overwritten(seeded_path, clock):
    desk_a, desk_b = make_context(seeded_path, clock), make_context(seeded_path, clock)
    try:
        dana = actor_for(desk_a, "demo")
        sam = actor_for(desk_b, "super")
        pid = busy_patient(desk_a)
        seen_a = svc.get_record(desk_a, dana, pid)
        seen_b = svc.get_record(desk_b, sam, pid)
        svc.update_patient(desk_a, dana, pid, {"phone_mobile": "617-555-0101"}, seen_a.version)
        with pytest.raises(ConflictError) as caught:
            svc.update_patient(desk_b, sam, pid, {"phone_mobile": "617-555-0199"}, seen_b.version)
        assert str(caught.value) == (f"changed by Dana Demo at {NOW_HHMM}; your changes were not saved; "
                                     "reloaded")
        assert svc.get_record(desk_b, sam, pid).phone_mobile == "+16175550101"
    finally:
        desk_a.db.dispose()
        desk_b.db.dispose()


def test_registration_then_duplicates_with_reasons(ctx, desk_user):
    first = svc.register_patient(ctx, desk_user, NEW)
    assert first.mrn.startswith("M") and len(first.mrn) == 8
    with ctx.db.read() as s:
        top = s.scalar(select(func.max(Patient.mrn)))
    assert top == first.mrn
    typo = {**NEW, "family_name": "Wisniewski Kowalczyk", "phone_mobile": ""}
    found = svc.find_duplicates(ctx, desk_user, typo)
    assert [c.patient_id for c in found] == [first.patient_id]
    assert found[0].reason == "same birth date and similar name"
    by_phone = svc.find_duplicates(ctx, desk_user, {"given_name": "Other", "family_name": "Person",
                                                    "birth_date": "1/1/1970", "phone_mobile": "6172019876"})
    assert by_phone[0].reason == "same phone"
    with ctx.db.read() as s:
        member, owner = s.execute(select(Coverage.member_id, Coverage.patient_id).limit(1)).one()
    by_member = svc.find_duplicates(ctx, desk_user, {"member_id": member})
    assert by_member[0].patient_id == owner and by_member[0].reason == "same member id"

    with pytest.raises(svc.DuplicatesFound) as caught:
        svc.register_patient(ctx, desk_user, typo)
    assert caught.value.candidates[0].mrn == first.mrn
    assert NEW["family_name"] not in str(caught.value)
    second = svc.register_patient(ctx, desk_user, typo, confirm_not_duplicate_of=[first.patient_id])
    assert second.patient_id != first.patient_id
    assert json.loads(audit_rows(ctx, "patient.register")[-1][1]) == {"dismissed_duplicates": [first.mrn]}


def test_a_look_alike_registered_at_another_desk_during_the_check_is_still_caught(seeded_path, clock):
    """The look-alike check reads before the write lock (issue 23 point 2: the lock is held for
    the writes); inside it the patients registered since are checked, so a namesake saved by
    another desk in between is still shown, and nothing is saved."""
    desk_a, desk_b = make_context(seeded_path, clock), make_context(seeded_path, clock)
    try:
        dana, sam = actor_for(desk_a, "demo"), actor_for(desk_b, "super")
        typo = {**NEW, "family_name": "Wisniewski Kowalczyk", "phone_mobile": ""}
        assert svc.find_duplicates(desk_a, dana, typo) == []
        other: list = []

        def between(conn) -> None:  # desk A's read transaction has just ended
            if not other and not conn.get_execution_options().get(WRITE_OPTION):
                other.append(svc.register_patient(desk_b, sam, NEW))

        event.listen(desk_a.db.engine, "commit", between)
        try:
            with pytest.raises(svc.DuplicatesFound) as caught:
                svc.register_patient(desk_a, dana, typo)
        finally:
            event.remove(desk_a.db.engine, "commit", between)
        assert [c.mrn for c in caught.value.candidates] == [other[0].mrn]
        with desk_a.db.read() as s:
            assert s.scalar(select(func.count()).select_from(Patient)
                            .where(Patient.family_name == typo["family_name"])) == 0
    finally:
        desk_a.db.dispose()
        desk_b.db.dispose()


def test_a_look_alike_made_by_an_edit_at_another_desk_during_the_check_is_still_caught(seeded_path,
                                                                                      clock):
    """Inside the lock the namesakes are asked again and any new or changed one (another
    version) compared: an existing patient renamed meanwhile into a look-alike is shown too."""
    desk_a, desk_b = make_context(seeded_path, clock), make_context(seeded_path, clock)
    try:
        dana, sam = actor_for(desk_a, "demo"), actor_for(desk_b, "super")
        first = svc.register_patient(desk_b, sam, {**NEW, "family_name": "Okonkwo-Adeyemi",
                                                   "given_name": "Chidera", "phone_mobile": ""})
        typo = {**NEW, "family_name": "Wisniewski Kowalczyk", "phone_mobile": ""}
        assert svc.find_duplicates(desk_a, dana, typo) == []
        edited: list = []

        def between(conn) -> None:  # desk A's read transaction has just ended
            if not edited and not conn.get_execution_options().get(WRITE_OPTION):
                seen = svc.get_record(desk_b, sam, first.patient_id)
                edited.append(svc.update_patient(desk_b, sam, first.patient_id, {
                    "family_name": NEW["family_name"], "given_name": NEW["given_name"]}, seen.version))

        event.listen(desk_a.db.engine, "commit", between)
        try:
            with pytest.raises(svc.DuplicatesFound) as caught:
                svc.register_patient(desk_a, dana, typo)
        finally:
            event.remove(desk_a.db.engine, "commit", between)
        assert edited and [c.mrn for c in caught.value.candidates] == [first.mrn]
    finally:
        desk_a.db.dispose()
        desk_b.db.dispose()


BORN = CLINIC_DAY - timedelta(days=3)  # a newborn, whatever the clinic day


def test_quick_registration_needs_only_the_minimum(ctx, desk_user):
    made = svc.register_patient(ctx, desk_user, {"given_name": "Ana", "family_name": "Lü",
                                                 "birth_date": BORN.isoformat(), "sex": "F"})
    record = svc.get_record(ctx, desk_user, made.patient_id)
    assert record.birth_date == BORN and record.phone_mobile is None
    with pytest.raises(svc.ValidationFailed) as caught:
        svc.register_patient(ctx, desk_user, {"given_name": "Ana"})
    assert {e.field for e in caught.value.errors} == {"family_name", "birth_date", "sex"}


def _patient_with(ctx, model, where=()):
    with ctx.db.read() as s:
        return s.scalar(select(model.patient_id).where(*where).order_by(model.id).limit(1))


def test_merge_moves_everything_leaves_a_tombstone_and_is_audited(ctx, desk_user):
    supervisor = actor_for(ctx, "super")
    survivor = busy_patient(ctx)
    merged = _patient_with(ctx, Callback, (Callback.status == "open", Callback.patient_id != survivor))
    assert merged is not None
    with ctx.db.read() as s:
        before = {m.__name__: s.scalar(select(func.count()).where(m.patient_id == merged))
                  for m in (Appointment, Coverage, Callback, Payment)}
        survivor_mrn = s.get(Patient, survivor).mrn
        merged_mrn = s.get(Patient, merged).mrn

    with pytest.raises(PermissionDenied):
        svc.merge_patients(ctx, desk_user, survivor, merged, "same person")
    with pytest.raises(UserError):
        svc.merge_patients(ctx, supervisor, survivor, survivor, "same person")
    with pytest.raises(UserError):
        svc.merge_patients(ctx, supervisor, survivor, merged, "  ")

    result = svc.merge_patients(ctx, supervisor, survivor, merged, "registered twice at walk-in")
    with ctx.db.read() as s:
        for model in (Appointment, Coverage, Callback, Payment):
            assert s.scalar(select(func.count()).where(model.patient_id == merged)) == 0
        # never two active coverages of one rank, never two open callbacks of one reason
        ranks = s.execute(select(Coverage.rank, func.count()).where(
            Coverage.patient_id == survivor, Coverage.active.is_(True)).group_by(Coverage.rank)).all()
        assert all(n == 1 for _, n in ranks)
        tomb = s.get(Patient, merged)
        assert tomb.merged_into_id == survivor and tomb.merged_at is not None
    assert result.moved["appointments"] == before["Appointment"]
    assert result.moved["coverages"] == before["Coverage"]
    assert svc.resolve_mrn(ctx, desk_user, merged_mrn.lower()).patient_id == survivor
    assert svc.resolve_mrn(ctx, desk_user, merged_mrn).redirected
    assert svc.get_record(ctx, desk_user, merged).redirected_from == merged_mrn
    merges = svc.list_merges(ctx, supervisor)
    assert [(m.survivor_mrn, m.merged_mrn, m.by) for m in merges] == [
        (survivor_mrn, merged_mrn, "Sam Supervisor")]
    assert merges[0].reason == "registered twice at walk-in"
    with pytest.raises(UserError):
        svc.merge_patients(ctx, supervisor, survivor, merged, "again")
    with pytest.raises(UserError):
        svc.update_patient(ctx, desk_user, merged, {"given_name": "X"}, tomb.version_id)


def test_merge_cancels_a_clashing_open_callback(ctx, desk_user):
    supervisor = actor_for(ctx, "super")
    with ctx.db.read() as s:
        a, b = s.scalars(select(Patient.id).order_by(Patient.id).limit(2)).all()
    from coordinator_tui.domain.vocab import CallbackReason
    from coordinator_tui.services.callback_queue import ensure_open_callback
    with ctx.db.write() as s:
        for pid in (a, b):
            ensure_open_callback(s, desk_user, patient_id=pid, reason=CallbackReason.RESULTS,
                                 at=ctx.now(), due_at=ctx.now())
    svc.merge_patients(ctx, supervisor, a, b, "duplicate")
    with ctx.db.read() as s:
        rows = s.execute(select(Callback.status, Callback.close_reason).where(
            Callback.patient_id == a, Callback.reason == "results")).all()
    assert sorted(r[0] for r in rows) == ["cancelled", "open"]
    assert any(r[1] and r[1].startswith("merged into") for r in rows)


def test_resolve_mrn_refuses_unknown_and_empty(ctx, desk_user):
    for text in ("", "M9999999", "x" * 40):
        with pytest.raises(UserError):
            svc.resolve_mrn(ctx, desk_user, text)


def test_state_and_country_edits_are_stored_as_codes_and_checked_against_the_country(ctx, desk_user):
    pid = busy_patient(ctx)
    record = svc.get_record(ctx, desk_user, pid)
    for changes, field in (({"region": "QQ"}, "region"), ({"region": "MA", "country": "ZZ"}, "country")):
        with pytest.raises(svc.ValidationFailed) as caught:
            svc.update_patient(ctx, desk_user, pid, changes, record.version)
        assert [e.field for e in caught.value.errors] == [field]
    updated = svc.update_patient(ctx, desk_user, pid, {"region": "rhode island"}, record.version)
    assert svc.get_record(ctx, desk_user, pid).region == "RI"
    # A patient who moved abroad: the province is free text once the country says so.
    svc.update_patient(ctx, desk_user, pid, {"country": "ca", "region": "Ontario", "postal_code": "K1A 0B1"},
                       updated.version)
    moved = svc.get_record(ctx, desk_user, pid)
    assert (moved.country, moved.region, moved.postal_code) == ("CA", "Ontario", "K1A 0B1")
    svc.update_patient(ctx, desk_user, pid, {"region": "Quebec"}, moved.version)  # checked against CA
    assert svc.get_record(ctx, desk_user, pid).region == "Quebec"


@pytest.mark.sqlite_only("patient lookup: pg_trgm candidates come with the pgsearch branch")
def test_registration_reads_the_birth_date_as_the_lookup_box_does(ctx, desk_user):
    """Issue 13: `3/4/85` found patients in the lookup box but was refused at registration."""
    import dataclasses

    from coordinator_tui.services.patients.lookup import search_patients

    made = svc.register_patient(ctx, desk_user, {"given_name": "Ida", "family_name": "Quenneville",
                                                 "birth_date": "3/4/85", "sex": "F"})
    assert svc.get_record(ctx, desk_user, made.patient_id).birth_date == date(1985, 3, 4)
    hits = search_patients(ctx, desk_user, "quenneville 3/4/85")
    assert [h.mrn for h in hits][:1] == [made.mrn]

    day_first = dataclasses.replace(ctx, settings=dataclasses.replace(ctx.settings, day_first=True))
    other = svc.register_patient(day_first, desk_user, {"given_name": "Eve", "family_name": "Quenneville",
                                                        "birth_date": "3/4/85", "sex": "F"})
    assert svc.get_record(ctx, desk_user, other.patient_id).birth_date == date(1985, 4, 3)
    with pytest.raises(svc.ValidationFailed) as caught:
        svc.register_patient(ctx, desk_user, {"given_name": "Al", "family_name": "Quenneville",
                                              "birth_date": "12/24/2026", "sex": "M"})
    assert "future" in str(caught.value.errors[0])
