"""Every query the desks send while a receptionist opens each desk is bounded by what it shows:
none scans a table that grows with the clinic's history (issue 23). Read from SQLite's own
EXPLAIN QUERY PLAN for each statement the running app really sent."""

from __future__ import annotations

from sqlalchemy import event

from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.desks import DESKS
from tests.helpers.history import add_history
from tests.helpers.screen import settle

# Tables that grow every day the clinic is open; a full scan of one gets slower every month.
HISTORY_TABLES = ("appointment_status_events", "appointments", "audit_events", "payments",
                  "callback_attempts", "callbacks")
# A scan that stops at once: the newest row by rowid (the audit chain's head).
READS_ONLY_THE_END = "ORDER BY audit_events.id DESC LIMIT"
# Opening the Callbacks desk also runs the daily recall batch in the background (a query over
# every patient's last visit, off the keys' path). It is a batch, not a view; bounding it needs
# the time of the previous run, which the store does not keep yet.
# The audit anchor (issue 22) counts the chain when it writes its head outside the database: at
# most once every 15 minutes per desk process (services/audit.py, ANCHOR_MINUTES), not per view.
BATCHES = ("max(appointments.starts_at) AS seen", "SELECT count(*) AS count_1 FROM audit_events")


def _scans_of_history(plan: list[str]) -> list[str]:
    return [step for step in plan if step.startswith("SCAN")
            and any(f"SCAN {table}" in step for table in HISTORY_TABLES)]


async def test_opening_every_desk_scans_no_history_table(ctx):
    add_history(ctx)
    sent: list[tuple[str, tuple]] = []

    def keep(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            sent.append((statement, parameters))

    app = CoordinatorApp(ctx, actor_for(ctx, "admin"))
    event.listen(ctx.db.engine, "before_cursor_execute", keep)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(app, pilot)
            for desk in DESKS:
                await pilot.press(desk.fkey)
                await settle(app, pilot)
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", keep)

    assert len(sent) > len(DESKS), "the desks read the database"
    found = {}
    with ctx.db.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        for statement, parameters in sent:
            plan = [row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)]
            flat = " ".join(statement.split())
            if READS_ONLY_THE_END in flat or any(b in flat for b in BATCHES):
                continue
            if scans := _scans_of_history(plan):
                found[flat[:160]] = scans
    assert not found, "\n".join(f"{k}: {v}" for k, v in found.items())
