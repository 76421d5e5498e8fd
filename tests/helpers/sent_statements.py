"""The read statements a piece of work really sends to the database, as the driver got them,
for the tests that ask each engine's planner about them (issue 23)."""

from __future__ import annotations

from sqlalchemy import event


def statements_sent(ctx, work, starts: tuple[str, ...] = ("SELECT", "WITH")) -> list[tuple[str, object]]:
    """(statement, parameters) for each statement `work()` sent that starts with one of `starts`."""
    sent: list[tuple[str, object]] = []

    def keep(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith(starts):
            sent.append((statement, parameters))

    event.listen(ctx.db.engine, "before_cursor_execute", keep)
    try:
        work()
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", keep)
    return sent
