"""PostgreSQL guards the slot itself (issue 20 item 4): migration 0008's exclusion constraint
(btree_gist, a tstzrange per provider, cancelled and no-show appointments and recorded overbooks
left out) refuses an overlapping active appointment from any client, here plain psycopg; through
the app the refusal reads as SQLite's trigger does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from coordinator_tui.errors import StorageError
from tests.helpers.engines import raw_connect

pytestmark = pytest.mark.postgresql_only("the exclusion constraint is PostgreSQL's")

COLUMNS = ("patient_id", "provider_id", "appointment_type_id", "location_id", "starts_at", "ends_at",
           "status", "is_walk_in", "is_overbook", "created_at", "version_id", "cancel_reason",
           "cancelled_by")


def _active_booking(conn):
    return conn.execute(
        "SELECT id, provider_id, starts_at, ends_at, appointment_type_id, location_id FROM appointments "
        "WHERE status IN ('scheduled', 'confirmed') AND NOT is_overbook ORDER BY id LIMIT 1").fetchone()


def _insert(conn, provider_id, starts, ends, type_id, location_id, *, status="scheduled",
            overbook=False):
    conn.execute(f"INSERT INTO appointments ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                 (7, provider_id, type_id, location_id, starts, ends, status, False, overbook, starts, 1,
                  *(("ill", "patient") if status == "cancelled" else (None, None))))
    conn.commit()


def _refused(conn, *args, **kw) -> str:
    import psycopg

    with pytest.raises(psycopg.errors.IntegrityError) as caught:
        _insert(conn, *args, **kw)
    conn.rollback()
    return str(caught.value)


def test_an_overlapping_active_appointment_is_refused_by_the_database(seeded_path):
    conn = raw_connect(seeded_path)
    try:
        _id, provider, starts, ends, type_id, location = _active_booking(conn)
        before = conn.execute("SELECT count(*) FROM appointments").fetchone()[0]
        assert "ex_appointments_no_overlap" in _refused(conn, provider, starts, ends, type_id, location)
        ten = timedelta(minutes=10)
        assert "ex_appointments_no_overlap" in _refused(conn, provider, starts + ten, ends + ten,
                                                        type_id, location)
        assert "ex_appointments_no_overlap" in _refused(conn, provider, starts - ten,
                                                        starts + timedelta(minutes=1), type_id, location)
        assert conn.execute("SELECT count(*) FROM appointments").fetchone()[0] == before
        # Back to back is no overlap ([starts, ends) ranges), on a day beyond the seeded bookings.
        far = starts + timedelta(days=40)
        _insert(conn, provider, far, far + ten, type_id, location)
        _insert(conn, provider, far + ten, far + 2 * ten, type_id, location)
        # An overbook, a cancelled one and another provider's are allowed.
        _insert(conn, provider, starts, ends, type_id, location, overbook=True)
        _insert(conn, provider, starts, ends, type_id, location, status="cancelled")
        other = conn.execute("SELECT min(id) FROM providers WHERE id <> ?", (provider,)).fetchone()[0]
        clash = conn.execute("SELECT count(*) FROM appointments WHERE provider_id = ? AND starts_at < ? "
                             "AND ends_at > ? AND status NOT IN ('cancelled', 'no_show') AND NOT is_overbook",
                             (other, ends, starts)).fetchone()[0]
        if clash == 0:
            _insert(conn, other, starts, ends, type_id, location)
        assert conn.execute("SELECT count(*) FROM appointments").fetchone()[0] == before + 4 + (clash == 0)
    finally:
        conn.close()


def test_reviving_a_cancelled_appointment_onto_a_taken_slot_is_refused(seeded_path):
    import psycopg

    conn = raw_connect(seeded_path)
    try:
        _id, provider, starts, ends, type_id, location = _active_booking(conn)
        _insert(conn, provider, starts, ends, type_id, location, status="cancelled")
        new_id = conn.execute("SELECT max(id) FROM appointments").fetchone()[0]
        with pytest.raises(psycopg.errors.IntegrityError, match="ex_appointments_no_overlap"):
            conn.execute("UPDATE appointments SET status = 'scheduled', cancel_reason = NULL, "
                         "cancelled_by = NULL WHERE id = ?", (new_id,))
        conn.rollback()
    finally:
        conn.close()


def test_an_active_appointment_longer_than_a_day_is_refused(seeded_path):
    conn = raw_connect(seeded_path)
    try:
        _id, provider, starts, _ends, type_id, location = _active_booking(conn)
        far = starts + timedelta(days=40)
        assert "ck_appointments_at_most_a_day" in _refused(conn, provider, far, far + timedelta(days=1, minutes=1),
                                                           type_id, location)
    finally:
        conn.close()


def test_through_the_app_the_refusal_is_the_slot_taken_message(ctx, seeded_path):
    """A writer that skipped the services' re-check is told what SQLite's trigger tells it."""
    conn = raw_connect(seeded_path)
    try:
        _id, provider, starts, ends, type_id, location = _active_booking(conn)
    finally:
        conn.close()
    with pytest.raises(StorageError, match="already booked for this provider; nothing was saved"), \
            ctx.db.write() as session:
        session.execute(text(
            f"INSERT INTO appointments ({', '.join(COLUMNS)}) VALUES (7, :p, :t, :l, :s, :e, "
            "'scheduled', false, false, :s, 1, NULL, NULL)"),
            {"p": provider, "t": type_id, "l": location, "s": starts, "e": ends})
    with ctx.db.read() as session:
        assert session.execute(text("SELECT count(*) FROM appointments WHERE provider_id = :p AND "
                                    "starts_at = :s AND NOT is_overbook AND status NOT IN "
                                    "('cancelled', 'no_show')"),
                               {"p": provider, "s": starts}).scalar() == 1
