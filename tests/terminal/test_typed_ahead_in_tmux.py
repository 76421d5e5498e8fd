"""Keys typed ahead, in a real terminal: the installed command in tmux at 80x24, each whole
sequence sent in ONE `send-keys` call (as a fast typist, a paste or an SSH packet delivers it),
20 times, and right 20 of 20 (tui/key_gate.py).

An Esc is never sent in the same call as the letters after it: a terminal cannot tell Esc then
`n` from Alt+n, so that is no sequence a person can type either.
"""

from __future__ import annotations

import shutil
import sqlite3
from datetime import timedelta

import pytest

from tests.helpers.realterm import (
    Tmux,
    app_command,
    needs_real_terminal,
    open_context,
    seed_database,
    sign_in,
    wait_for,
)

pytestmark = needs_real_terminal
TIMES = 20
DB_POLL = 0.02  # seconds between looks at the database (a read of one indexed count)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("burst")
    db = folder / "clinic.sqlite"
    day = seed_database(db, patients=400)
    return db, day


@pytest.fixture
def clinic(seeded, tmp_path):
    template, day = seeded
    db = tmp_path / "clinic.sqlite"
    shutil.copyfile(template, db)
    db.chmod(0o600)
    return db, day


def rows(db, sql, *args):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def typable(name: str) -> bool:
    """A family name tmux sends as plain letters (not a key name) and that lookup takes whole."""
    return name.isascii() and name.isalpha() and len(name) >= 5


def patients_found_by_family_name(db, count: int):
    """`count` patients whose family name, typed, finds exactly them: (id, mrn, name typed)."""
    from coordinator_tui.services.patients.lookup import search_patients
    from coordinator_tui.services.staff.actors import actor_for

    ctx = open_context(db)
    try:
        actor = actor_for(ctx, "demo")
        chosen, seen = [], set()
        for pid, mrn, family in rows(db, "SELECT id, mrn, family_name FROM patients ORDER BY id"):
            key = family.lower()
            if not typable(family) or key in seen:
                continue
            seen.add(key)
            hits = search_patients(ctx, actor, key, limit=5)
            if len(hits) == 1 and hits[0].id == pid:
                chosen.append((pid, mrn, key))
            if len(chosen) == count:
                return chosen
    finally:
        ctx.db.dispose()
    raise AssertionError(f"fewer than {count} patients with a family name of their own")


def ready_patients_expected_today(db, day, count: int, *, make_them_ready: bool = True):
    """`count` of today's booked patients, each alone on the board when their family name is
    typed, made express-ready (or, without `make_them_ready`, each with a copay due):
    [(appointment id, name typed)]."""
    from sqlalchemy import text

    from coordinator_tui.domain.vocab import AppointmentStatus as S
    from coordinator_tui.services import checkin
    from coordinator_tui.services.desk_views import day_appointments
    from coordinator_tui.services.patients.lookup import search_patients
    from coordinator_tui.services.staff.actors import actor_for
    from tests.helpers.checkin import make_ready

    ctx = open_context(db)
    try:
        actor = actor_for(ctx, "demo")
        everyone = day_appointments(ctx, actor, day)
        chosen = []
        for row in everyone:
            family = row.patient_name.split(",")[0]
            if row.status not in (S.SCHEDULED, S.CONFIRMED) or not typable(family):
                continue
            # Alone on the board, as the desk's own lookup (typos, sound-alikes) finds it.
            found = {hit.id for hit in search_patients(ctx, actor, family.lower(), limit=30,
                                                       today_first=True)}
            if [other.id for other in everyone if other.patient_id in found] != [row.id]:
                continue
            if make_them_ready:
                make_ready(ctx, actor, row.id)
                outstanding = checkin.checklist(ctx, actor, row.id).outstanding
                assert not outstanding, (row.id, [item.key for item in outstanding])
            elif not checkin.checklist(ctx, actor, row.id).copay_due_cents:
                # A copay to take: the desk fills in what is due, and Enter accepts it.
                with ctx.db.write() as session:
                    session.execute(text("UPDATE coverages SET copay_cents = 2500 "
                                         "WHERE patient_id = :pid"), {"pid": row.patient_id})
                if not checkin.checklist(ctx, actor, row.id).copay_due_cents:
                    continue
            chosen.append((row.id, family.lower()))
            if len(chosen) == count:
                return chosen
    finally:
        ctx.db.dispose()
    raise AssertionError(f"fewer than {count} uniquely named patients expected today")


