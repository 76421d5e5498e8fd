"""Migration 0016 (issue #18 point 6): on a clinic that already has a history, the per-visit
flow summary is built from the status events (what they say, step by step, including who
recorded the last arrival); a downgrade drops it and upgrading again builds the same rows."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect
from sqlalchemy.orm import Session

from coordinator_tui.store.migrate import downgrade, upgrade
from tests.helpers.engines import url_for as url_for_path
from tests.helpers.flow_summary import from_history, from_summary


def _read(url, *readers):
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            return [read(session) for read in readers]
    finally:
        engine.dispose()


def _has_table(url) -> bool:
    engine = create_engine(url)
    try:
        return inspect(engine).has_table("appointment_flow")
    finally:
        engine.dispose()


def test_the_summary_is_backfilled_from_the_status_events(seeded_path):
    url = url_for_path(seeded_path)
    downgrade(url, "0015_interop_more")
    assert not _has_table(url)
    (history,) = _read(url, from_history)
    assert len(history) > 20 and any(row["done"] for row in history.values())
    upgrade(url, "head")
    summary, after = _read(url, from_summary, from_history)
    assert summary == history == after
    downgrade(url, "0015_interop_more")
    upgrade(url, "head")
    assert _read(url, from_summary) == [summary]
