"""The database guards the slot too (issue #22, point 7): migration 0008's triggers refuse an
active appointment overlapping another active one of the same provider unless it is a recorded
overbook, whoever writes the file (here: a plain sqlite3 client, as a script or tool would)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

import pytest

from coordinator_tui.domain.vocab import AppointmentStatus as S
from coordinator_tui.domain.vocab import CancelledBy
from coordinator_tui.errors import UserError
from coordinator_tui.services import schedule as booking
from coordinator_tui.services.appointment_status import undo_last_change
from tests.conftest import CLINIC_DAY

COLUMNS = ("patient_id", "provider_id", "appointment_type_id", "location_id", "starts_at", "ends_at",
           "status", "is_walk_in", "is_overbook", "created_at", "version_id", "cancel_reason",
           "cancelled_by")


def _raw(path):
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _active_booking(conn):
    """An active, non-overbook appointment of the seeded clinic: (id, provider, start, end, type, location)."""
    return conn.execute(
        "SELECT id, provider_id, starts_at, ends_at, appointment_type_id, location_id FROM appointments "
        "WHERE status IN ('scheduled', 'confirmed') AND is_overbook = 0 ORDER BY id LIMIT 1").fetchone()


def _insert(conn, provider_id, starts, ends, type_id, location_id, *, status="scheduled", overbook=0):
    conn.execute(f"INSERT INTO appointments ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                 (7, provider_id, type_id, location_id, starts, ends, status, 0, overbook, starts, 1,
                  *(("ill", "patient") if status == "cancelled" else (None, None))))


def _shift(instant: str, minutes: int) -> str:
    return (datetime.fromisoformat(instant) + timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S.%f")


def test_a_raw_insert_of_an_overlapping_active_appointment_is_refused(seeded_path):
    conn = _raw(seeded_path)
    _id, provider, starts, ends, type_id, location = _active_booking(conn)
    before = conn.execute("SELECT count(*) FROM appointments").fetchone()[0]
    with pytest.raises(sqlite3.IntegrityError, match="overlaps another active appointment"):
        _insert(conn, provider, starts, ends, type_id, location)
    # Overlapping by part of the slot is an overlap too.
    with pytest.raises(sqlite3.IntegrityError, match="overlaps"):
        _insert(conn, provider, _shift(starts, 10), _shift(ends, 10), type_id, location)
    with pytest.raises(sqlite3.IntegrityError, match="overlaps"):
        _insert(conn, provider, _shift(starts, -10), _shift(starts, 1), type_id, location)
    assert conn.execute("SELECT count(*) FROM appointments").fetchone()[0] == before


def test_an_overbook_a_cancelled_one_and_another_provider_are_allowed(seeded_path):
    conn = _raw(seeded_path)
    _id, provider, starts, ends, type_id, location = _active_booking(conn)
    _insert(conn, provider, starts, ends, type_id, location, overbook=1)
    _insert(conn, provider, starts, ends, type_id, location, status="cancelled")
    other = conn.execute("SELECT id FROM providers WHERE id <> ? ORDER BY id LIMIT 1", (provider,)).fetchone()[0]
    busy = conn.execute(
        "SELECT count(*) FROM appointments WHERE provider_id = ? AND status NOT IN ('cancelled', 'no_show') "
        "AND starts_at < ? AND ends_at > ?", (other, ends, starts)).fetchone()[0]
    if not busy:
        _insert(conn, other, starts, ends, type_id, location)


def test_a_raw_update_onto_a_taken_slot_or_reviving_a_cancelled_one_is_refused(seeded_path):
    conn = _raw(seeded_path)
    taken_id, provider, starts, ends, type_id, location = _active_booking(conn)
    _insert(conn, provider, starts, ends, type_id, location, status="cancelled")
    cancelled_id = conn.execute("SELECT max(id) FROM appointments").fetchone()[0]
    with pytest.raises(sqlite3.IntegrityError, match="overlaps"):
        conn.execute("UPDATE appointments SET status = 'scheduled' WHERE id = ?", (cancelled_id,))
    with pytest.raises(sqlite3.IntegrityError, match="overlaps"):
        conn.execute("UPDATE appointments SET is_overbook = 0, status = 'scheduled' WHERE id = ?",
                     (cancelled_id,))
    # The appointment itself may be edited in place (it does not overlap itself).
    conn.execute("UPDATE appointments SET status = status, ends_at = ends_at WHERE id = ?", (taken_id,))


def test_an_overbook_cannot_become_a_plain_booking_over_a_taken_slot(seeded_path):
    conn = _raw(seeded_path)
    _id, provider, starts, ends, type_id, location = _active_booking(conn)
    _insert(conn, provider, starts, ends, type_id, location, overbook=1)
    overbook_id = conn.execute("SELECT max(id) FROM appointments").fetchone()[0]
    with pytest.raises(sqlite3.IntegrityError, match="overlaps"):
        conn.execute("UPDATE appointments SET is_overbook = 0 WHERE id = ?", (overbook_id,))


def test_a_double_booking_from_before_the_guard_never_blocks_a_check_in(seeded_path):
    """A clinic's file may hold overlaps written before migration 0008: the patients in them are
    still checked in, roomed and seen (only taking a slot anew is refused)."""
    conn = _raw(seeded_path)
    _id, provider, starts, ends, type_id, location = _active_booking(conn)
    (saved,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'trg_appointments_no_overlap_insert'"
                            ).fetchone()
    conn.execute("DROP TRIGGER trg_appointments_no_overlap_insert")
    _insert(conn, provider, starts, ends, type_id, location)  # the old double booking
    conn.execute(saved)
    legacy = conn.execute("SELECT max(id) FROM appointments").fetchone()[0]
    for status in ("arrived", "roomed", "with_provider", "checked_out"):
        conn.execute("UPDATE appointments SET status = ?, version_id = version_id + 1 WHERE id = ?",
                     (status, legacy))
    with pytest.raises(sqlite3.IntegrityError, match="overlaps"):  # moving within the slot is new
        conn.execute("UPDATE appointments SET starts_at = ?, status = 'scheduled' WHERE id = ?",
                     (_shift(starts, 5), legacy))


def test_an_active_appointment_longer_than_a_day_is_refused(seeded_path):
    conn = _raw(seeded_path)
    _id, provider, starts, _ends, type_id, location = _active_booking(conn)
    far = "2199-01-01 09:00:00.000000"
    with pytest.raises(sqlite3.IntegrityError, match="more than a day"):
        _insert(conn, provider, far, "2199-01-02 09:00:01.000000", type_id, location)


def test_the_seeded_clinic_holds_the_rule(seeded_path):
    conn = _raw(seeded_path)
    clashes = conn.execute(
        "SELECT count(*) FROM appointments a JOIN appointments b ON a.provider_id = b.provider_id "
        "AND a.id < b.id AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at "
        "WHERE a.status NOT IN ('cancelled', 'no_show') AND b.status NOT IN ('cancelled', 'no_show') "
        "AND a.is_overbook = 0 AND b.is_overbook = 0").fetchone()[0]
    assert clashes == 0
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert {"trg_appointments_no_overlap_insert", "trg_appointments_no_overlap_update"} <= names


def test_undoing_a_cancel_into_a_slot_booked_since_is_refused_in_words(ctx, desk_user):
    slot = booking.find_free_slots(ctx, desk_user, provider_id=1, type_code="FU",
                                   after=CLINIC_DAY + timedelta(days=10), limit=1)[0]
    first = booking.book(ctx, desk_user, 41, 1, "FU", slot.starts_at)
    booking.cancel(ctx, desk_user, first.appointment_id, reason="ill", by=CancelledBy.PATIENT)
    booking.book(ctx, desk_user, 42, 1, "FU", slot.starts_at)
    with pytest.raises(UserError, match="already booked for this provider; nothing was saved"):
        undo_last_change(ctx, desk_user, first.appointment_id, reason="patient called back")
    with ctx.db.read() as session:
        from coordinator_tui.store.models import Appointment
        assert session.get(Appointment, first.appointment_id).status == S.CANCELLED.value
