"""A small clinic history built by hand for the reports' tests, where every figure is known by
counting (the expected numbers are worked out in tests/services/test_reports.py).

Clinic time is America/New_York. The main period is Mon 2026-10-26 .. Sun 2026-11-08; Sunday
2026-11-01 is the autumn daylight-saving change (01:00-02:00 happens twice), and 2026-03-08
(spring forward, a 23-hour day) holds one late-evening visit.

    V0  ALPHA P1  2026-09-01 09:00  done (before the period: P1 is established)
    V1  ALPHA P1  Mon 10-26 09:00  done: arr 09:05 room 09:15 prov 09:25 out 09:45; booked same day
    V2  ALPHA P2  Mon 10-26 10:00  no-show; booked 10-01 (25 days)
    V3  ALPHA P3  Tue 10-27 09:00  cancelled, rebooked as V4
    V4  ALPHA P3  Wed 10-28 09:00  done: arr 08:55 room 09:25 prov 09:35 out 10:05; booked 10-27
    V5  ALPHA P11 Sun 11-01 01:30 EDT  done: arr 01:20 EDT, room 01:10 EST, prov 01:20 EST,
                                   out 01:50 EST (real minutes: wait 50, cycle 90); booked 10-01
    V6  ALPHA P10 Thu 10-29 23:30  done: arr 23:40 room 23:50 prov 00:05 out 00:40 (next day)
    V7  ALPHA P4  Mon 10-26 11:00  no-show (P4 is merged into P5); booked 09-01
    V8  ALPHA P5  Fri 10-30 09:00  no-show; booked 10-29
    V9  ALPHA P5  Mon 11-02 09:00  done: arr 09:00 room 09:20 prov 09:30 out 09:50; booked 10-02
    V10 BETA  P6  Mon 11-02 14:00  arrived 14:10, never roomed; booked same day
    V11 BETA  P7  Tue 11-03 10:00  still booked (never marked)
    V12 BETA  P8  Tue 11-03 11:00  walk-in: arr 11:20 room 11:30 prov 11:40, not out
    V13 ALPHA P9  Wed 11-04 09:00  arrived 09:00, undone, then no-show 09:30; booked 09-30
    V14 ALPHA P12 Sun 2026-03-08 23:30  done (a 23-hour day; 03:30 UTC on 03-09)

Copays (active primary coverage): P1 $20, P3 $30, P5 $25, P6 $10. Payments: V1 $20 (desk1,
same day), V4 $10 same day + $20 the next day, V9 $40 card (over its copay), V10 $10 cash voided.
Who checked in: desk1 V1, V4, V5, V6, V12; desk2 V9, V10. A callback opened and closed on
11-02; P6 registered on 11-02. Future: P5 on 2027-01-05 (booked as P4), 2027-02-01 (cancelled),
2027-05-03, and 2029-01-08 (beyond two years).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from coordinator_tui.services.status_events import rebuild_flow
from tests.helpers.engines import PgConnection, raw_connect

TZ = ZoneInfo("America/New_York")


def at(text: str, fold: int = 0) -> str:
    """Clinic wall-clock 'YYYY-MM-DD HH:MM' as the stored UTC text."""
    local = datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=TZ, fold=fold)
    return local.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


# id: (provider, patient, start, status, booked, walk_in, [(to_status, at, by, undo)])
def _visits():
    d1, d2 = 2, 3  # staff ids of desk1 and desk2
    full = ("arrived", "roomed", "with_provider", "checked_out")

    def steps(times, by, fold=0, folds=None):
        folds = folds or [fold] * len(times)
        return [(s, at(t, f), by, 0) for s, t, f in zip(full, times, folds, strict=False)]

    return {
        0: (1, 1, "2026-09-01 09:00", "checked_out", "2026-08-01 09:00", 0,
            steps(["2026-09-01 09:00", "2026-09-01 09:10", "2026-09-01 09:20", "2026-09-01 09:40"], d1)),
        1: (1, 1, "2026-10-26 09:00", "checked_out", "2026-10-26 08:00", 0,
            steps(["2026-10-26 09:05", "2026-10-26 09:15", "2026-10-26 09:25", "2026-10-26 09:45"], d1)),
        2: (1, 2, "2026-10-26 10:00", "no_show", "2026-10-01 12:00", 0,
            [("no_show", at("2026-10-26 10:30"), d1, 0)]),
        3: (1, 3, "2026-10-27 09:00", "cancelled", "2026-10-20 12:00", 0,
            [("cancelled", at("2026-10-26 15:00"), d1, 0)]),
        4: (1, 3, "2026-10-28 09:00", "checked_out", "2026-10-27 10:00", 0,
            steps(["2026-10-28 08:55", "2026-10-28 09:25", "2026-10-28 09:35", "2026-10-28 10:05"], d1)),
        5: (1, 11, "2026-11-01 01:30", "checked_out", "2026-10-01 12:00", 0,
            steps(["2026-11-01 01:20", "2026-11-01 01:10", "2026-11-01 01:20", "2026-11-01 01:50"], d1,
                  folds=[0, 1, 1, 1])),
        6: (1, 10, "2026-10-29 23:30", "checked_out", "2026-10-29 08:00", 0,
            steps(["2026-10-29 23:40", "2026-10-29 23:50", "2026-10-30 00:05", "2026-10-30 00:40"], d1)),
        7: (1, 4, "2026-10-26 11:00", "no_show", "2026-09-01 12:00", 0,
            [("no_show", at("2026-10-26 11:30"), d1, 0)]),
        8: (1, 5, "2026-10-30 09:00", "no_show", "2026-10-29 12:00", 0,
            [("no_show", at("2026-10-30 09:30"), d1, 0)]),
        9: (1, 5, "2026-11-02 09:00", "checked_out", "2026-10-02 12:00", 0,
            steps(["2026-11-02 09:00", "2026-11-02 09:20", "2026-11-02 09:30", "2026-11-02 09:50"], d2)),
        10: (2, 6, "2026-11-02 14:00", "arrived", "2026-11-02 08:00", 0,
             steps(["2026-11-02 14:10"], d2)),
        11: (2, 7, "2026-11-03 10:00", "scheduled", "2026-10-20 12:00", 0, []),
        12: (2, 8, "2026-11-03 11:00", "with_provider", "2026-11-03 11:19", 1,
             steps(["2026-11-03 11:20", "2026-11-03 11:30", "2026-11-03 11:40"], d1)),
        13: (1, 9, "2026-11-04 09:00", "no_show", "2026-09-30 12:00", 0,
             [("arrived", at("2026-11-04 09:00"), d1, 0), ("scheduled", at("2026-11-04 09:01"), d1, 1),
              ("no_show", at("2026-11-04 09:30"), d1, 0)]),
        14: (1, 12, "2026-03-08 23:30", "checked_out", "2026-03-01 12:00", 0,
             steps(["2026-03-08 23:30", "2026-03-08 23:40", "2026-03-08 23:50", "2026-03-09 00:10"], d1)),
        # the future, for 'upcoming' (today is 2026-11-23)
        20: (1, 4, "2027-01-05 09:00", "scheduled", "2026-11-20 12:00", 0, []),
        21: (1, 5, "2027-02-01 09:00", "cancelled", "2026-11-20 12:00", 0, []),
        22: (2, 5, "2027-05-03 10:00", "scheduled", "2026-11-20 12:00", 0, []),
        23: (2, 5, "2029-01-08 10:00", "scheduled", "2026-11-20 12:00", 0, []),
    }


def build_history(path: Path) -> None:
    """Fill an empty, migrated database file with the history above."""
    created = at("2026-01-05 09:00")
    db = raw_connect(path)
    postgresql = isinstance(db, PgConnection)
    try:
        if postgresql:
            db.execute("SET TIME ZONE 'UTC'")  # the instants below are UTC text, as SQLite keeps them
        with db:
            # Bound to the OS account the tests run as: that is how the command line signs them in
            # (tests/helpers/cli.py); they have no password.
            db.executemany("INSERT INTO staff_users (id, username, display_name, role, active, failed_logins, "
                           "created_at, os_uid) VALUES (?, ?, ?, ?, TRUE, 0, ?, ?)",
                           [(1, "boss", "Bea Boss", "supervisor", created, os.getuid()),
                            (2, "desk1", "Dee One", "front_desk", created, os.getuid()),
                            (3, "desk2", "Dee Two", "front_desk", created, os.getuid())])
            db.execute("INSERT INTO locations (id, name) VALUES (1, 'Main')")
            db.executemany("INSERT INTO providers (id, display_name, short_name, active, "
                           "overbook_daily_limit) VALUES (?, ?, ?, TRUE, 2)",
                           [(1, "Dr Alpha", "ALPHA"), (2, "Dr Beta", "BETA")])
            db.executemany("INSERT INTO appointment_types (id, code, name, default_minutes, active) "
                           "VALUES (?, ?, ?, 20, TRUE)", [(1, "FU", "Follow-up"), (2, "NEW", "New")])
            db.execute("INSERT INTO payers (id, name) VALUES (1, 'Acme Health')")
            for pid in range(1, 13):
                made = at("2026-11-02 08:30") if pid == 6 else created
                db.execute(
                    "INSERT INTO patients (id, mrn, given_name, family_name, family_key, given_key, "
                    "family_phonetic, given_phonetic, birth_date, sex, country, preferred_language, "
                    "created_at, updated_at) VALUES (?, ?, 'Pat', ?, ?, 'pat', 'P', 'PT', '1980-01-01', "
                    "'U', 'US', 'English', ?, ?)",
                    (pid, f"M{pid:06d}", f"Person{pid}", f"person{pid}", made, made))
            db.execute("UPDATE patients SET merged_into_id = 5, merged_at = ? WHERE id = 4",
                       (at("2026-11-10 09:00"),))
            for pid, copay in ((1, 2000), (3, 3000), (5, 2500), (6, 1000)):
                db.execute("INSERT INTO coverages (patient_id, payer_id, rank, member_id, "
                           "subscriber_relationship, copay_cents, eligibility_status, active) "
                           "VALUES (?, 1, 'primary', ?, 'self', ?, 'unverified', TRUE)",
                           (pid, f"A{pid}", copay))
            for vid, (prov, pid, start, status, booked, walk_in, events) in _visits().items():
                ends = (datetime.strptime(at(start), "%Y-%m-%d %H:%M:%S.%f")
                        + timedelta(minutes=20)).strftime("%Y-%m-%d %H:%M:%S.%f")
                cancelled = status == "cancelled"
                db.execute(
                    "INSERT INTO appointments (id, patient_id, provider_id, appointment_type_id, "
                    "location_id, starts_at, ends_at, status, is_walk_in, is_overbook, cancelled_by, "
                    "cancel_reason, created_at, created_by_id, version_id) "
                    "VALUES (?, ?, ?, 1, 1, ?, ?, ?, ?, FALSE, ?, ?, ?, 2, 1)",
                    (vid, pid, prov, at(start), ends, status, bool(walk_in),
                     "patient" if cancelled else None, "moved" if cancelled else None, at(booked)))
                previous = None
                rows = [("scheduled", at(booked), 2, 0)] + events
                for to_status, when, by, undo in rows:
                    db.execute("INSERT INTO appointment_status_events (appointment_id, from_status, "
                               "to_status, at, by_id, is_undo) VALUES (?, ?, ?, ?, ?, ?)",
                               (vid, previous, to_status, when, by, bool(undo)))
                    previous = to_status
            rebuild_flow(db)  # what the desk keeps with every status change (services/status_events.py)
            payments = [
                (1, 1, 2000, "cash", "2026-10-26 09:06", 2, None),
                (3, 4, 1000, "card", "2026-10-28 08:57", 2, None),
                (3, 4, 2000, "card", "2026-10-29 10:00", 2, None),
                (5, 9, 4000, "card", "2026-11-02 09:02", 3, None),
                (6, 10, 1000, "cash", "2026-11-02 14:12", 3, "2026-11-02 15:00"),
            ]
            for number, (pid, vid, cents, method, when, by, voided) in enumerate(payments, start=1):
                db.execute(
                    "INSERT INTO payments (patient_id, appointment_id, amount_cents, method, "
                    "receipt_number, taken_at, taken_by_id, voided_at, voided_by_id, void_reason) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (pid, vid, cents, method, f"R{number:05d}", at(when), by,
                     at(voided) if voided else None, 1 if voided else None,
                     "keyed twice" if voided else None))
            db.execute("INSERT INTO callbacks (patient_id, reason, priority, status, due_at, created_at, "
                       "closed_at, close_reason, version_id) VALUES (2, 'no_show', 'normal', 'done', ?, ?, "
                       "?, 'rebooked', 1)",
                       (at("2026-11-02 12:00"), at("2026-11-02 10:00"), at("2026-11-02 16:00")))
            if postgresql:  # the ids given above: later rows take the next ones
                for table in ("staff_users", "locations", "providers", "appointment_types", "payers",
                              "patients", "appointments"):
                    db.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT max(id) FROM {table}))")
    finally:
        db.close()
