"""The audit event of a view, written after the view's reads and before the desk shows it.

A view (a check-in checklist, a patient's record) reads in a read transaction, which never takes
SQLite's write lock and never waits for a writer; then its one audit event is appended in a short
write transaction of its own (the event, the chain's head: well under a millisecond of the lock),
in line with the other writers (store/write_queue.py). The service returns only after that
transaction has committed (synchronous=FULL: on disk), so a view a desk was shown is always in
the trail; if the event cannot be written the view fails and shows nothing.
"""

from __future__ import annotations

from datetime import datetime

from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext


def record_view(ctx: AppContext, actor: Actor, action: str, at: datetime, **fields) -> None:
    """Append one view's audit event in its own write transaction (committed on return)."""
    with ctx.db.write() as session:
        audit.record(session, actor, action, at, **fields)