def to_desk(pane: Tmux, key: str, title: str) -> None:
    pane.keys(key)
    pane.wait_screen(title)


def back_to_empty_search(pane: Tmux, placeholder: str) -> None:
    """Esc until the desk's search box is empty again (its placeholder shows)."""
    for _ in range(4):
        shown = pane.screen()
        if placeholder in shown:
            return
        pane.keys("Escape")
        pane.wait_change(shown, timeout=3)  # that Esc has acted
    pane.wait_screen(placeholder)


def test_a_name_and_enter_in_one_burst_opens_that_patient_20_of_20(clinic, tmp_path):
    db, _day = clinic
    patients = patients_found_by_family_name(db, TIMES)
    placeholder = "name, birth date, phone"
    with Tmux(app_command(db, tmp_path), tmp_path / "raw.bin") as pane:
        sign_in(pane)
        to_desk(pane, "F4", "Patients")
        before = rows(db, "SELECT coalesce(max(id), 0) FROM audit_events")[0][0]
        for _pid, mrn, typed in patients:
            pane.keys(typed, "Enter")  # one call: the name and Enter together
            pane.wait_screen(mrn, "born")
            back_to_empty_search(pane, placeholder)
    viewed = rows(db, "SELECT patient_id FROM audit_events WHERE id > ? AND action = 'patient.view' "
                  "ORDER BY id", before)
    assert [pid for (pid,) in viewed] == [pid for pid, _mrn, _typed in patients]


def test_twenty_express_check_ins_typed_in_one_burst_all_land(clinic, tmp_path):
    db, day = clinic
    patients = ready_patients_expected_today(db, day, TIMES)
    arrived_before = rows(db, "SELECT count(*) FROM appointments WHERE status = 'arrived'")[0][0]
    burst: list[str] = []
    for _appointment_id, typed in patients:
        burst += [typed, "Enter", "Enter"]
    burst.append("zzz")  # the next name typed at once lands in the Find box
    with Tmux(app_command(db, tmp_path), tmp_path / "raw.bin") as pane:
        sign_in(pane)
        pane.keys(*burst)  # all twenty check-ins in one call
        ids = [appointment_id for appointment_id, _typed in patients]

        def all_arrived():
            marks = ",".join("?" * len(ids))
            return rows(db, f"SELECT count(*) FROM appointments WHERE id IN ({marks}) "
                            "AND status = 'arrived'", *ids)[0][0] == len(ids)

        assert wait_for(all_arrived, timeout=90), pane.screen()
        pane.wait_screen("Find: zzz")
    assert rows(db, "SELECT count(*) FROM appointments WHERE status = 'arrived'")[0][0] \
        == arrived_before + TIMES  # nobody else was checked in


@pytest.mark.parametrize("between", ["Tab", "Enter"])
def test_a_registration_typed_in_one_burst_saves_every_field_20_of_20(clinic, tmp_path, between):
    db, _day = clinic
    families = [f"Burst{chr(97 + n // 26)}{chr(97 + n % 26)}" for n in range(TIMES)]
    placeholder = "name, birth date, phone"
    with Tmux(app_command(db, tmp_path), tmp_path / "raw.bin") as pane:
        sign_in(pane)
        to_desk(pane, "F4", "Patients")
        for n, family in enumerate(families):
            phone = f"617555{n:04d}"
            pane.keys("C-n", family, between, "Jo", between, f"4/{n + 1}/1985", between, "F", between,
                      phone, "Enter" if between == "Enter" else "C-s")
            pane.wait_screen(f"{family}, Jo")  # registered: the new record is open
            back_to_empty_search(pane, placeholder)
    saved = rows(db, "SELECT family_name, given_name, birth_date, sex, phone_mobile FROM patients "
                 "WHERE family_name LIKE 'Burst%' ORDER BY family_name")
    assert saved == [(family, "Jo", f"1985-04-{n + 1:02d}", "F", f"+1617555{n:04d}")
                     for n, family in enumerate(families)]


