"""On a clinic with a year of history (150,000 appointments, 600,000 status events) no query
behind a desk view reads the history: each is bounded by what the screen shows, so the fifth year
costs what the first day did (issue 23, point 1). Checked on the statements the services really
send, with each engine's own planner: SQLite's EXPLAIN QUERY PLAN and PostgreSQL's EXPLAIN."""

from __future__ import annotations

import json
import random

from sqlalchemy import text

from coordinator_tui.services.callbacks import figures, list_queue
from coordinator_tui.services.desk_views import day_appointments
from coordinator_tui.services.patients import get_record
from coordinator_tui.services.reports import median_wait_today
from coordinator_tui.services.schedule.schedule_view import day_schedule
from tests.conftest import CLINIC_DAY, SEEDED_PATIENTS
from tests.helpers.clinic_years import APPOINTMENTS_A_YEAR, add_providers, add_years
from tests.helpers.sent_statements import statements_sent

# The board's query before issue 23: the latest event of every appointment ever, then the day's.
# The check below must see it as reading the history, or it could never fail.
FORMER_BOARD_QUERY = ("SELECT a.id, last.since FROM appointments a LEFT JOIN (SELECT appointment_id, max(at) "
                      "AS since FROM appointment_status_events GROUP BY appointment_id) last "
                      "ON last.appointment_id = a.id WHERE a.id > 0 ORDER BY a.starts_at")
# The tables a year of history filled; reading all of one would grow with the clinic's age.
HISTORY_TABLES = ("appointments", "appointment_status_events", "appointment_flow")


def _sqlite_scans(raw, statement: str, parameters) -> list[str]:
    plan = [row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)]
    # "SCAN t" reads the whole table; "SCAN t USING INDEX i" walks a whole index (no better).
    return [step for step in plan if step.startswith("SCAN")
            and step.split()[1] in HISTORY_TABLES]


def _pg_nodes(node: dict):
    yield node
    for child in node.get("Plans", ()):
        yield from _pg_nodes(child)


def _pg_scans(raw, statement: str, parameters) -> list[str]:
    with raw.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
        found = cursor.fetchone()[0]
    plan = found if isinstance(found, list) else json.loads(found)
    # A sequential scan reads the whole table. An index scan with no condition walks all of it.
    return [f"{node['Node Type']} on {node['Relation Name']}" for node in _pg_nodes(plan[0]["Plan"])
            if node.get("Relation Name") in HISTORY_TABLES
            and (node["Node Type"] == "Seq Scan"
                 or (node["Node Type"].startswith("Index") and not node.get("Index Cond")))]


def test_no_desk_view_reads_a_year_of_history(ctx, desk_user):
    providers = add_providers(ctx)
    appointments, events = add_years(ctx, before=CLINIC_DAY, tz=ctx.settings.tz, providers=providers,
                                     patients=SEEDED_PATIENTS, rng=random.Random(3))
    assert appointments == APPOINTMENTS_A_YEAR and events >= 590_000
    with ctx.db.read() as session:
        patient_id = session.scalar(text(
            "SELECT patient_id FROM appointments GROUP BY patient_id ORDER BY count(*) DESC LIMIT 1"))

    views = {
        "check-in board": lambda: day_appointments(ctx, desk_user, CLINIC_DAY),
        "day schedule": lambda: day_schedule(ctx, desk_user, CLINIC_DAY),
        "board's median wait": lambda: median_wait_today(ctx, desk_user),
        "callback queue": lambda: (list_queue(ctx, desk_user), figures(ctx, desk_user)),
        # The busiest patient of the year: the record lists their visits, through their index.
        "patient record": lambda: get_record(ctx, desk_user, patient_id),
    }
    on_postgresql = ctx.db.engine.dialect.name == "postgresql"
    scans_of = _pg_scans if on_postgresql else _sqlite_scans
    problems, read_history = [], set()
    with ctx.db.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert scans_of(raw, FORMER_BOARD_QUERY, ()), "the plan check does not see a scan of the history"
        for view, work in views.items():
            for statement, parameters in statements_sent(ctx, work):
                if any(table in statement for table in HISTORY_TABLES):
                    read_history.add(view)
                problems += [f"{view}: {scan}\n    {statement[:300]}"
                             for scan in scans_of(raw, statement, parameters)]
    assert not problems, "desk views that read the whole history:\n" + "\n".join(problems)
    # Every view shows appointments, so each must have asked the history for them.
    assert read_history >= {"check-in board", "day schedule", "board's median wait", "patient record"}
