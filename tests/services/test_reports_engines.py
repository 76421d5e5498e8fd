"""The reports give the same numbers on SQLite and PostgreSQL (issue 20: "works for everything").

Every report and every cut, run on both engines and compared whole (rows, the chart's bars, the
weekly trend, the notes): over the hand-built history, where tests/services/test_reports.py
checks each figure by counting (and runs again on PostgreSQL with --engine postgresql), and over
the seeded clinic, thousands of visits with times to the second. The PostgreSQL half runs from
the SQLite pass on the server COORDINATOR_TEST_PG names (skipped without one, failed under CI).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from coordinator_tui.config import Settings
from coordinator_tui.services.context import AppContext
from coordinator_tui.services.reports import REPORTS, median_wait_today, run_report
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store.engine import Database
from tests.conftest import CLINIC_DAY, CLINIC_TZ, make_context
from tests.helpers.pg_clinic import (  # noqa: F401  (fixtures)
    build_schema,
    create_database,
    database_url,
    drop_database,
    pg_ctx,
    pg_server_url,
    pg_template,
)
from tests.helpers.reports_history import build_history

CASES = [(name, by) for name, (_words, cuts, needs_patient) in REPORTS.items() if not needs_patient
         for by in (cuts or (None,))]


def every_report(ctx, user: str, start: date, end: date, mrns: tuple[str, ...]) -> dict:
    actor = actor_for(ctx, user)
    found = {(name, by): run_report(ctx, actor, name, start, end, by=by) for name, by in CASES}
    for mrn in mrns:
        found[("upcoming", mrn)] = run_report(ctx, actor, "upcoming", start, end, mrn=mrn)
    found[("median wait", None)] = median_wait_today(ctx, actor)
    return found


def assert_same(on_sqlite: dict, on_postgresql: dict) -> None:
    assert on_sqlite.keys() == on_postgresql.keys()
    for key, expected in on_sqlite.items():
        assert on_postgresql[key] == expected, f"{key}: PostgreSQL differs from SQLite"


@pytest.fixture
def history_on_both(db_path, clock):
    """The hand-built history in an SQLite file and in a PostgreSQL database."""
    build_history(db_path)
    server = pg_server_url()
    name = create_database(server)
    url = database_url(server, name)
    build_schema(url)
    build_history(url)
    on_sqlite = make_context(db_path, clock)
    on_postgresql = AppContext(db=Database(url), settings=Settings(db_url=url, clinic_tz=CLINIC_TZ),
                               clock=clock)
    yield on_sqlite, on_postgresql
    on_sqlite.db.dispose()
    on_postgresql.db.dispose()
    drop_database(server, name)


def test_the_hand_built_history_counts_the_same_on_both_engines(history_on_both):
    on_sqlite, on_postgresql = history_on_both
    period = (date(2026, 3, 1), date(2026, 11, 8))  # both daylight-saving changes of 2026
    expected = every_report(on_sqlite, "boss", *period, mrns=("M000004", "M000005"))
    # The figures test_reports.py counts by hand, so the comparison is not of two empty reports.
    assert expected[("no-shows", "provider")].headline == "no-show rate 30.8% 4/13"
    assert_same(expected, every_report(on_postgresql, "boss", *period, mrns=("M000004", "M000005")))


def test_the_seeded_clinic_counts_the_same_on_both_engines(seeded_path, pg_ctx, clock):  # noqa: F811
    on_sqlite = make_context(seeded_path, clock)
    try:
        period = (CLINIC_DAY - timedelta(days=120), CLINIC_DAY)
        with on_sqlite.db.engine.connect() as conn:
            mrns = tuple(mrn for (mrn,) in conn.exec_driver_sql("SELECT mrn FROM patients ORDER BY id LIMIT 3"))
        expected = every_report(on_sqlite, "super", *period, mrns=mrns)
        flow = {row[1]: row[2] for row in expected[("flow", "none")].rows}
        assert flow["Wait (arr-room)"] > 100 and expected[("median wait", None)].n > 0
        assert_same(expected, every_report(pg_ctx, "super", *period, mrns=mrns))
    finally:
        on_sqlite.db.dispose()