def test_a_booking_typed_ahead_books_the_first_slot_20_of_20(clinic, tmp_path):
    db, _day = clinic
    patients = patients_found_by_family_name(db, TIMES)
    placeholder = "name, birth date, phone"
    with Tmux(app_command(db, tmp_path), tmp_path / "raw.bin") as pane:
        sign_in(pane)
        to_desk(pane, "F4", "Patients")
        for pid, mrn, typed in patients:
            booked_before = rows(db, "SELECT count(*) FROM appointments WHERE patient_id = ? "
                                 "AND status = 'scheduled'", pid)[0][0]
            # Open the record, b, accept every default field, then Enter books the first slot.
            pane.keys(typed, "Enter", "b", "Enter", "Enter", "Enter", "Enter", "Enter", "Enter")
            assert wait_for(lambda pid=pid, n=booked_before: rows(
                db, "SELECT count(*) FROM appointments WHERE patient_id = ? AND status = 'scheduled'",
                pid)[0][0] == n + 1, timeout=20, step=DB_POLL), pane.screen()
            pane.wait_screen(mrn, "born")
            back_to_empty_search(pane, placeholder)


def test_a_payment_typed_ahead_is_taken_as_typed_20_of_20(clinic, tmp_path):
    db, day = clinic
    patients = ready_patients_expected_today(db, day, TIMES, make_them_ready=False)
    ids = [appointment_id for appointment_id, _typed in patients]
    placeholder = "today's patient"
    with Tmux(app_command(db, tmp_path), tmp_path / "raw.bin") as pane:
        sign_in(pane)
        for n, (appointment_id, typed) in enumerate(patients):
            # Checklist, $, Enter takes the copay due as filled in, k card, a reference, save.
            pane.keys(typed, "Enter", "$", "Enter", "k", "Enter", f"R{n:03d}", "Enter")
            assert wait_for(lambda a=appointment_id, r=f"R{n:03d}": rows(
                db, "SELECT count(*) FROM payments WHERE appointment_id = ? AND reference = ?",
                a, r)[0][0] == 1, timeout=20, step=DB_POLL), pane.screen()
            pane.wait_screen("Receipt")
            back_to_empty_search(pane, placeholder)
    taken = rows(db, f"SELECT appointment_id, method, reference FROM payments WHERE reference "
                     f"LIKE 'R%' AND appointment_id IN ({','.join('?' * len(ids))}) ORDER BY reference",
                 *ids)
    assert taken == [(appointment_id, "card", f"R{n:03d}")
                     for n, (appointment_id, _typed) in enumerate(patients)]


def test_a_callback_outcome_typed_ahead_lands_on_the_item_opened_20_of_20(clinic, tmp_path):
    from coordinator_tui.domain.vocab import CallbackReason
    from coordinator_tui.services import callbacks
    from coordinator_tui.services.staff.actors import actor_for

    db, _day = clinic
    ctx = open_context(db)
    try:
        actor = actor_for(ctx, "demo")
        due = ctx.now() - timedelta(hours=1)
        for pid, _mrn, _typed in patients_found_by_family_name(db, TIMES + 5):
            callbacks.create_by_hand(ctx, actor, patient_id=pid, reason=CallbackReason.OTHER, due_at=due)
        queue = [item.id for item in callbacks.list_queue(ctx, actor)][:TIMES]
    finally:
        ctx.db.dispose()
    before = rows(db, "SELECT coalesce(max(id), 0) FROM callback_attempts")[0][0]
    with Tmux(app_command(db, tmp_path), tmp_path / "raw.bin") as pane:
        sign_in(pane)
        to_desk(pane, "F5", "Callbacks")
        for n in range(TIMES):
            pane.keys("Enter", "3")  # open the first item and record No answer, in one call
            assert wait_for(lambda n=n: rows(db, "SELECT count(*) FROM callback_attempts WHERE id > ?",
                                             before)[0][0] == n + 1, timeout=20, step=DB_POLL), pane.screen()
            pane.wait_screen("Recorded: No answer")
            pane.keys("Escape")
            pane.wait_screen("First try after")
    tried = rows(db, "SELECT callback_id, outcome FROM callback_attempts WHERE id > ? ORDER BY id", before)
    assert tried == [(callback_id, "no_answer") for callback_id in queue]
